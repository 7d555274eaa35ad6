import { resolve } from "node:path";
import { EmbeddedDatabaseError } from "../errors/store-errors.ts";
import { PrismaClient } from "../generated/prisma/client.ts";
import type { TransactionalClient } from "../driver/prisma-handle.ts";
import { lockDataDir } from "./data-dir-lock.ts";

/** An in-process PostgreSQL (PGlite) and a Prisma client on it. */
export interface EmbeddedDatabase {
  prisma: TransactionalClient;
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

async function importOptional<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (cause) {
    throw new EmbeddedDatabaseError(
      `The embedded database needs the package ${name}: npm install @electric-sql/pglite pglite-prisma-adapter (or set DATABASE_URL)`,
      { cause },
    );
  }
}

/** Opens (creating on first use) the embedded database in `dataDir`. */
export async function openEmbeddedDatabase(options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir ?? ".data/pglite");
  const lock = lockDataDir(dataDir);
  try {
    const { PGlite } = await importOptional<typeof import("@electric-sql/pglite")>("@electric-sql/pglite");
    const { PrismaPGlite } = await importOptional<typeof import("pglite-prisma-adapter")>("pglite-prisma-adapter");
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
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) }) as unknown as TransactionalClient;
    let closing: Promise<void> | undefined;
    return {
      prisma,
      dataDir,
      recoveredFrom: lock.crashedOwner,
      close: () =>
        (closing ??= (async () => {
          try {
            await prisma.$disconnect();
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
