import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const migrationsDir = join(import.meta.dirname, "..", "..", "prisma", "migrations");

/** The committed migrations, in the order `prisma migrate deploy` applies them (by folder name). */
function migrationScripts(): Array<{ name: string; sql: string }> {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(migrationsDir, name, "migration.sql"), "utf8") }));
}

/** The migrations rewritten for another table name, as a user who changed `@@map` would get them. */
export function migrationScriptsFor(table: string): string[] {
  return migrationScripts().map(({ sql }) => sql.replaceAll('"sessions', `"${table}`));
}
