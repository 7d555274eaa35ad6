// A user's sessions (list, count, revoke), the absolute timeout and the query on the data's JSON,
// shared by the lifecycle API (SessionManager) and the express / fastify adapter (PgSessionStore).
// Each layer turns its own session ids into stored keys (the adapter may hash them) before calling in.
import { isIP } from "node:net";
import { sqlStateOf } from "../errors/map-database-error.ts";
import { NonJsonPayloadError } from "../errors/store-errors.ts";
import { writesSuperjson } from "../serialization/superjson-serializer.ts";
import { userStatementsFor, type UserStatements } from "../table/user-statements.ts";
import type { PostgresStore } from "./postgres-store.ts";

/** One session of a user, as a "your sessions" page shows it. */
export interface UserSession {
  /**
   * An opaque, stable handle for this session: `revokeUserSession(userId, handle)` ends it. It is not
   * a session id and no `get` or `open` takes it, so a listing can be shown to the user.
   */
  handle: string;
  /** Whether this is the session given as `current` (the caller's own). */
  current: boolean;
  /** When it was created; `null` for sessions written before the user-sessions migration. */
  createdAt: Date | null;
  /** Its last write (a change, or a touch past `touchAfter`). */
  lastActiveAt: Date | null;
  /** When it ends unless used again (the adapter's idle expiry); `null`: no expiry (the lifecycle API's). */
  expiresAt: Date | null;
  /** Only when the app stored it (the adapter's `device`, `create`'s `userAgent`). */
  userAgent: string | null;
  /** Only when the app stored it (the adapter's `device`, `create`'s `ip`). */
  ip: string | null;
}

/** A page of a user's sessions, newest first. */
export interface UserSessionPage {
  sessions: UserSession[];
  /** Give it as `after` for the next page; `undefined` on the last page. */
  next: string | undefined;
}

/** Options of `userSessions`. */
export interface UserSessionsOptions {
  /** Sessions per page, 1 to 1000. @default 50 */
  limit?: number | undefined;
  /** The `next` of the previous page. */
  after?: string | undefined;
  /** The caller's own session id (e.g. `req.sessionID`): its entry gets `current: true`. */
  current?: string | undefined;
}

/** Options of `revokeUserSessions`. */
export interface RevokeUserSessionsOptions {
  /** A session id to spare: the caller's own, for "log out everywhere else". */
  except?: string | undefined;
}

/** What `create` (lifecycle) and `device` (adapter) record about who and where. */
export interface SessionOwner {
  /** The user the session belongs to. */
  userId?: string | undefined;
  /** The client's User-Agent, for a "your devices" page; stored up to 512 characters. */
  userAgent?: string | undefined;
  /** The client's IP address (IPv4 or IPv6), for a "your devices" page. */
  ip?: string | undefined;
}

/** A query on the stored data: sessions whose value at `path` equals `equals`. */
export interface FindSessionsQuery {
  /** Keys (and array indexes) into the session's data: `["user", "email"]` is `data.user.email`. */
  path: ReadonlyArray<string | number>;
  /** Compared with the value's text: a string, a boolean, or a safe integer. */
  equals: string | number | boolean;
  /** Sessions per page, 1 to 1000. @default 100 */
  limit?: number | undefined;
  /** The `next` of the previous page. */
  after?: string | undefined;
}

/** A found row, before its layer decodes it. */
export interface FoundRow {
  id: string;
  a_session: string | null;
  expires_at: Date | null;
}

const maxUserIdLength = 1024;
const maxUserAgentLength = 512;

/** Checks a user id before any SQL. @throws TypeError */
export function assertUserId(userId: unknown, what = "userId"): asserts userId is string {
  if (typeof userId !== "string") throw new TypeError(`${what} must be a string, got ${userId === null ? "null" : typeof userId}`);
  if (userId.length === 0 || userId.length > maxUserIdLength || userId.includes("\0") || !userId.isWellFormed()) {
    throw new TypeError(
      `${what} must be 1 to ${maxUserIdLength} characters, without NUL or unpaired surrogates: ${JSON.stringify(userId.slice(0, 80))}`,
    );
  }
}

/** A user agent as stored: at most 512 characters (cut at a character boundary). @throws TypeError */
export function storedUserAgent(userAgent: unknown, what = "userAgent"): string | null {
  if (userAgent === undefined || userAgent === null) return null;
  if (typeof userAgent !== "string") throw new TypeError(`${what} must be a string, got ${typeof userAgent}`);
  if (userAgent.includes("\0") || !userAgent.isWellFormed()) throw new TypeError(`${what} must not contain NUL or unpaired surrogates`);
  if (userAgent.length <= maxUserAgentLength) return userAgent;
  const cut = userAgent.slice(0, maxUserAgentLength);
  return cut.isWellFormed() ? cut : cut.slice(0, -1);
}

