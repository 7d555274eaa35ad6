import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { RowOwner } from "../../coalescer/session-rows.ts";
import { CorruptPayloadError, InvalidSessionIdError } from "../../errors/store-errors.ts";
import { decodeForFramework, encode } from "../../serialization/codec.ts";
import { superjsonSerializer, type Serializer } from "../../serialization/serializer.ts";
import { PostgresStore } from "../../store/postgres-store.ts";
import {
  assertUserId,
  pastAbsoluteTimeout,
  storedIp,
  storedUserAgent,
  UserSessionQueries,
  type FindSessionsQuery,
  type RevokeUserSessionsOptions,
  type UserSessionPage,
  type UserSessionsOptions,
} from "../../store/user-sessions.ts";
import {
  adapterDefaults,
  normalizeAdapterOptions,
  storeOptionsOf,
  type NormalizedAdapterOptions,
  type PgSessionStoreOptions,
} from "./adapter-options.ts";
import { settle, type Callback } from "./callback.ts";
import { idHasher } from "./id-hasher.ts";
import { report, type Logger } from "./logger.ts";
import { PruneTimer } from "./prune-timer.ts";
import { expiryOf, fromStoredSession, toStoredSession, type SessionLike } from "./session-payload.ts";
import type { FrameworkSession, StoreBaseConstructor } from "./framework-types.ts";
import { adapterStatementsFor, type AdapterStatements } from "../../table/adapter-statements.ts";
import { payloadDigest, WriteCache } from "./write-cache.ts";
import { touchWrite, withinTouchAfter } from "../../store/touch-after.ts";
import type { ReadThrough } from "../../migration/read-through.ts";
import { readThroughOf } from "./migration-target.ts";
import { emitterSink } from "../../observability/emitter-sink.ts";
import { checkObservability, Observer } from "../../observability/observer.ts";
import { registerAdapterInternals } from "./adapter-internals.ts";
import { runPrune } from "../../observability/prune-run.ts";
import type { SessionEventListener, SessionEventName } from "../../observability/session-events.ts";
import { storableTime } from "../../table/storable-time.ts";

// express-session's Store when it is installed (its `regenerate`, `load` and `createSession` are then
// inherited); a plain EventEmitter for @fastify/session users who do not have it. Typed structurally
// (framework-types.ts), so the published declarations do not need @types/express-session.
const StoreBase: StoreBaseConstructor = (() => {
  try {
    return (createRequire(import.meta.url)("express-session") as { Store: StoreBaseConstructor }).Store;
  } catch {
    return EventEmitter as unknown as StoreBaseConstructor;
  }
})();

// The session objects express-session built from a row this store returned (its `createSession`): a
// save of one of these may update the row but never create it, whatever this process remembers (or has
// forgotten) of it. A destroyed or revoked session therefore never comes back through a request that
// loaded it before, on any server and after any amount of other traffic.
const loadedSessions = new WeakSet<object>();

/** A live row of a listing, decoded. */
interface ListedRow {
  row: ListingRow;
  data: Record<string, unknown>;
}

/** A row as the listings read it. */
interface ListingRow {
  id: string;
  a_session: string | null;
  expires_at: Date | null;
}

/**
 * A session as returned by `all()`: its data plus its `id` — the session id, or with `hashIds` the
 * stored key (the table holds no session id), which `destroy` accepts.
 */
export type ListedSession = FrameworkSession & { id: string };

/** A page of `findSessions`. */
export interface FoundSessions {
  /** As `all()` lists them: the data, and the `id` (with `hashIds`: the stored key, which `destroy` accepts). */
  sessions: ListedSession[];
  /** Give it as `after` for the next page; `undefined` on the last page. */
  next: string | undefined;
}

/** PgSessionStore's typed events (see `SessionEventMap`), next to express-session's own (`connect`, `disconnect`). */
export interface PgSessionStore {
  on<K extends SessionEventName>(event: K, listener: SessionEventListener<K>): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once<K extends SessionEventName>(event: K, listener: SessionEventListener<K>): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  off<K extends SessionEventName>(event: K, listener: SessionEventListener<K>): this;
  off(event: string | symbol, listener: (...args: any[]) => void): this;
}

/**
 * An express-session and @fastify/session store on the sessions table: one statement per operation
 * (concurrent ones coalesced, see the `batch` option), expiry checked on every read, writes of
 * unchanged data skipped, expired rows pruned in batches.
 * Every method takes an optional callback and otherwise returns a promise.
 */
