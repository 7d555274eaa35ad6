import { randomBytes } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import { migrationScriptsFor } from "./migrations.ts";

/** URL of this run's database (created by the global setup). */
export function testDatabaseUrl(): string {
  const url = process.env["TEST_DATABASE_URL"];
  if (!url) throw new Error("TEST_DATABASE_URL is not set: run the tests through jest (global setup)");
  return url;
}

/** A random id of the seed's shape: 32 lowercase hex characters. */
export function randomId(): string {
  return randomBytes(16).toString("hex");
}

/** A plain pg pool on the test database, for checking rows behind the library's back. */
export function adminPool(max = 4): pg.Pool {
  return new pg.Pool({ connectionString: testDatabaseUrl(), max });
}

/** Creates a table of its own for a test (the migrations with the table renamed) and returns its name. */
export async function createTable(pool: pg.Pool, prefix = "t"): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  for (const sql of migrationScriptsFor(name)) await pool.query(sql);
  return name;
}

/** The row as stored, or undefined. */
export async function storedRow(
  pool: pg.Pool,
  id: string,
  table = "sessions",
): Promise<{ id: string; a_session: string | null } | undefined> {
  const { rows } = await pool.query(`SELECT id, a_session FROM "${table}" WHERE id = $1`, [id]);
  return rows[0];
}

/** The user and device columns of `id`'s row in `table` (user_id … expires_at), or undefined. */
export async function userColumnsOf(pool: pg.Pool, table: string, id: string) {
  return (await pool.query(`SELECT user_id, user_agent, ip, created_at, last_active_at, expires_at FROM "${table}" WHERE id = $1`, [id]))
    .rows[0];
}

/** A real PrismaClient (this package's generated one) on the test database, or on `pool`. */
export function newPrismaClient(connection: string | pg.Pool = testDatabaseUrl()) {
  return new PrismaClient({ adapter: new PrismaPg(typeof connection === "string" ? { connectionString: connection } : connection) });
}
export type TestPrismaClient = ReturnType<typeof newPrismaClient>;

export interface CountingClient {
  prisma: TestPrismaClient;
  /** Every statement sent to PostgreSQL, in order (BEGIN/COMMIT included). */
  statements: string[];
  close(): Promise<void>;
}

/** Makes every connection of `pool` append the text of each statement it sends to `statements`. */
export function recordStatements(pool: pg.Pool, statements: string[]): void {
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0];
      const text = typeof first === "string" ? first : (first as { text?: string } | undefined)?.text;
      if (text !== undefined) statements.push(text);
      return query(...args);
    };
  });
}

/**
 * A real PrismaClient on the test database whose pg connections record every statement they send:
 * statement counts are measured at the driver, not inferred from our own calls.
 */
export function countingClient(poolSize = 10): CountingClient {
  const statements: string[] = [];
  const pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: poolSize });
  recordStatements(pool, statements);
  const prisma = newPrismaClient(pool);
  return {
    prisma,
    statements,
    close: async () => {
      await prisma.$disconnect();
      await pool.end().catch(() => undefined);
    },
  };
}

/** A promise with its resolver, for ordering concurrent steps without sleeps. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves once `check` returns true, polling the database state (never a fixed sleep). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * True when some backend is waiting for a lock on the test database; with `applicationName`, one of
 * those connections only. Test files run in parallel on one database: without a name, another file's
 * lock wait counts too.
 */
export async function someoneWaitsForLock(pool: pg.Pool, applicationName?: string): Promise<boolean> {
  const { rows } = await pool.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND ($1::text IS NULL OR application_name = $1)",
    [applicationName ?? null],
  );
  return rows[0].n > 0;
}
