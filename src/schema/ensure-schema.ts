import type { PostgresStore } from "../store/postgres-store.ts";

/**
 * The statements of the committed migrations (prisma/migrations), made idempotent: the seed's table,
 * then the expiry column and its index. Names of the primary key and index follow Prisma's
 * (`<table>_pkey`, `<table>_expires_at_idx`), so a table made here and one made by `prisma migrate
 * deploy` are the same (a test compares their catalogs).
 */
export function schemaStatements(table: { name: string; sql: string }): string[] {
  const base = table.name.split(".").pop()!;
  return [
    `CREATE TABLE IF NOT EXISTS ${table.sql} ("id" CHAR(32) NOT NULL, "a_session" TEXT, CONSTRAINT "${base}_pkey" PRIMARY KEY ("id"))`,
    `ALTER TABLE ${table.sql} ADD COLUMN IF NOT EXISTS "expires_at" TIMESTAMPTZ(6)`,
    `CREATE INDEX IF NOT EXISTS "${base}_expires_at_idx" ON ${table.sql}("expires_at")`,
  ];
}

/**
 * Creates the sessions table, its expiry column and index where they are missing; changes nothing that
 * exists. For the embedded database and apps that do not run `prisma migrate`. It does not write
 * Prisma's `_prisma_migrations`: to move to migrations later, mark them applied with
 * `npx prisma migrate resolve --applied <name>`.
 */
export async function ensureSchema(store: PostgresStore): Promise<void> {
  for (const statement of schemaStatements(store.table)) await store.execute(statement, []);
}