export class PgSessionStore extends StoreBase {
  /** The underlying {@link PostgresStore} (connection, table, error mapping). */
  readonly store: PostgresStore;
  readonly #ownsStore: boolean;
  readonly #options: NormalizedAdapterOptions;
  readonly #serializer: Serializer;
  readonly #statements: AdapterStatements;
  readonly #cache: WriteCache;
  readonly #now: () => number;
  readonly #pruner: PruneTimer | undefined;
  readonly #hash: ((sid: string) => string) | undefined;
  readonly #logger: Logger;
  readonly #users: UserSessionQueries;
  readonly #readThrough: ReadThrough | undefined;
  readonly #observer: Observer;
  #closing: Promise<void> | undefined;

  constructor(options: PgSessionStoreOptions) {
    super();
    this.#options = normalizeAdapterOptions(options);
    // Before the store: a bad option must not leave a pool of our own open.
    const observability = checkObservability(options);
    this.#hash = idHasher(options.hashIds);
    this.store = options.store ?? new PostgresStore(storeOptionsOf(options));
    this.#ownsStore = options.store === undefined;
    this.#serializer = options.serializer ?? superjsonSerializer;
    this.#statements = adapterStatementsFor(this.store.table);
    // With write avoidance off (cacheSize 0) the live sessions are still remembered: see WriteCache.
    const { cacheSize } = this.#options;
    this.#cache = new WriteCache(cacheSize === 0 ? adapterDefaults.cacheSize : cacheSize, cacheSize > 0);
    this.#now = options.now ?? Date.now;
    this.#users = new UserSessionQueries(this.store, () => this.#now(), this.#options.absoluteTimeoutMs);
    this.#logger = options.logger ?? console;
    // The option was checked with the others, before the store was opened.
    this.#readThrough = readThroughOf(
      this.#options.readThrough,
      { store: this.store, serializer: this.#serializer, keyOf: (sid) => this.#key(sid), ownerOf: (session) => this.#ownerOf(session) },
      options.hashIds,
      () => this.#now(),
      this.#logger,
    );
    this.#observer = new Observer(emitterSink(this, this.#logger), observability, this.store, this.#now);
    registerAdapterInternals(this, {
      serializer: this.#serializer,
      keyOf: (sid) => this.#key(sid),
      ownerOf: (session) => this.#ownerOf(session),
      observer: this.#observer,
    });
    if (this.#options.pruneIntervalMs !== false) {
      this.#pruner = new PruneTimer(() => this.prune(), this.#options.pruneIntervalMs, this.#logger);
      this.#pruner.start();
    }
  }

