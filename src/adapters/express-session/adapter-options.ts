import type { Serializer } from "../../serialization/serializer.ts";
import type { PostgresStore } from "../../store/postgres-store.ts";
import { normalizeAbsoluteTimeout } from "../../store/user-sessions.ts";
import type { FrameworkSession } from "./framework-types.ts";
import {
  assertNoStoreOptionsBeside,
  assertOnlyOptions,
  batchOptionKeys,
  connectionOptionKeys,
  pickOptions,
  storeDefaults,
  tableOptionKeys,
  type BatchOptions,
  type ConnectionOptions,
  type PostgresStoreOptions,
  type TableOptions,
} from "../../store/store-options.ts";
import type { HashIdsOption } from "./id-hasher.ts";
import type { Logger } from "./logger.ts";
import { readThroughSource, type ReadThroughOption } from "../../migration/read-through.ts";
import type { SourceTable } from "../../migration/source-formats.ts";
import { parseTableName } from "../../table/table-name.ts";
import { observabilityOptionKeys, type ObservabilityOptions } from "../../observability/observability-options.ts";

/** Options of {@link PgSessionStore}. Durations are in seconds, as in connect-pg-simple and connect-redis. */
export interface PgSessionStoreOptions extends ConnectionOptions, TableOptions, BatchOptions, ObservabilityOptions {
  /** An existing {@link PostgresStore} to use (and not close). Give either this or the store's options. */
  store?: PostgresStore;
  /** @default superjsonSerializer */
  serializer?: Serializer;
  /**
   * A number: the lifetime of a session whose cookie has no `expires`/`maxAge`/`originalMaxAge`, in
   * seconds (`0` is taken literally). A function of the session (`(session) => session.rememberMe ?
   * 30 * 86400 : 3600`): called on every `set` and `touch`, its result (seconds) is the row's lifetime
   * whatever the cookie says, as connect-redis's; `0` destroys the session. The browser's cookie stays
   * the framework's (`req.session.cookie.maxAge`): set both. A result that is not a number of seconds
   * ≥ 0 is a TypeError/RangeError, and nothing is written. @default 86400
   */
  ttl?: number | ((session: FrameworkSession) => number);
  /**
   * Skip a touch (and a `set` of unchanged data) while the expiry this request read is at most this
   * many seconds older than the new one; a session may then end up to this much earlier than its
   * cookie says, and an unchanged request costs one `SELECT` only within this window of the last
   * write. `0` writes every change of expiry (what express-session's "touch resets the expiration"
   * expects). @default min(60, a tenth of the session's lifetime)
   */
  touchAfter?: number;
  /** Seconds between background prunes of expired rows (randomized ±50 %); `false` disables them. @default 900 */
  pruneSessionInterval?: number | false;
  /** Rows deleted per prune statement. @default 1000 */
  pruneBatchSize?: number;
  /**
   * Receives background prune failures and the number of rows `all`/`ids`/`length` skipped because
   * they cannot be decoded (nothing else is logged; everything else is thrown). @default console
   */
  logger?: Logger;
  /**
   * Sessions remembered for write avoidance (what each one's last `get` read); `0` turns write
   * avoidance off. Either way the adapter remembers which sessions it has seen live (up to this many,
   * 10000 with `0`), so that a late save never recreates one destroyed meanwhile. @default 10000
   */
  cacheSize?: number;
  /** The clock, in ms since the epoch (tests move it instead of sleeping). @default Date.now */
  now?: () => number;
  /**
   * Store a hash of each session id instead of the id (`true`: SHA-256; `{ secret }`: HMAC-SHA-256),
   * so a database dump exposes no usable session id. `ids()` and `all()` then return the stored keys
   * (the hashes), which `destroy` accepts as well as session ids; `get`, `set` and `touch` take session
   * ids only, so a leaked key never opens a session. Sessions stored unhashed are not found after
   * turning it on (everyone logs in again).
   * @default false
   */
  hashIds?: HashIdsOption;
  /**
   * The user a session belongs to, read from the session on every write (`(session) => session.user?.id`):
   * stored in `user_id`, so that `userSessions`, `revokeUserSessions` and `countUserSessions` find the
   * user's sessions with one indexed statement. `undefined` (logged out) clears it. Unset, the adapter
   * leaves `user_id` as it is.
   */
  userId?: (session: FrameworkSession) => string | null | undefined;
  /**
   * The device a session is used from, for a "your devices" page, read from the session on every write
   * (with `userId` only): e.g. put `{ userAgent: req.get("user-agent"), ip: req.ip }` in the session at
   * login and return it here. Stored in `user_agent` (up to 512 characters) and `ip`; what it does not
   * return is left as stored. @default nothing stored
   */
  device?: (session: FrameworkSession) => { userAgent?: string | null | undefined; ip?: string | null | undefined } | null | undefined;
  /**
   * Seconds after its creation when a session ends however active it is (OWASP's absolute timeout):
   * reads, listings and counts treat it as gone, `prune` deletes it. Sessions created before the
   * user-sessions migration count from their first write after it. @default none
   */
  absoluteTimeout?: number;
  /**
   * During a cut-over from connect-pg-simple or @quixo3/prisma-session-store: a `get` of a session not
   * found here looks it up in that store's table (in the same database) and, when it is live there,
   * writes it here as this store would have (never over a row written here meanwhile) and returns it,
   * so nobody is logged out. The old row is left for app servers still on the old store; `destroy`,
   * `clear` and a revoke delete it too. Not with `hashIds: { secret }` (a TypeError): a revoke could
   * not find the old copies. Run `prisma-pg-session import` first, and remove this option once the old
   * store's sessions have expired (see the README's "Migrating from connect-pg-simple").
   * @default none
   */
  readThrough?: ReadThroughOption;
}

