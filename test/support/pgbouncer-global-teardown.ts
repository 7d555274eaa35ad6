import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

// No relative imports in global hooks (see global-setup.ts).

/** Stops this run's PgBouncer (the process in its pid file, SIGTERM) and removes its directory. */
export default async function pgbouncerGlobalTeardown(): Promise<void> {
  const dir = process.env["TEST_PGBOUNCER_DIR"];
  if (!dir) return;
  let pid: number | undefined;
  try {
    pid = Number(readFileSync(join(dir, "pgbouncer.pid"), "utf8").trim());
    process.kill(pid, "SIGTERM");
  } catch {
    pid = undefined; // never started, or already gone
  }
  const deadline = Date.now() + 10_000;
  while (pid !== undefined && isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  rmSync(dir, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