  /**
   * The live session `sid`, or `null` when it is missing or expired, or when no row can have that id
   * (longer than the id column, or characters it cannot hold). Other errors are errors, never `null`.
   */
  get(sid: string): Promise<FrameworkSession | null>;
  get(sid: string, callback: Callback<FrameworkSession | null>): void;
  get(sid: string, callback?: Callback<FrameworkSession | null>): Promise<FrameworkSession | null> | undefined {
    return settle(this.#observer.wraps ? this.#observer.run("get", () => this.#get(sid)) : this.#get(sid), callback, this.#logger);
  }

  /**
   * express-session's own (it builds `req.session` from what `get` returned), recording that the
   * session came from a row: its saves only update (see `set`).
   */
  override createSession(req: object, session: FrameworkSession): any {
    const created: unknown = super.createSession(req, session);
    if (typeof created === "object" && created !== null) loadedSessions.add(created);
    return created;
  }

  /** Saves a session in one statement; one whose lifetime is over is destroyed instead. */
  set(sid: string, session: FrameworkSession | SessionLike): Promise<void>;
  set(sid: string, session: FrameworkSession | SessionLike, callback: Callback<void>): void;
  set(sid: string, session: FrameworkSession | SessionLike, callback?: Callback<void>): Promise<void> | undefined {
    const s = session as SessionLike;
    return settle(this.#observer.wraps ? this.#observer.run("set", () => this.#set(sid, s)) : this.#set(sid, s), callback, this.#logger);
  }

  /** Extends a session's expiry without rewriting its data (skipped while within `touchAfter`). */
  touch(sid: string, session: FrameworkSession | SessionLike): Promise<void>;
  touch(sid: string, session: FrameworkSession | SessionLike, callback: Callback<void>): void;
  touch(sid: string, session: FrameworkSession | SessionLike, callback?: Callback<void>): Promise<void> | undefined {
    const s = session as SessionLike;
    return settle(
      this.#observer.wraps ? this.#observer.run("touch", () => this.#touch(sid, s)) : this.#touch(sid, s),
      callback,
      this.#logger,
    );
  }

  /**
   * Deletes session `sid`. With `hashIds` it also takes the `id` that `ids()` and `all()` list (the
   * stored key), and deletes the row with that key too.
   */
  destroy(sid: string): Promise<void>;
  destroy(sid: string, callback: Callback<void>): void;
  destroy(sid: string, callback?: Callback<void>): Promise<void> | undefined {
    return settle(
      this.#observer.wraps ? this.#observer.run("destroy", () => this.#destroy(sid)) : this.#destroy(sid),
      callback,
      this.#logger,
    );
  }

  /**
   * Every live session, each with its `id` (with `hashIds`: its stored key). Reads and decodes every
   * live row in one statement; rows that cannot be decoded (another program's, or corrupt) are skipped
   * and their number reported to `logger`. Rows without an expiry (the lifecycle API's) never expire
   * here, as in `get`.
   */
  all(): Promise<ListedSession[]>;
  all(callback: Callback<ListedSession[]>): void;
  all(callback?: Callback<ListedSession[]>): Promise<ListedSession[]> | undefined {
    return settle(this.#observer.wraps ? this.#observer.run("all", () => this.#all()) : this.#all(), callback, this.#logger);
  }

  /** The `id`s of what `all()` returns (with `hashIds`: stored keys, which `destroy` accepts). */
  ids(): Promise<string[]>;
  ids(callback: Callback<string[]>): void;
  ids(callback?: Callback<string[]>): Promise<string[]> | undefined {
    return settle(this.#observer.wraps ? this.#observer.run("ids", () => this.#ids()) : this.#ids(), callback, this.#logger);
  }

  /** The number of sessions `all()` returns (it decodes every live row to count only those). */
  length(): Promise<number>;
  length(callback: Callback<number>): void;
  length(callback?: Callback<number>): Promise<number> | undefined {
    return settle(this.#observer.wraps ? this.#observer.run("length", () => this.#length()) : this.#length(), callback, this.#logger);
  }

  /** Deletes every row of the table (all sessions, whoever wrote them). */
  clear(): Promise<void>;
  clear(callback: Callback<void>): void;
  clear(callback?: Callback<void>): Promise<void> | undefined {
    return settle(this.#observer.wraps ? this.#observer.run("clear", () => this.#clear()) : this.#clear(), callback, this.#logger);
  }

  /**
   * Deletes expired rows in batches of `pruneBatchSize` (one indexed statement each) until none is
   * left, and with `absoluteTimeout` the rows past it (by the creation-time index); for cron jobs and
   * serverless, where no background timer runs. @returns rows deleted
   */
  async prune(): Promise<number> {
    return this.#observer.run("prune", () => {
      const now = this.#now();
      const { pruneBatchSize: batchSize, absoluteTimeoutMs: timeout } = this.#options;
      return runPrune(this.#observer, this.store, {
        expired: true,
        now,
        batchSize,
        cutoff: timeout === undefined ? null : new Date(now - timeout),
        more: () => this.#users.pruneTimedOut(batchSize),
      });
    });
  }

  /**
   * A page of `userId`'s live sessions, newest first: handle, created, last active, expiry, and the
   * device when stored (see `UserSession`). The handles are not session ids (nor, with `hashIds`,
   * stored keys): a listing can be shown to its user. Give `current: req.sessionID` to mark the
   * caller's own. One indexed statement.
   */
  async userSessions(userId: string, options: UserSessionsOptions = {}): Promise<UserSessionPage> {
    return this.#users.list(userId, this.#optionalKey(options.current, "current"), options);
  }

  /** The number of `userId`'s live sessions. One indexed statement. */
  async countUserSessions(userId: string): Promise<number> {
    return this.#users.count(userId);
  }

  /**
   * Ends one session of `userId`, by the `handle` a listing gave; only that user's sessions can match.
   * A request of that session in flight does not bring it back. @returns whether there was such a session
   */
  async revokeUserSession(userId: string, handle: string): Promise<boolean> {
    const revoked = await this.#users.revokeOne(userId, handle);
    if (revoked !== undefined) {
      this.#cache.rememberGone(revoked.key);
      this.#observer.destroyed(revoked.key, "revoke");
      await this.#forgetRevoked([revoked.key]);
    }
    return revoked !== undefined;
  }

  /**
   * Ends every session of `userId` but `except` (a session id: the caller's own, for "log out
   * everywhere else"), in one indexed statement; expired ones are deleted too. A request of one of
   * them in flight, here or in another process that read it, does not bring it back.
   * @returns the number of live sessions ended
   */
  async revokeUserSessions(userId: string, options: RevokeUserSessionsOptions = {}): Promise<number> {
    assertUserId(userId);
    const { keys, live } = await this.#users.revokeAll(userId, this.#optionalKey(options.except, "except"));
    for (const key of keys) {
      this.#cache.rememberGone(key);
      this.#observer.destroyed(key, "revoke");
    }
    await this.#forgetRevoked(keys);
    return live;
  }

  /**
   * Live sessions whose data holds `equals` at `path` (`{ path: ["user", "email"], equals: "a@b" }`),
   * a page at a time in id order, as `all()` lists them: Apache::Session::Browseable's search, in
   * SQL on superjson's JSON text. Without an index it reads the whole table; an expression index on
   * the path makes it one index scan (see the README). Rows that cannot be decoded are skipped and
   * their number reported to `logger`, as in `all()`.
   * @throws NonJsonPayloadError when the serializer does not write superjson's JSON (e.g.
   * apacheSessionSerializer, an encrypting serializer), or a stored row is not valid JSON
   */
  async findSessions(query: FindSessionsQuery): Promise<FoundSessions> {
    const { rows, next } = await this.#users.find(query, this.#serializer);
    const sessions = this.#decodeRows(rows, "findSessions").map(({ row, data }) => ({
      ...(fromStoredSession(data, row.expires_at) as unknown as FrameworkSession),
      id: row.id,
    }));
    return { sessions, next };
  }

