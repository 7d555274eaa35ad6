import type { Serializer } from "../serialization/serializer.ts";
import type { PostgresStore } from "../store/postgres-store.ts";
import {
  assertNoStoreOptionsBeside,
  assertOnlyOptions,
  normalizeLockTimeout,
  pickOptions,
  storeOptionKeys,
  type PostgresStoreOptions,
} from "../store/store-options.ts";
import { normalizeAbsoluteTimeout } from "../store/user-sessions.ts";

/** Options of the session lifecycle; store options (`prisma` / `datasourceUrl`, ...) build its own store. */
export interface SessionManagerOptions extends PostgresStoreOptions {
  /** An existing store to use (and not close). Give either this or the store's options. */
  store?: PostgresStore;
  /** @default superjsonSerializer */
  serializer?: Serializer;
  /**
   * Length of generated ids, in hex characters (4 bits each); at most the store's `maxIdLength`.
   * Apache::Session's `IDLength`. @default 32 (128 bits)
   */
  idLength?: number;
  /**
   * Longest wait for a session's row lock, in ms (PostgreSQL `lock_timeout`, set for the unit's
   * transaction only); longer raises LockTimeoutError. Unset: wait while the holder holds it, which its
   * transaction `timeout` bounds.
   * @default undefined
   */
  lockTimeout?: number;
  /**
   * Seconds after its creation when a session ends however it is used (OWASP's absolute timeout):
   * `read`, `open` and `rotate` then raise SessionNotFoundError, listings and counts leave it out, and
   * `prune()` deletes it. Sessions created before the user-sessions migration count from their first
   * write after it. @default none
   */
  absoluteTimeout?: number;
}

export const managerDefaults = { idLength: 32 } as const;

const managerOptionKeys = ["store", "serializer", "idLength", "lockTimeout", "absoluteTimeout"] as const;

export function assertManagerOptions(options: SessionManagerOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("SessionManager options must be an object with `store`, `prisma`, `datasourceUrl` or `pgPool`");
  }
  assertOnlyOptions(options, [...storeOptionKeys, ...managerOptionKeys], "SessionManager");
  assertNoStoreOptionsBeside(options);
  normalizeLockTimeout(options.lockTimeout);
  normalizeAbsoluteTimeout(options.absoluteTimeout);
}

/** The options of the store a manager builds for itself. */
export function storeOptionsOf(options: SessionManagerOptions): PostgresStoreOptions {
  return pickOptions(options, storeOptionKeys) as PostgresStoreOptions;
}