export const adapterDefaults = {
  ttl: 86_400,
  pruneSessionInterval: 900,
  pruneBatchSize: 1000,
  cacheSize: 10_000,
} as const;

function nonNegative(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a number of seconds ≥ 0, got ${String(value)}`);
  }
  return value;
}

export interface NormalizedAdapterOptions {
  ttl: number | ((session: FrameworkSession) => number);
  touchAfter: number | undefined;
  pruneIntervalMs: number | false;
  pruneBatchSize: number;
  cacheSize: number;
  userId: ((session: FrameworkSession) => string | null | undefined) | undefined;
  device: PgSessionStoreOptions["device"];
  absoluteTimeoutMs: number | undefined;
  readThrough: SourceTable | undefined;
}

export const adapterOptionKeys = [
  "store",
  "serializer",
  "ttl",
  "touchAfter",
  "pruneSessionInterval",
  "pruneBatchSize",
  "logger",
  "cacheSize",
  "now",
  "hashIds",
  "readThrough",
  ...observabilityOptionKeys,
] as const;

/** PgSessionStore's options for a user's sessions (not shared with the web entries, which do not read them). */
export const userOptionKeys = ["userId", "device", "absoluteTimeout"] as const;

/** The options of the store an adapter builds for itself. */
export function storeOptionsOf(options: PgSessionStoreOptions): PostgresStoreOptions {
  return pickOptions(options, [...connectionOptionKeys, ...tableOptionKeys, ...batchOptionKeys]) as PostgresStoreOptions;
}

export function normalizeAdapterOptions(options: PgSessionStoreOptions): NormalizedAdapterOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("PgSessionStore options must be an object with `store`, `prisma`, `datasourceUrl` or `pgPool`");
  }
  assertOnlyOptions(
    options,
    [...connectionOptionKeys, ...tableOptionKeys, ...batchOptionKeys, ...adapterOptionKeys, ...userOptionKeys],
    "PgSessionStore",
    " (it runs single statements: no transactions to time, isolate or roll back)",
  );
  assertNoStoreOptionsBeside(options);
  const interval = options.pruneSessionInterval ?? adapterDefaults.pruneSessionInterval;
  if (interval !== false && !(typeof interval === "number" && interval > 0 && Number.isFinite(interval))) {
    throw new RangeError(`pruneSessionInterval must be a positive number of seconds or false, got ${String(interval)}`);
  }
  const batch = options.pruneBatchSize ?? adapterDefaults.pruneBatchSize;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`pruneBatchSize must be a positive integer, got ${String(batch)}`);
  const cacheSize = options.cacheSize ?? adapterDefaults.cacheSize;
  if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new RangeError(`cacheSize must be an integer ≥ 0, got ${String(cacheSize)}`);
  for (const name of ["userId", "device"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function")
      throw new TypeError(`${name} must be a function of the session`);
  }
  if (options.device !== undefined && options.userId === undefined) {
    throw new TypeError("device is stored with the session's user: give userId as well");
  }
  return {
    ttl: typeof options.ttl === "function" ? options.ttl : nonNegative("ttl", options.ttl ?? adapterDefaults.ttl),
    touchAfter: options.touchAfter === undefined ? undefined : nonNegative("touchAfter", options.touchAfter),
    pruneIntervalMs: interval === false ? false : interval * 1000,
    pruneBatchSize: batch,
    cacheSize,
    userId: options.userId,
    device: options.device,
    absoluteTimeoutMs: normalizeAbsoluteTimeout(options.absoluteTimeout),
    // Checked here, before a layer opens its store: the source table, not the store's own, not with HMAC ids.
    readThrough:
      options.readThrough === undefined
        ? undefined
        : readThroughSource(options.readThrough, {
            storeTable: options.store?.table ?? parseTableName(options.tableName ?? storeDefaults.tableName),
            hashIds:
              options.hashIds === true ? "sha256" : typeof options.hashIds === "object" && options.hashIds !== null ? "hmac" : "none",
          }),
  };
}