  /** Stops pruning and closes the store if this adapter created it. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#pruner?.stop();
      this.#observer.close();
      this.#cache.clear();
      if (this.#ownsStore) await this.store.close();
    })();
    return this.#closing;
  }

  async #get(sid: string): Promise<FrameworkSession | null> {
    const key = this.#lookupKey(sid);
    if (key === undefined) return null;
    // During a cut-over (readThrough), a session not here yet is moved in from the old store's table.
    const row = (await this.store.readRow(key)) ?? (this.#readThrough === undefined ? undefined : await this.#readThrough.take(sid));
    const now = this.#now();
    // Expiry is checked against this adapter's clock, so an expired row is never returned, even
    // before pruning; a NULL expiry (the lifecycle API's rows, an Apache::Session app's) never
    // expires. The absolute timeout likewise, from the row's creation.
    const timeout = this.#options.absoluteTimeoutMs;
    const expired = row !== undefined && row.expires_at !== null && row.expires_at.getTime() <= now;
    if (row === undefined || expired || pastAbsoluteTimeout(row.created_at, now, timeout)) {
      this.#cache.notFound(key);
      if (expired) this.#observer.expiredOnRead(key, row.expires_at!.getTime(), "expired");
      else if (row !== undefined) this.#observer.expiredOnRead(key, row.created_at!.getTime() + timeout!, "absoluteTimeout");
      return null;
    }
    const data = this.#decode(key, row.a_session);
    if (row.a_session !== null) this.#cache.rememberRead(key, row.a_session, row.expires_at?.getTime() ?? Infinity);
    return fromStoredSession(data, row.expires_at) as unknown as FrameworkSession;
  }

  async #set(sid: string, session: SessionLike): Promise<void> {
    const key = this.#key(sid);
    const now = this.#now();
    const expiresAt = expiryOf(session, now, this.#options.ttl);
    if (expiresAt <= now) return this.#destroy(sid);
    const text = encode(this.#serializer, toStoredSession(session), { sessionId: key, table: this.store.tableName });
    this.store.assertStorablePayload(text, key);
    const known = this.#cache.get(key);
    // Destroyed or revoked by this process (or found gone): a request still in flight does not bring it back.
    if (known?.state === "gone") return this.#observer.writeSkipped(key, "set", "gone");
    // Writing back what this request read changes nothing it meant to change. Only against a read:
    // after our own write, another server may have written since, and skipping would lose this write.
    if (
      known?.state === "read" &&
      known.read !== undefined &&
      known.read.digest === payloadDigest(text) &&
      withinTouchAfter(this.#options.touchAfter, known.read.expiresAt, expiresAt, now)
    ) {
      return this.#observer.writeSkipped(key, "set", "unchanged");
    }
    // A session this process saw live is updated, not upserted: if it is gone (destroyed elsewhere, e.g.
    // a logout in another tab or a revoke of all the user's sessions), it stays gone instead of being
    // resurrected by a late request.
    const write = { id: key, text, expiresAt: storableTime(expiresAt), track: { at: new Date(now), owner: this.#ownerOf(session) } };
    if (known === undefined && !loadedSessions.has(session)) {
      // Not seen live by this process: a new session's first save, or one another server (or a write
      // cache eviction) left us unaware of. The upsert's RETURNING tells which: `created` only for an insert.
      if ((await this.store.writeRow({ kind: "upsert", ...write })) > 0) this.#observer.created(key);
    } else if ((await this.store.writeRow({ kind: "update", ...write })) === 0) {
      this.#cache.rememberGone(key);
      return this.#observer.writeSkipped(key, "set", "gone");
    }
    this.#cache.rememberWrite(key);
  }

  async #touch(sid: string, session: SessionLike): Promise<void> {
    const key = this.#key(sid);
    const now = this.#now();
    const expiresAt = expiryOf(session, now, this.#options.ttl);
    if (expiresAt <= now) return this.#destroy(sid);
    const known = this.#cache.get(key);
    if (known?.state === "gone") return this.#observer.writeSkipped(key, "touch", "gone");
    if (
      known?.state === "read" &&
      known.read !== undefined &&
      withinTouchAfter(this.#options.touchAfter, known.read.expiresAt, expiresAt, now)
    )
      return this.#observer.writeSkipped(key, "touch", "unchanged");
    // The touch moves last_active_at with the expiry: only when it writes the row anyway.
    const touched = await this.store.writeRow(touchWrite(key, this.#options.touchAfter, expiresAt, now));
    if (known !== undefined && touched > 0) this.#cache.rememberWrite(key);
  }

  async #destroy(sid: string): Promise<void> {
    const key = this.#key(sid);
    const hashedToo = this.#hash !== undefined && this.#fitsIdColumn(sid);
    const before = [this.#cache.peek(key), hashedToo ? this.#cache.peek(sid) : undefined] as const;
    try {
      await this.#deleteRows(sid, key, hashedToo);
    } catch (error) {
      // Nothing was deleted: the session is as it was, so its next save writes as before (not skipped as gone).
      this.#cache.restore(key, before[0]);
      if (hashedToo) this.#cache.restore(sid, before[1]);
      throw error;
    }
  }

  async #deleteRows(sid: string, key: string, hashedToo: boolean): Promise<void> {
    // Remembered as gone, not forgotten: a request of this session still in flight must not upsert it back.
    this.#cache.rememberGone(key);
    // Its copy in the old store's table goes too, or the next get would move it in again: first, so
    // that a read moving it in meanwhile has committed before the delete below (see ReadThrough).
    if (this.#readThrough !== undefined) await this.#readThrough.forget([sid]);
    // Hashed, `sid` may also be a key that ids() or all() listed; one statement deletes either row.
    if (hashedToo) {
      this.#cache.rememberGone(sid);
      if (!this.#observer.watches("destroyed")) return void (await this.store.writeRow({ kind: "destroy", ids: [key, sid] }));
      // Observed: still one statement, whose RETURNING tells which of the two rows it deleted.
      for (const id of await this.store.deleteRows([key, sid])) this.#observer.destroyed(id, "destroy");
      return;
    }
    if ((await this.store.writeRow({ kind: "destroy", ids: [key] })) > 0) this.#observer.destroyed(key, "destroy");
  }

  // During a cut-over (readThrough), the old store's copies of revoked sessions go too, or they would be
  // read through again; then the rows here once more: a read that moved one in between the revoke and
  // that delete has committed its insert by then (the old row's lock), so the second delete sees it.
  async #forgetRevoked(keys: readonly string[]): Promise<void> {
    if (this.#readThrough === undefined || keys.length === 0) return;
    await this.#readThrough.forgetKeys(keys);
    await this.store.writeRow({ kind: "destroy", ids: [...keys] });
  }

  async #all(): Promise<ListedSession[]> {
    const listed = await this.#list("all");
    return listed.map(({ row, data }) => ({ ...(fromStoredSession(data, row.expires_at) as unknown as FrameworkSession), id: row.id }));
  }

  async #ids(): Promise<string[]> {
    return (await this.#list("ids")).map(({ row }) => row.id);
  }

  async #length(): Promise<number> {
    return (await this.#list("length")).length;
  }

  // all, ids and length share one reading, so what they count is what all() returns.
  async #list(method: "all" | "ids" | "length"): Promise<ListedRow[]> {
    const now = this.#now();
    const timeout = this.#options.absoluteTimeoutMs;
    const rows = await this.store.query<ListingRow>(this.#statements.list, [
      new Date(now),
      timeout === undefined ? null : new Date(now - timeout),
    ]);
    return this.#decodeRows(rows, method);
  }

  // Rows that cannot be decoded (another program's, or corrupt) are skipped and counted to the logger.
  #decodeRows(rows: ListingRow[], method: string): ListedRow[] {
    const decoded: ListedRow[] = [];
    let skipped = 0;
    for (const row of rows) {
      let data: Record<string, unknown>;
      try {
        data = this.#decode(row.id, row.a_session);
      } catch (error) {
        if (!(error instanceof CorruptPayloadError)) throw error;
        skipped += 1;
        continue;
      }
      decoded.push({ row, data });
    }
    if (skipped > 0) {
      // The count only: the ids of those rows may be live sessions of another program.
      const message = `prisma-pg-session: ${method}() skipped ${skipped} row(s) of ${this.store.tableName} whose payload cannot be decoded (another program's, or corrupt)`;
      report(this.#logger, message, new CorruptPayloadError(message, { table: this.store.tableName }));
    }
    return decoded;
  }

  async #clear(): Promise<void> {
    this.#cache.allGone();
    // Every session ended: the old store's copies too (first, as in destroy), or they would be read through again.
    if (this.#readThrough !== undefined) await this.#readThrough.forgetAll();
    await this.store.execute(this.#statements.clear, []);
  }

  // The key a lookup uses, or undefined for an id that no row can have (too long for the id column, or
  // characters it cannot hold), e.g. a UUID cookie left by another store's genid: that is "no session",
  // so the framework starts a new one instead of failing every request until the cookie expires.
  // A non-string is a caller's bug, not a cookie, and still throws.
  #lookupKey(sid: string): string | undefined {
    return typeof sid === "string" ? unlessInvalidId(() => this.#key(sid)) : this.#key(sid);
  }

  // The key of an optional session id given to a user-sessions call; undefined stays undefined. For
  // `current`, an id no row can have marks nothing; for `except` it is an InvalidSessionIdError, since
  // sparing nothing would end the caller's own session too.
  #optionalKey(sid: string | undefined, name: "current" | "except"): string | undefined {
    if (sid === undefined) return undefined;
    if (typeof sid !== "string") throw new TypeError(`${name} must be a session id (a string), got ${typeof sid}`);
    return name === "except" ? this.#key(sid) : this.#lookupKey(sid);
  }

  // The owner columns a write sets: only with the `userId` option (without it, user_id is left as it is).
  #ownerOf(session: SessionLike): RowOwner | undefined {
    const { userId, device } = this.#options;
    if (userId === undefined) return undefined;
    const framework = session as unknown as FrameworkSession;
    const id = userId(framework) ?? null;
    if (id !== null) assertUserId(id, "userId(session)");
    const info = device?.(framework) ?? undefined;
    if (info !== undefined && (typeof info !== "object" || info === null)) {
      throw new TypeError("device(session) must return { userAgent?, ip? }, null or undefined");
    }
    return {
      userId: id,
      userAgent: storedUserAgent(info?.userAgent, "device(session).userAgent"),
      ip: storedIp(info?.ip, "device(session).ip"),
    };
  }

  #fitsIdColumn(id: string): boolean {
    return unlessInvalidId(() => (this.store.assertStorableId(id), true)) ?? false;
  }

  // The key stored for a session id: the id itself, or its hash. Errors name the key, never a live id.
  #key(sid: string): string {
    if (this.#hash === undefined) {
      this.store.assertStorableId(sid);
      return sid;
    }
    // Hashing encodes UTF-8, which would merge ids differing only in unpaired surrogates.
    if (typeof sid !== "string" || sid.length === 0 || !sid.isWellFormed()) this.store.assertStorableId(sid);
    return this.#hash(sid);
  }

  #decode(sid: string, text: string | null): Record<string, unknown> {
    return decodeForFramework(this.#serializer, text, { sessionId: sid, table: this.store.tableName });
  }
}

/** `check()`'s result, or `undefined` when it rejects the id as one no row can have. */
function unlessInvalidId<T>(check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidSessionIdError) return undefined;
    throw error;
  }
}
