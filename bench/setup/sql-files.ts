import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");

/** prisma/migrations/*\/migration.sql in the order `prisma migrate deploy` applies them. */
export function migrationScripts(): string[] {
  const dir = join(root, "prisma", "migrations");
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => readFileSync(join(dir, name, "migration.sql"), "utf8"));
}

/** The migrations for another table name, as a user who changed `@@map` would get them. */
export function migrationScriptsFor(table: string): string[] {
  return migrationScripts().map((sql) => sql.replaceAll('"sessions', `"${table}`));
}

/** connect-pg-simple's own table definition. */
export function connectPgSimpleTable(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(join(require.resolve("connect-pg-simple"), "..", "table.sql"), "utf8");
}

/** A file of bench/prisma/. */
export function benchSql(file: string): string {
  return readFileSync(join(root, "bench", "prisma", file), "utf8");
}