/** An IP address as stored. @throws TypeError for anything but an IPv4 or IPv6 address */
export function storedIp(ip: unknown, what = "ip"): string | null {
  if (ip === undefined || ip === null) return null;
  if (typeof ip !== "string" || isIP(ip) === 0) throw new TypeError(`${what} must be an IPv4 or IPv6 address, got ${JSON.stringify(ip)}`);
  return ip;
}

/** Checks `absoluteTimeout` (seconds) and returns it in ms. @throws RangeError */
export function normalizeAbsoluteTimeout(seconds: unknown): number | undefined {
  if (seconds === undefined) return undefined;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new RangeError(`absoluteTimeout must be a positive number of seconds, got ${String(seconds)}`);
  }
  return seconds * 1000;
}

/** Whether a session created at `createdAt` has outlived the absolute timeout at `now` (ms). */
export function pastAbsoluteTimeout(createdAt: Date | null, now: number, absoluteTimeoutMs: number | undefined): boolean {
  return absoluteTimeoutMs !== undefined && createdAt !== null && createdAt.getTime() + absoluteTimeoutMs <= now;
}

function pageLimit(limit: unknown, fallback: number): number {
  if (limit === undefined) return fallback;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new RangeError(`limit must be a whole number from 1 to 1000, got ${String(limit)}`);
  }
  return limit;
}

const handlePattern = /^[0-9a-f]{32}$/;
const cursorTime = /^(-infinity|\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)$/;

function encodeCursor(at: string, handle: string): string {
  return Buffer.from(JSON.stringify([at, handle])).toString("base64url");
}

function decodeCursor(cursor: unknown): [string, string] {
  const refuse = () => new TypeError(`after must be the \`next\` of a previous page, got ${JSON.stringify(cursor)}`);
  if (typeof cursor !== "string" || !/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== "string" || !cursorTime.test(parsed[0])) throw refuse();
  if (typeof parsed[1] !== "string" || !handlePattern.test(parsed[1])) throw refuse();
  return [parsed[0], parsed[1]];
}

/** Checks a handle from a listing. @throws TypeError */
function assertHandle(handle: unknown): asserts handle is string {
  if (typeof handle !== "string" || !handlePattern.test(handle)) {
    throw new TypeError(`handle must be the \`handle\` of a listed session (32 hex characters), got ${JSON.stringify(handle)}`);
  }
}

/** The text[] path of `path` into superjson's envelope. @throws TypeError */
function jsonPath(path: unknown): string[] {
  if (!Array.isArray(path) || path.length === 0 || path.length > 32) {
    throw new TypeError("path must be an array of 1 to 32 keys (strings) or array indexes (whole numbers ≥ 0)");
  }
  return [
    "json",
    ...path.map((part, index) => {
      if (typeof part === "number" && Number.isSafeInteger(part) && part >= 0) return String(part);
      if (typeof part === "string" && !part.includes("\0") && part.isWellFormed()) return part;
      throw new TypeError(
        `path[${index}] must be a key (a string without NUL) or an array index (a whole number ≥ 0), got ${String(part)}`,
      );
    }),
  ];
}

/** The text `#>>` gives for `equals`. @throws TypeError */
function comparedText(equals: unknown): string {
  if (typeof equals === "string" && !equals.includes("\0") && equals.isWellFormed()) return equals;
  if (typeof equals === "boolean") return String(equals);
  if (typeof equals === "number" && Number.isSafeInteger(equals)) return String(equals);
  throw new TypeError(
    `equals must be a string (without NUL), a boolean or a safe integer, got ${typeof equals === "string" ? JSON.stringify(equals) : String(equals)}`,
  );
}

interface ListedRow {
  handle: string;
  current: boolean;
  created_at: Date | null;
  last_active_at: Date | null;
  expires_at: Date | null;
  user_agent: string | null;
  ip: string | null;
  cursor_at: string;
}

/**
 * The statements on a user's sessions and on the data's JSON, with one layer's clock and absolute
 * timeout. Each method is one statement; keys are stored keys, already validated by the layer.
 */
export class UserSessionQueries {
  readonly #store: PostgresStore;
  readonly #statements: UserStatements;
  readonly #now: () => number;
  readonly #absoluteTimeoutMs: number | undefined;

  constructor(store: PostgresStore, now: () => number, absoluteTimeoutMs: number | undefined) {
    this.#store = store;
    this.#statements = userStatementsFor(store.table);
    this.#now = now;
    this.#absoluteTimeoutMs = absoluteTimeoutMs;
  }

  get statements(): UserStatements {
    return this.#statements;
  }

