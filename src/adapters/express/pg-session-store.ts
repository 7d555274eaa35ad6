import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { SessionData, Store as ExpressStore } from "express-session";
import { decode, encode } from "../../serialization/codec.ts";
import { superjsonSerializer, type Serializer } from "../../serialization/serializer.ts";
import { PostgresStore } from "../../store/postgres-store.ts";
import { normalizeAdapterOptions, type NormalizedAdapterOptions, type PgSessionStoreOptions } from "./adapter-options.ts";
import { settle, type Callback } from "./callback.ts";
import { idHasher } from "./id-hasher.ts";
import { PruneTimer, type Logger } from "./prune-timer.ts";
import { expiryOf, fromStoredSession, toStoredSession, type SessionLike } from "./session-payload.ts";
import { adapterStatementsFor, type AdapterStatements } from "./statements.ts";
import { WriteCache } from "./write-cache.ts";

// express-session's Store when it is installed (its `regenerate`, `load` and `createSession` are then
// inherited); a plain EventEmitter for @fastify/session users who do not have it.
const StoreBase: typeof ExpressStore = (() => {
  try {
    return (createRequire(import.meta.url)("express-session") as { Store: typeof ExpressStore }).Store;
  } catch {
    return EventEmitter as unknown as typeof ExpressStore;
  }
})();

interface StoredRow {
  a_session: string | null;
  expires_at: Date | null;
}

/** A session as returned by `all()`: its data plus its `id`. */
export type ListedSession = SessionData & { id: string };

/**
 * An express-session and @fastify/session store on the sessions table: one statement per operation,
 * expiry filtered in SQL, writes of unchanged data skipped, expired rows pruned in batches.
 * Every method takes an optional callback and otherwise returns a promise.
 */
