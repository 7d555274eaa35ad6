import type { TableName } from "./table-name.ts";

/**
 * The statements of the committed migrations (prisma/migrations), made idempotent: Apache::Session's table (with the store's id width),
 * then the expiry column and its index, then the user and activity columns and their indexes. Names of
 * the primary key and indexes follow Prisma's (`<table>_pkey`, `<table>_<column>_idx`), and columns are
 * added in the migrations' order, so a table made here and one made by `prisma migrate deploy` are the
 * same (a test compares their catalogs).
 */
export function schemaStatements(table: TableName, idLength: number): string[] {
  const base = table.name.split(".").pop()!;
  return [
    `CREATE TABLE IF NOT EXISTS ${table.sql} ("id" CHAR(${idLength}) NOT NULL, "a_session" TEXT, CONSTRAINT "${base}_pkey" PRIMARY KEY ("id"))`,
    `ALTER TABLE ${table.sql} ADD COLUMN IF NOT EXISTS "expires_at" TIMESTAMPTZ(6)`,
    `CREATE INDEX IF NOT EXISTS "${base}_expires_at_idx" ON ${table.sql}("expires_at")`,
    `ALTER TABLE ${table.sql} ADD COLUMN IF NOT EXISTS "user_id" TEXT, ADD COLUMN IF NOT EXISTS "created_at" TIMESTAMPTZ(6), ` +
      `ADD COLUMN IF NOT EXISTS "last_active_at" TIMESTAMPTZ(6), ADD COLUMN IF NOT EXISTS "user_agent" TEXT, ADD COLUMN IF NOT EXISTS "ip" TEXT`,
    `CREATE INDEX IF NOT EXISTS "${base}_user_id_idx" ON ${table.sql}("user_id")`,
    `CREATE INDEX IF NOT EXISTS "${base}_created_at_idx" ON ${table.sql}("created_at")`,
  ];
}

// One advisory lock key for every ensureSchema, whatever the table: two spellings of one table
// (`sessions`, `public.sessions`) must exclude each other too, and it only ever runs at start-up.
// The first 8 bytes of sha256("prisma-pg-session ensureSchema"), as a signed bigint.
const schemaLockKey = "1150847391560589630";

/**
 * The schema statements as one statement that first takes a transaction-scoped advisory lock: run by
 * several processes at once, `CREATE TABLE IF NOT EXISTS` is not safe (the loser fails on a catalog
 * unique index), so each waits for the one before it to commit and then finds everything in place.
 * One statement is its own transaction, so the lock goes with it, and it holds through PgBouncer's
 * transaction pooling; inside a caller's transaction, the lock lasts until that one ends.
 */
export function ensureSchemaStatement(table: TableName, idLength: number): string {
  const body = [`PERFORM pg_advisory_xact_lock(${schemaLockKey})`, ...schemaStatements(table, idLength)].join("; ");
  // A plain string literal, not dollar quoting: identifiers may contain `$`, so any `$tag$` could occur
  // in a table name, while a quote cannot (doubling it anyway keeps the literal closed whatever comes).
  return `DO '${`BEGIN ${body}; END`.replaceAll("'", "''")}'`;
}
