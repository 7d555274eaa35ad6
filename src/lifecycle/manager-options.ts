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
import { maxTtlSeconds } from "../store/session-ttl.ts";
import type { SessionData } from "./session.ts";
import { observabilityOptionKeys, type ObservabilityOptions } from "../observability/observability-options.ts";

/** Options of the session lifecycle; store options (`prisma` / `datasourceUrl`, ...) build its own store. */
export interface SessionManagerOptions<D extends SessionData = SessionData> extends PostgresStoreOptions, ObservabilityOptions {
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
  /**
   * Idle lifetime, in seconds: every write of a session (`create`, and `open` when it saves a change)
   * sets its expiry to now + `ttl`; a function of the session's data (`(data) => data.rememberMe ?
   * 30 * 86400 : 3600`) gives each session its own, called on every write (`0` then deletes the
   * session at that save; a result that is not a number of seconds ≥ 0 is a TypeError/RangeError and
   * nothing is written). Only writes extend a session: `read`, and an `open` that changes nothing, do
   * not. Once expired, `read`, `open` and `rotate` raise SessionNotFoundError, listings leave it out and
   * `prune()` deletes it. Unset, rows get no expiry and never expire (Apache::Session's behaviour).
   * @default none
   */
  ttl?: number | ((data: D) => number);
}

export const managerDefaults = { idLength: 32 } as const;

const managerOptionKeys = ["store", "serializer", "idLength", "lockTimeout", "absoluteTimeout", "ttl", ...observabilityOptionKeys] as const;

export function assertManagerOptions(options: SessionManagerOptions<any>): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("SessionManager options must be an object with `store`, `prisma`, `datasourceUrl` or `pgPool`");
  }
  assertOnlyOptions(options, [...storeOptionKeys, ...managerOptionKeys], "SessionManager");
  assertNoStoreOptionsBeside(options);
  normalizeLockTimeout(options.lockTimeout);
  normalizeAbsoluteTimeout(options.absoluteTimeout);
  normalizeManagerTtl(options.ttl);
}

/** Checks the manager's `ttl`: a positive number of seconds, a function, or unset. @throws TypeError, RangeError */
export function normalizeManagerTtl<F extends (data: never) => number>(ttl: number | F | undefined): number | F | undefined {
  if (ttl === undefined || typeof ttl === "function") return ttl;
  if (typeof ttl !== "number")
    throw new TypeError(`ttl must be a number of seconds or a function of the session's data, got ${typeof ttl}`);
  if (!Number.isFinite(ttl) || ttl <= 0 || ttl > maxTtlSeconds) {
    throw new RangeError(`ttl must be a positive number of seconds (at most ${maxTtlSeconds}) or a function, got ${String(ttl)}`);
  }
  return ttl;
}

/** The options of the store a manager builds for itself. */
export function storeOptionsOf(options: SessionManagerOptions<any>): PostgresStoreOptions {
  return pickOptions(options, storeOptionKeys) as PostgresStoreOptions;
}
