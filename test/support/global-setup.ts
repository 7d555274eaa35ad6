import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";

// Jest loads global setup with Node's own loader, outside its module mapping: this file imports no
// relative module, so it reads the migrations itself, in `prisma migrate deploy` order (folder name).
const migrationsDir = join(import.meta.dirname, "..", "..", "prisma", "migrations");
function migrationSql(): string[] {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => readFileSync(join(migrationsDir, name, "migration.sql"), "utf8"));
}

/**
 * Creates this run's own database on the server at TEST_ADMIN_DATABASE_URL (default: the local server),
 * applies the committed migrations in order (the SQL `prisma migrate deploy` runs), and hands its URL
 * to the test workers through TEST_DATABASE_URL.
 */
export default async function globalSetup(): Promise<void> {
  const adminUrl = process.env["TEST_ADMIN_DATABASE_URL"] ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const name = `pps_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (cause) {
    throw new Error(`Cannot reach the test PostgreSQL at ${adminUrl} (set TEST_ADMIN_DATABASE_URL)`, { cause });
  }
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  for (const sql of migrationSql()) await db.query(sql);
  await db.end();

  process.env["TEST_DATABASE_URL"] = url.toString();
  process.env["TEST_DATABASE_NAME"] = name;
  process.env["TEST_ADMIN_DATABASE_URL"] = adminUrl;
}