export class PgSessionStore extends StoreBase {
  /** The underlying seed store (connection, table, error mapping). */
  readonly store: PostgresStore;
  readonly #ownsStore: boolean;
  readonly #options: NormalizedAdapterOptions;
  readonly #serializer: Serializer;
  readonly #statements: AdapterStatements;
  readonly #cache: WriteCache;
  readonly #now: () => number;
  readonly #pruner: PruneTimer | undefined;
  readonly #hash: ((sid: string) => string) | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: PgSessionStoreOptions) {
    super();
    this.#options = normalizeAdapterOptions(options);
    this.store = options.store ?? new PostgresStore(options);
    this.#ownsStore = options.store === undefined;
    this.#serializer = options.serializer ?? superjsonSerializer;
    this.#statements = adapterStatementsFor(this.store.table);
    this.#cache = new WriteCache(this.#options.cacheSize);
    this.#now = options.now ?? Date.now;
    this.#hash = idHasher(options.hashIds);
    const logger: Logger = options.logger ?? console;
    if (this.#options.pruneIntervalMs !== false) {
      this.#pruner = new PruneTimer(() => this.prune(), this.#options.pruneIntervalMs, logger);
      this.#pruner.start();
    }
  }

  /** The live session `sid`, or `null` when it is missing or expired. Errors are errors, never `null`. */
  override get(sid: string): Promise<SessionData | null>;
  override get(sid: string, callback: Callback<SessionData | null>): void;
  override get(sid: string, callback?: Callback<SessionData | null>): Promise<SessionData | null> | undefined {
    return settle(this.#get(sid), callback);
  }

  /** Saves a session in one statement; one whose lifetime is over is destroyed instead. */
  override set(sid: string, session: SessionData | SessionLike): Promise<void>;
  override set(sid: string, session: SessionData | SessionLike, callback: Callback<void>): void;
  override set(sid: string, session: SessionData | SessionLike, callback?: Callback<void>): Promise<void> | undefined {
    return settle(this.#set(sid, session as SessionLike), callback);
  }

  /** Extends a session's expiry without rewriting its data (skipped while within `touchAfter`). */
  override touch(sid: string, session: SessionData | SessionLike): Promise<void>;
  override touch(sid: string, session: SessionData | SessionLike, callback: Callback<void>): void;
  override touch(sid: string, session: SessionData | SessionLike, callback?: Callback<void>): Promise<void> | undefined {
    return settle(this.#touch(sid, session as SessionLike), callback);
  }

  override destroy(sid: string): Promise<void>;
  override destroy(sid: string, callback: Callback<void>): void;
  override destroy(sid: string, callback?: Callback<void>): Promise<void> | undefined {
    return settle(this.#destroy(sid), callback);
  }

  /** Every live session, each with its `id`. */
  override all(): Promise<ListedSession[]>;
  override all(callback: Callback<ListedSession[]>): void;
  override all(callback?: Callback<ListedSession[]>): Promise<ListedSession[]> | undefined {
    return settle(this.#all(), callback);
  }

  /** The ids of every live session. */
  ids(): Promise<string[]>;
  ids(callback: Callback<string[]>): void;
  ids(callback?: Callback<string[]>): Promise<string[]> | undefined {
    return settle(this.#ids(), callback);
  }

  /** The number of live sessions. */
  override length(): Promise<number>;
  override length(callback: Callback<number>): void;
  override length(callback?: Callback<number>): Promise<number> | undefined {
    return settle(this.#length(), callback);
  }

  /** Deletes every row of the table (all sessions, whoever wrote them). */
  override clear(): Promise<void>;
  override clear(callback: Callback<void>): void;
  override clear(callback?: Callback<void>): Promise<void> | undefined {
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

  async #get(sid: string): Promise<SessionData | null> {
    const key = this.#key(sid);
    const rows = await this.store.query<StoredRow>(this.#statements.get, [key, new Date(this.#now())], key);
    const row = rows[0];
    if (row === undefined) {
      this.#cache.forget(sid);
      return null;
    }
    const data = this.#decode(key, row.a_session);
    if (row.a_session !== null) this.#cache.remember(sid, { text: row.a_session, expiresAt: row.expires_at?.getTime() ?? Infinity });
    return fromStoredSession(data, row.expires_at) as unknown as SessionData;
  }

  async #set(sid: string, session: SessionLike): Promise<void> {
    const key = this.#key(sid);
    const now = this.#now();
    const expiresAt = expiryOf(session, now, this.#options.ttl);
    if (expiresAt <= now) return this.#destroy(sid);
    const text = encode(this.#serializer, toStoredSession(session), { sessionId: key, table: this.store.tableName });
    this.store.assertStorablePayload(text, key);
    const known = this.#cache.get(sid);
    if (known !== undefined && known.text === text && this.#withinTouchAfter(known.expiresAt, expiresAt, now)) return;
    const values = [key, text, new Date(expiresAt)];
    if (known === undefined) {
      await this.store.execute(this.#statements.upsert, values, key);
    } else if ((await this.store.execute(this.#statements.update, values, key)) === 0) {
      this.#cache.forget(sid);
      return;
    }
    this.#cache.remember(sid, { text, expiresAt });
  }

  async #touch(sid: string, session: SessionLike): Promise<void> {
    const key = this.#key(sid);
    const now = this.#now();
    const expiresAt = expiryOf(session, now, this.#options.ttl);
    if (expiresAt <= now) return this.#destroy(sid);
    const known = this.#cache.get(sid);
    if (known !== undefined && this.#withinTouchAfter(known.expiresAt, expiresAt, now)) return;
    const staleBefore = new Date(expiresAt - this.#touchAfterMs(expiresAt, now));
    const touched = await this.store.execute(this.#statements.touch, [key, new Date(now), new Date(expiresAt), staleBefore], key);
    if (known !== undefined && touched > 0) known.expiresAt = expiresAt;
  }

  async #destroy(sid: string): Promise<void> {
    const key = this.#key(sid);
    this.#cache.forget(sid);
    await this.store.execute(this.#statements.destroy, [key], key);
  }

  async #all(): Promise<ListedSession[]> {
    const rows = await this.store.query<StoredRow & { id: string }>(this.#statements.all, [new Date(this.#now())]);
    return rows.map((row) => ({ ...(fromStoredSession(this.#decode(row.id, row.a_session), row.expires_at) as unknown as SessionData), id: row.id }));
  }

  async #ids(): Promise<string[]> {
    const rows = await this.store.query<{ id: string }>(this.#statements.ids, [new Date(this.#now())]);
    return rows.map((row) => row.id);
  }

  async #length(): Promise<number> {
    const rows = await this.store.query<{ n: number }>(this.#statements.length, [new Date(this.#now())]);
    return rows[0]?.n ?? 0;
  }

  async #clear(): Promise<void> {
    this.#cache.clear();
    await this.store.execute(this.#statements.clear, []);
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