  /** A page of `userId`'s live sessions, newest first; `currentKey` is marked `current`. */
  async list(userId: string, currentKey: string | undefined, options: UserSessionsOptions): Promise<UserSessionPage> {
    assertUserId(userId);
    const limit = pageLimit(options.limit, 50);
    const [afterAt, afterHandle] = options.after === undefined ? [null, null] : decodeCursor(options.after);
    const [now, cutoff] = this.#clock();
    const rows = await this.#store.query<ListedRow>(this.#statements.list, [
      userId,
      now,
      cutoff,
      currentKey ?? null,
      afterAt,
      afterHandle,
      limit + 1,
    ]);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      sessions: page.map((row) => ({
        handle: row.handle,
        current: row.current,
        createdAt: row.created_at,
        lastActiveAt: row.last_active_at,
        expiresAt: row.expires_at,
        userAgent: row.user_agent,
        ip: row.ip,
      })),
      next: rows.length > limit && last !== undefined ? encodeCursor(last.cursor_at, last.handle) : undefined,
    };
  }

  /** The number of `userId`'s live sessions. */
  async count(userId: string): Promise<number> {
    assertUserId(userId);
    const [now, cutoff] = this.#clock();
    const [row] = await this.#store.query<{ n: number }>(this.#statements.count, [userId, now, cutoff]);
    return row!.n;
  }

  /** Deletes the session `handle` of `userId`. @returns its stored key and whether it was live, or `undefined` (none) */
  async revokeOne(userId: string, handle: string): Promise<{ key: string; live: boolean } | undefined> {
    assertUserId(userId);
    assertHandle(handle);
    const [now, cutoff] = this.#clock();
    const [row] = await this.#store.query<{ id: string; live: boolean }>(this.#statements.revokeOne, [userId, handle, now, cutoff]);
    return row === undefined ? undefined : { key: row.id, live: row.live };
  }

  /**
   * Deletes every session of `userId` (expired ones too) but `exceptKey`, in one statement.
   * @returns the deleted keys, and how many of them were live
   */
  async revokeAll(userId: string, exceptKey: string | undefined): Promise<{ keys: string[]; live: number }> {
    assertUserId(userId);
    const [now, cutoff] = this.#clock();
    const rows = await this.#store.query<{ id: string; live: boolean }>(this.#statements.revokeAll, [
      userId,
      exceptKey ?? null,
      now,
      cutoff,
    ]);
    return { keys: rows.map((row) => row.id), live: rows.filter((row) => row.live).length };
  }

  /**
   * Live rows whose superjson data holds `equals` at `path`, in stored-key order after `after`.
   * @throws NonJsonPayloadError when `serializer` does not write superjson, or a row is not valid JSON
   */
  async find(query: FindSessionsQuery, serializer: unknown): Promise<{ rows: FoundRow[]; next: string | undefined }> {
    if (typeof query !== "object" || query === null) throw new TypeError("findSessions takes { path, equals }");
    const path = jsonPath(query.path);
    const value = comparedText(query.equals);
    const limit = pageLimit(query.limit, 100);
    if (query.after !== undefined) this.#store.assertStorableId(query.after);
    const table = this.#store.tableName;
    if (!writesSuperjson(serializer)) {
      throw new NonJsonPayloadError(
        `findSessions queries the JSON that superjson writes, and this store's serializer writes another format (Apache::Session's Storable, ` +
          `encrypted or your own) that SQL cannot read: keep the field in a column or table of your own instead`,
        { table },
      );
    }
    const [now, cutoff] = this.#clock();
    let rows: FoundRow[];
    try {
      rows = await this.#store.query<FoundRow>(this.#statements.find, [path, value, now, cutoff, query.after ?? null, limit + 1]);
    } catch (error) {
      if (sqlStateOf(error) !== "22P02") throw error;
      throw new NonJsonPayloadError(
        `A row of ${table} that starts like superjson's text is not valid JSON, so findSessions cannot read it: find it with the CLI's show`,
        {
          table,
          cause: error,
        },
      );
    }
    const page = rows.slice(0, limit);
    return { rows: page, next: rows.length > limit ? page[page.length - 1]!.id : undefined };
  }

  /** Deletes sessions past the absolute timeout in batches (nothing without one). @returns rows deleted */
  async pruneTimedOut(batchSize: number): Promise<number> {
    const [, cutoff] = this.#clock();
    if (cutoff === null) return 0;
    let total = 0;
    for (;;) {
      const deleted = await this.#store.execute(this.#statements.pruneCreatedBefore, [cutoff, batchSize]);
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }

  // Now, and the creation time before which a session has timed out (null: no absolute timeout).
  #clock(): [Date, Date | null] {
    const now = this.#now();
    return [new Date(now), this.#absoluteTimeoutMs === undefined ? null : new Date(now - this.#absoluteTimeoutMs)];
  }
}
