import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { StoredRow } from "../../coalescer/session-rows.ts";
import { CorruptPayloadError, InvalidSessionIdError } from "../../errors/store-errors.ts";
import { decode, encode } from "../../serialization/codec.ts";
import { superjsonSerializer, type Serializer } from "../../serialization/serializer.ts";
import { PostgresStore } from "../../store/postgres-store.ts";
import { normalizeAdapterOptions, storeOptionsOf, type NormalizedAdapterOptions, type PgSessionStoreOptions } from "./adapter-options.ts";
import { settle, type Callback } from "./callback.ts";
import { idHasher } from "./id-hasher.ts";
import { report, type Logger } from "./logger.ts";
import { PruneTimer } from "./prune-timer.ts";
import { expiryOf, fromStoredSession, toStoredSession, type SessionLike } from "./session-payload.ts";
import type { FrameworkSession, StoreBaseConstructor } from "./framework-types.ts";
import { adapterStatementsFor, type AdapterStatements } from "../../table/adapter-statements.ts";
import { payloadDigest, WriteCache } from "./write-cache.ts";

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

/** A live row of a listing, decoded. */
interface ListedRow {
  row: StoredRow & { id: string };
  data: Record<string, unknown>;
}

/** What the adapter's companions (lockedSession) read from it; not part of the public API. */
export interface AdapterInternals {
  serializer: Serializer;
  /** The key a session id is stored under (the id, or its hash with `hashIds`). @throws InvalidSessionIdError */
  keyOf(sid: string): string;
}

const internals = new WeakMap<object, AdapterInternals>();

/** The serializer and key function of a PgSessionStore, so that its companions cannot disagree with it. */
export function adapterInternals(store: PgSessionStore): AdapterInternals {
  const found = internals.get(store);
  if (found === undefined) throw new TypeError("Not a PgSessionStore");
  return found;
}

/**
 * A session as returned by `all()`: its data plus its `id` — the session id, or with `hashIds` the
 * stored key (the table holds no session id), which `destroy` accepts.
 */
