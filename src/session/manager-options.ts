import type { Serializer } from "../serialization/serializer.ts";
import type { PostgresStore } from "../store/postgres-store.ts";
import type { TransactionOptions } from "../store/prisma-handle.ts";
import { assertNoStoreOptionsBeside, type PostgresStoreOptions } from "../store/store-options.ts";

/** Options of the session lifecycle; store options (`prisma` / `datasourceUrl`, ...) build its own store. */
export interface SessionManagerOptions extends PostgresStoreOptions {
  /** An existing store to use (and not close). Give either this or the store's options. */
  store?: PostgresStore;
  /** @default superjsonSerializer */
  serializer?: Serializer;
  /**
   * Length of generated ids, in hex characters (4 bits each); at most the store's `maxIdLength`.
   * The seed's `IDLength`. @default 32 (128 bits)
   */
  idLength?: number;
  /**
   * Longest wait for a session's row lock, in ms (PostgreSQL `lock_timeout`, set for the unit's
   * transaction only); longer raises LockTimeoutError. Unset: wait while the holder holds it, which its
   * transaction `timeout` bounds.
   * @default undefined
   */
  lockTimeout?: number;
}

export const managerDefaults = { idLength: 32 } as const;


export function assertManagerOptions(options: SessionManagerOptions): void {
  assertNoStoreOptionsBeside(options);
  if (options.lockTimeout !== undefined && !(Number.isInteger(options.lockTimeout) && options.lockTimeout > 0)) {
    throw new RangeError(`lockTimeout must be a positive whole number of milliseconds, got ${String(options.lockTimeout)}`);
  }
}

export function transactionOptionsOf(options: SessionManagerOptions): TransactionOptions {
  const result: TransactionOptions = {};
  if (options.maxWait !== undefined) result.maxWait = options.maxWait;
  if (options.timeout !== undefined) result.timeout = options.timeout;
  if (options.isolationLevel !== undefined) result.isolationLevel = options.isolationLevel;
  return result;
}
