import { execFile, execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

// Jest loads global setup outside its module mapping (see global-setup.ts): this file imports no
// relative module, so it repeats the few lines of free-port.ts and as-postgres-user.ts it needs.

const run = promisify(execFile);
const pgbouncerBinary = process.env["PGBOUNCER_BIN"] ?? "/usr/sbin/pgbouncer";

/**
 * The settings the library needs from PgBouncer in transaction pooling mode, and nothing more:
 * node-postgres (under @prisma/adapter-pg) sends parameterized statements as *unnamed* prepared
 * statements (Parse/Bind/Execute/Sync in one round trip), which transaction pooling supports without
 * `max_prepared_statements`; the library keeps no session state outside a transaction (lock_timeout is
 * `set_config(..., true)`, i.e. SET LOCAL).
 */
function pgbouncerIni(dir: string, port: number, upstream: URL): string {
  return `[databases]
* = host=${upstream.hostname} port=${upstream.port || 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir = ${dir}
auth_type = trust
auth_file = ${join(dir, "userlist.txt")}
admin_users = postgres
pool_mode = transaction
default_pool_size = 40
max_client_conn = 1000
logfile = ${join(dir, "pgbouncer.log")}
pidfile = ${join(dir, "pgbouncer.pid")}
`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const asRoot = process.getuid?.() === 0;

function ownedByPostgres(dir: string): void {
  if (!asRoot) return;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  chownSync(dir, uid, gid);
}

async function startPgbouncer(ini: string): Promise<void> {
  // -d: daemonize; the pid file says which process to stop.
  const [file, args] = asRoot ? ["runuser", ["-u", "postgres", "--", pgbouncerBinary, "-d", ini]] : [pgbouncerBinary, ["-d", ini]];
  await run(file, args, { timeout: 30_000 });
}

/** Polls the admin console until PgBouncer answers, and checks that it pools by transaction. */
async function assertTransactionPooling(port: number, log: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const admin = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/pgbouncer` });
    try {
      await admin.connect();
      const { rows } = await admin.query("SHOW CONFIG");
      const mode = rows.find((row: { key: string }) => row.key === "pool_mode")?.value;
      if (mode !== "transaction") throw new Error(`PgBouncer runs with pool_mode = ${mode}, expected transaction`);
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        let text = "(no log)";
        try {
          text = readFileSync(log, "utf8");
        } catch {
          // no log yet
        }
        throw new Error(`PgBouncer did not come up on port ${port}: ${(error as Error).message}\n${text}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await admin.end().catch(() => undefined);
    }
  }
}

/**
 * Global setup of the `pgbouncer` Jest project: starts PgBouncer (transaction pooling, trust auth, every
 * database name forwarded to the test server) on a free port as the postgres user, in a temporary
 * directory of its own. The project's setup file (pgbouncer-env.ts) then points each test file's
 * TEST_DATABASE_URL at it; the database itself comes from the run's global setup, whichever runs first.
 */
export default async function pgbouncerGlobalSetup(): Promise<void> {
  const upstream = new URL(process.env["TEST_ADMIN_DATABASE_URL"] ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  const dir = mkdtempSync(join(tmpdir(), "pps-pgbouncer-"));
  ownedByPostgres(dir);
  // trust still needs the user names in auth_file: the test user, and postgres for the admin console.
  const users = new Set([decodeURIComponent(upstream.username || "postgres"), "postgres"]);
  writeFileSync(join(dir, "userlist.txt"), [...users].map((user) => `"${user}" ""\n`).join(""));
  process.env["TEST_PGBOUNCER_DIR"] = dir;
  // Another process may take the free port before PgBouncer binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const ini = join(dir, "pgbouncer.ini");
    writeFileSync(ini, pgbouncerIni(dir, port, upstream));
    try {
      await startPgbouncer(ini);
      await assertTransactionPooling(port, join(dir, "pgbouncer.log"));
      process.env["TEST_PGBOUNCER_PORT"] = String(port);
      // If jest dies before its teardown, do not leave the daemon behind.
      process.once("exit", () => stopPgbouncer(dir));
      return;
    } catch (error) {
      stopPgbouncer(dir);
      if (attempt === 3) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/** Stops the PgBouncer whose pid file is in `dir` (SIGTERM: immediate shutdown); returns its pid. */
function stopPgbouncer(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, "pgbouncer.pid"), "utf8").trim());
  } catch {
    return undefined;
  }
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return undefined; // already gone
  }
  return pid;
}
