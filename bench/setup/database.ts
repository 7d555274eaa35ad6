import { randomBytes } from "node:crypto";
import pg from "pg";

/** The server's admin database: the bench creates its own database there and drops it at the end. */
export function adminUrl(): string {
  return process.env["BENCH_ADMIN_DATABASE_URL"] ?? "postgresql://postgres@127.0.0.1:5432/postgres";
}

export interface BenchDatabase {
  name: string;
  url: string;
  /** A small pool on the bench database for setup, fills and checks (never used while measuring). */
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** Creates a fresh, uniquely named database and runs `ddl` in it, script by script. */
export async function createBenchDatabase(ddl: readonly string[]): Promise<BenchDatabase> {
  const name = `bench_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    dropped = true;
    await pool.end().catch(() => undefined);
    const client = new pg.Client({ connectionString: adminUrl() });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
  try {
    for (const sql of ddl) await pool.query(sql);
  } catch (error) {
    await drop();
    throw error;
  }
  return { name, url: url.toString(), pool, drop };
}
