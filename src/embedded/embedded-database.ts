import { resolve } from "node:path";
import { EmbeddedDatabaseError } from "../errors/store-errors.ts";
import type { TransactionalClient } from "../driver/prisma-handle.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { pgliteClient } from "./pglite-client.ts";

/** An in-process PostgreSQL (PGlite). */
export interface EmbeddedDatabase {
  /**
   * What the stores take as their `prisma` option: the SQL part of a Prisma client (`$queryRawUnsafe`,
   * `$executeRawUnsafe`, `$transaction`), answered by PGlite. It is not a Prisma client (it has no models).
   */
  client: TransactionalClient;
  dataDir: string;
  /** Set when the directory was left by a process that ended without closing it (and was recovered). */
  recoveredFrom: number | undefined;
  /** Disconnects and closes PGlite cleanly (or the next open replays its log). Idempotent. */
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  /** @default ".data/pglite" under the working directory */
  dataDir?: string;
  /** Give up opening after this many ms instead of hanging on a damaged directory. @default 120000 */
  openTimeoutMs?: number;
}

async function importPglite(): Promise<typeof import("@electric-sql/pglite")> {
  try {
    return await import("@electric-sql/pglite");
  } catch (cause) {
    throw new EmbeddedDatabaseError(
      "The embedded database needs the package @electric-sql/pglite: npm install @electric-sql/pglite (or set DATABASE_URL)",
      {
        cause,
      },
    );
  }
}

/** Opens (creating on first use) the embedded database in `dataDir`. */
export async function openEmbeddedDatabase(options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir ?? ".data/pglite");
  const lock = lockDataDir(dataDir);
  try {
    const { PGlite } = await importPglite();
    const timeoutMs = options.openTimeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new EmbeddedDatabaseError(
              `The embedded database in ${dataDir} did not open within ${timeoutMs / 1000} s; it may be damaged. ` +
                `Move the directory away to start with an empty one.`,
            ),
          ),
        timeoutMs,
      );
    });
    const pglite = await Promise.race([PGlite.create(dataDir), timeout]).finally(() => clearTimeout(timer));
    let closing: Promise<void> | undefined;
    return {
      client: pgliteClient(pglite),
      dataDir,
      recoveredFrom: lock.crashedOwner,
      close: () =>
        (closing ??= (async () => {
          try {
            await pglite.close();
          } finally {
            lock.release();
          }
        })()),
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
