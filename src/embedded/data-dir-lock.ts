import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EmbeddedDatabaseError } from "../errors/store-errors.ts";

/** What was found when the lock was taken. */
export interface LockResult {
  /** The pid of a process that held the directory and ended without closing it, if any. */
  crashedOwner: number | undefined;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the data directory for this process. PGlite itself lets two processes open one directory (and
 * corrupt it), so a lock file with the owner's pid guards it: a live owner is an error; a dead one means
 * the directory was left by a crash, which is reported to the caller.
 */
export function lockDataDir(dataDir: string): LockResult {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "prisma-pg-session.lock");
  let crashedOwner: number | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return {
        crashedOwner,
        release: () => rmSync(file, { force: true }),
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number.parseInt(readFileSync(file, "utf8"), 10);
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
        throw new EmbeddedDatabaseError(
          `The embedded database in ${dataDir} is in use by process ${owner}. Stop it, or set DATABASE_URL to use a PostgreSQL server.`,
        );
      }
      crashedOwner = Number.isInteger(owner) ? owner : -1;
      rmSync(file, { force: true });
    }
  }
  throw new EmbeddedDatabaseError(`Could not lock the embedded database directory ${dataDir}`);
}