export type ListedSession = FrameworkSession & { id: string };

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
  #closing: Promise<void> | undefined;

  constructor(options: PgSessionStoreOptions) {
    super();
    this.#options = normalizeAdapterOptions(options);
    this.store = options.store ?? new PostgresStore(storeOptionsOf(options));
    this.#ownsStore = options.store === undefined;
    this.#serializer = options.serializer ?? superjsonSerializer;
    this.#statements = adapterStatementsFor(this.store.table);
    this.#cache = new WriteCache(this.#options.cacheSize);
    this.#now = options.now ?? Date.now;
    this.#hash = idHasher(options.hashIds);
    this.#logger = options.logger ?? console;
    internals.set(this, { serializer: this.#serializer, keyOf: (sid) => this.#key(sid) });
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
    return settle(this.#get(sid), callback);
  }

  /** Saves a session in one statement; one whose lifetime is over is destroyed instead. */
  set(sid: string, session: FrameworkSession | SessionLike): Promise<void>;
  set(sid: string, session: FrameworkSession | SessionLike, callback: Callback<void>): void;
  set(sid: string, session: FrameworkSession | SessionLike, callback?: Callback<void>): Promise<void> | undefined {
    return settle(this.#set(sid, session as SessionLike), callback);
  }

  /** Extends a session's expiry without rewriting its data (skipped while within `touchAfter`). */
  touch(sid: string, session: FrameworkSession | SessionLike): Promise<void>;
  touch(sid: string, session: FrameworkSession | SessionLike, callback: Callback<void>): void;
  touch(sid: string, session: FrameworkSession | SessionLike, callback?: Callback<void>): Promise<void> | undefined {
    return settle(this.#touch(sid, session as SessionLike), callback);
  }

  /**
   * Deletes session `sid`. With `hashIds` it also takes the `id` that `ids()` and `all()` list (the
   * stored key), and deletes the row with that key too.
   */
  destroy(sid: string): Promise<void>;
  destroy(sid: string, callback: Callback<void>): void;
  destroy(sid: string, callback?: Callback<void>): Promise<void> | undefined {
    return settle(this.#destroy(sid), callback);
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
    return settle(this.#all(), callback);
  }

  /** The `id`s of what `all()` returns (with `hashIds`: stored keys, which `destroy` accepts). */
  ids(): Promise<string[]>;
  ids(callback: Callback<string[]>): void;
  ids(callback?: Callback<string[]>): Promise<string[]> | undefined {
    return settle(this.#ids(), callback);
  }

  /** The number of sessions `all()` returns (it decodes every live row to count only those). */
  length(): Promise<number>;
  length(callback: Callback<number>): void;
  length(callback?: Callback<number>): Promise<number> | undefined {
    return settle(this.#length(), callback);
  }

  /** Deletes every row of the table (all sessions, whoever wrote them). */
  clear(): Promise<void>;
  clear(callback: Callback<void>): void;
  clear(callback?: Callback<void>): Promise<void> | undefined {
    return settle(this.#clear(), callback);
  }

  /**
   * Deletes expired rows in batches of `pruneBatchSize` (one indexed statement each) until none is
   * left; for cron jobs and serverless, where no background timer runs. @returns rows deleted
   */
  async prune(): Promise<number> {
    const now = new Date(this.#now());
    let total = 0;
    for (;;) {
      const deleted = await this.store.execute(this.#statements.prune, [now, this.#options.pruneBatchSize]);
      total += deleted;
      if (deleted < this.#options.pruneBatchSize) return total;
    }
  }

  /** Stops pruning and closes the store if this adapter created it. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#pruner?.stop();
      this.#cache.clear();
      if (this.#ownsStore) await this.store.close();
    })();
    return this.#closing;
  }

  async #get(sid: string): Promise<FrameworkSession | null> {
    const key = this.#lookupKey(sid);
    if (key === undefined) return null;
    const row = await this.store.readRow(key);
    // Expiry is checked against this adapter's clock, so an expired row is never returned, even
    // before pruning; a NULL expiry (the lifecycle API's rows, an Apache::Session app's) never expires.
    if (row === undefined || (row.expires_at !== null && row.expires_at.getTime() <= this.#now())) {
      this.#cache.forget(key);
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
    // Writing back what this request read changes nothing it meant to change. Only against a read:
    // after our own write, another server may have written since, and skipping would lose this write.
    if (
      known?.read !== undefined &&
      known.read.digest === payloadDigest(text) &&
      this.#withinTouchAfter(known.read.expiresAt, expiresAt, now)
    )
      return;
    // A session this process saw live is updated, not upserted: if it is gone (destroyed elsewhere, e.g.
    // a logout in another tab), it stays gone instead of being resurrected by a late request.
    const write = { id: key, text, expiresAt: new Date(expiresAt) };
    if (known === undefined) {
      await this.store.writeRow({ kind: "upsert", ...write });
    } else if ((await this.store.writeRow({ kind: "update", ...write })) === 0) {
      this.#cache.forget(key);
      return;
    }
    this.#cache.rememberWrite(key);
  }

  async #touch(sid: string, session: SessionLike): Promise<void> {
    const key = this.#key(sid);
    const now = this.#now();
    const expiresAt = expiryOf(session, now, this.#options.ttl);
    if (expiresAt <= now) return this.#destroy(sid);
    const known = this.#cache.get(key);
    if (known?.read !== undefined && this.#withinTouchAfter(known.read.expiresAt, expiresAt, now)) return;
    const staleBefore = new Date(expiresAt - this.#touchAfterMs(expiresAt, now));
    const touched = await this.store.writeRow({ kind: "touch", id: key, now: new Date(now), expiresAt: new Date(expiresAt), staleBefore });
    if (known !== undefined && touched > 0) this.#cache.rememberWrite(key);
  }

  async #destroy(sid: string): Promise<void> {
    const key = this.#key(sid);
    this.#cache.forget(key);
    // Hashed, `sid` may also be a key that ids() or all() listed; one statement deletes either row.
    if (this.#hash !== undefined && this.#fitsIdColumn(sid)) {
      this.#cache.forget(sid);
      await this.store.writeRow({ kind: "destroy", ids: [key, sid] });
      return;
    }
    await this.store.writeRow({ kind: "destroy", ids: [key] });
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
    const rows = await this.store.query<StoredRow & { id: string }>(this.#statements.list, [new Date(this.#now())]);
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
    this.#cache.clear();
    await this.store.execute(this.#statements.clear, []);
  }

  // The key a lookup uses, or undefined for an id that no row can have (too long for the id column, or
  // characters it cannot hold), e.g. a UUID cookie left by another store's genid: that is "no session",
  // so the framework starts a new one instead of failing every request until the cookie expires.
  // A non-string is a caller's bug, not a cookie, and still throws.
  #lookupKey(sid: string): string | undefined {
    return typeof sid === "string" ? unlessInvalidId(() => this.#key(sid)) : this.#key(sid);
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
    return decode(this.#serializer, text, { sessionId: sid, table: this.store.tableName });
  }

  // The stored expiry is "recent enough" when the new one is at most touchAfter later.
  #withinTouchAfter(storedExpiresAt: number, expiresAt: number, now: number): boolean {
    return expiresAt >= storedExpiresAt ? expiresAt - storedExpiresAt <= this.#touchAfterMs(expiresAt, now) : false;
  }

  #touchAfterMs(expiresAt: number, now: number): number {
    const configured = this.#options.touchAfter;
    if (configured !== undefined) return configured * 1000;
    return Math.min(60_000, (expiresAt - now) / 10);
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
