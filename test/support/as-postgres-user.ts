import { execFile } from "node:child_process";
import { chown, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

// PostgreSQL's server programs (initdb, pg_ctl, postgres) and pgbouncer refuse to run as root: as root
// we run them as the `postgres` user; as anyone else we run them as ourselves.
const asRoot = process.getuid?.() === 0;

/** Runs a server program as the user that may run it; resolves with its output, rejects with it on failure. */
export async function runAsPostgres(program: string, args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", program, ...args]] : [program, args];
  try {
    return await run(file, argv, { timeout: timeoutMs, encoding: "utf8" });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${program} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`, { cause: error });
  }
}

/** A fresh temporary directory that the server programs' user owns (mode 0700). */
export async function tempDirForPostgres(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (asRoot) {
    const { stdout: uid } = await run("id", ["-u", "postgres"], { encoding: "utf8" });
    const { stdout: gid } = await run("id", ["-g", "postgres"], { encoding: "utf8" });
    await chown(dir, Number(uid.trim()), Number(gid.trim()));
  }
  return dir;
}
