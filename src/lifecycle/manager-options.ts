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
   * Idle lifetime, in seconds, sliding: `create` sets a session's expiry to now + `ttl`, and so does
   * every `open` (a unit of work is activity): one that saves a change writes it with the data; one that
   * changes nothing writes the expiry alone, and only once the stored expiry is more than `touchAfter`
   * behind the new one (so a busy session costs at most one such UPDATE per `touchAfter`). A function
   * of the session's data (`(data) => data.rememberMe ? 30 * 86400 : 3600`) gives each session its
   * own, called at `create` and at the end of every `open` (`0` then deletes the session; a result
   * that is not a number of seconds ≥ 0 is a TypeError/RangeError and nothing is written). `read` is a
   * peek and does not extend; `rotate` keeps the expiry. Once expired, `read`, `open` and `rotate`
   * raise SessionNotFoundError, listings leave it out and `prune()` deletes it. Unset, rows get no
   * expiry and never expire, and nothing is written for an unchanged session (Apache::Session's
   * behaviour). @default none
   */
  ttl?: number | ((data: D) => number);
  /**
   * With `ttl`: how far behind the new expiry the stored one may be before an `open` that changed
   * nothing writes it, in seconds; `0` writes the expiry at every such `open`. The default is
   * PgSessionStore's: min(60 s, a tenth of the lifetime), so a session idle for `ttl` ends at most
   * 60 s early, and a busy one costs at most one expiry-only UPDATE a minute. Needs `ttl`.
   * @default min(60, lifetime / 10)
   */
  touchAfter?: number;
}

export const managerDefaults = { idLength: 32 } as const;

const managerOptionKeys = [
  "store",
  "serializer",
  "idLength",
  "lockTimeout",
  "absoluteTimeout",
  "ttl",
  "touchAfter",
  ...observabilityOptionKeys,
] as const;

export function assertManagerOptions(options: SessionManagerOptions<any>): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("SessionManager options must be an object with `store`, `prisma`, `datasourceUrl` or `pgPool`");
  }
  assertOnlyOptions(options, [...storeOptionKeys, ...managerOptionKeys], "SessionManager");
  assertNoStoreOptionsBeside(options);
  normalizeLockTimeout(options.lockTimeout);
  normalizeAbsoluteTimeout(options.absoluteTimeout);
  normalizeManagerTtl(options.ttl);
  normalizeManagerTouchAfter(options.touchAfter, options.ttl);
}

/** Checks the manager's `touchAfter`: seconds ≥ 0, only with `ttl`. @throws TypeError, RangeError */
export function normalizeManagerTouchAfter(touchAfter: number | undefined, ttl: unknown): number | undefined {
  if (touchAfter === undefined) return undefined;
  if (typeof touchAfter !== "number" || !Number.isFinite(touchAfter) || touchAfter < 0) {
    throw new RangeError(`touchAfter must be a number of seconds ≥ 0, got ${String(touchAfter)}`);
  }
  if (ttl === undefined) throw new TypeError("touchAfter applies to the expiry that ttl gives: set ttl too, or leave touchAfter out");
  return touchAfter;
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
