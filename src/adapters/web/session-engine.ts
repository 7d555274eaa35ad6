// The rows behind the web entries (the web core, Hono, React Router): the same rows PgSessionStore
// writes for express-session (session-payload.ts: the session's keys plus express's `cookie` field,
// the expiry in `expires_at`), through the same store methods, serializer, id hashing and statements.
// What this adds: write avoidance per request instead of per process (a session remembers what it
// read, see `StoredState`), and a row-locked unit of work on the adapter's rows.
import type { LockTurn } from "../../store/row-turns.ts";
import { lockInTurn } from "../../store/lock-timeout.ts";
import { lockQuery } from "../../table/timed-lock.ts";
import { randomBytes } from "node:crypto";
import { runOneRowWrite } from "../../coalescer/direct-rows.ts";
import type { StoredRow } from "../../coalescer/session-rows.ts";
import type { TransactionOptions } from "../../driver/driver.ts";
import { InvalidSessionIdError } from "../../errors/store-errors.ts";
import { decodeForFramework, encode } from "../../serialization/codec.ts";
import { superjsonSerializer, type Serializer } from "../../serialization/serializer.ts";
import { PostgresStore } from "../../store/postgres-store.ts";
import type { StoreTransaction } from "../../store/store-transaction.ts";
import {
  batchOptionKeys,
  connectionOptionKeys,
  normalizeLockTimeout,
  normalizeTransactionOptions,
  pickOptions,
  tableOptionKeys,
  transactionOptionKeys,
  type PostgresStoreOptions,
} from "../../store/store-options.ts";
import { rowStatementsFor, type RowStatements } from "../../table/row-statements.ts";
import { userStatementsFor } from "../../table/user-statements.ts";
import {
  adapterOptionKeys,
  normalizeAdapterOptions,
  type NormalizedAdapterOptions,
  type PgSessionStoreOptions,
} from "../express-session/adapter-options.ts";
import { idHasher } from "../express-session/id-hasher.ts";
import { PruneTimer } from "../express-session/prune-timer.ts";
import { toStoredSession } from "../express-session/session-payload.ts";
import { assertNodeRuntime } from "./runtime.ts";
import { touchWrite, withinTouchAfter } from "../../store/touch-after.ts";
import { ttlSecondsOf } from "../../store/session-ttl.ts";
import { cookieLifetimeSeconds } from "./session-cookie.ts";
import { eventSinkOf, SessionEventEmitter } from "../../observability/session-event-emitter.ts";
import { checkObservability, Observer } from "../../observability/observer.ts";
import { runPrune } from "../../observability/prune-run.ts";
import type { DestroyReason } from "../../observability/session-events.ts";
import type { ReadThrough } from "../../migration/read-through.ts";
import { readThroughOf } from "../express-session/migration-target.ts";
import { storableTime } from "../../table/storable-time.ts";

/**
 * The storage options of every web entry: PgSessionStore's (the same meaning and defaults, so a web
 * app and an express app on one table agree), plus the transaction options of the locked unit.
 */
export interface SessionStorageOptions
  extends Omit<PgSessionStoreOptions, "cacheSize" | "userId" | "device" | "absoluteTimeout" | "ttl">, TransactionOptions {
  /**
   * A number: how long a session with a browser-session cookie (no `maxAge` or `expires`) is kept, in
   * seconds. A function of the session's data (`(data) => data.rememberMe ? 30 * 86400 : 3600`):
   * called on every save, its result (seconds) is the lifetime of the row and of the cookie (its
   * `Max-Age`), whatever the cookie options say: in whole seconds (rounded down, as `Max-Age` has no
   * fractions), at most 400 days (the most browsers keep a cookie). `0`, or under 1 s, ends the session.
   * A result that is not a number of seconds ≥ 0 is a TypeError/RangeError, and nothing is written.
   * @default 86400
   */
  ttl?: number | ((data: Record<string, any>) => number);
  /**
   * Longest wait for a session's row lock in a locked unit, in ms (PostgreSQL `lock_timeout`, for that
   * transaction only); longer raises LockTimeoutError. Unset: wait while the holder holds it, which its
   * transaction `timeout` bounds. @default undefined
   */
  lockTimeout?: number;
}

// PgSessionStore's own options, but its write cache: a web session remembers what its request read.
const sharedAdapterKeys = adapterOptionKeys.filter((key) => key !== "cacheSize");

export const storageOptionKeys = [
  ...connectionOptionKeys,
  ...tableOptionKeys,
  ...batchOptionKeys,
  ...transactionOptionKeys,
  ...sharedAdapterKeys,
  "lockTimeout",
];

/** What a request knows of its session's row: the stored text and expiry it read or last wrote. */
export interface StoredState {
  text: string;
  /** ms since the epoch; `Infinity` for a row without expiry (the lifecycle API's). */
  expiresAt: number;
}

/** A live row, decoded: the app's keys (express's `cookie` field taken out) and what was stored. */
export interface LiveSession {
  data: Record<string, unknown>;
  stored: StoredState;
}

/** The writes of a locked unit, on its transaction (the row lock is held until it ends). */
export interface LockedWrites {
  /** The row `sid`, re-read under its lock; `undefined` when it is gone or expired. */
  readonly row: LiveSession | undefined;
  update(sid: string, text: string, expiresAt: number): Promise<number>;
  create(sid: string, text: string, expiresAt: number): Promise<void>;
  /** `reason` is what the `destroyed` event reports. @default "destroy" */
  remove(sid: string, reason?: DestroyReason): Promise<void>;
}

/**
 * A new session id: 24 random bytes in base64url (192 bits), 32 characters, as express-session's
 * default `genid` makes them (so they fit `char(32)`).
 */
export function generateWebSessionId(): string {
  return randomBytes(24).toString("base64url");
}

/** Ids a cookie may name when ids are hashed: printable ASCII (the store's rule), not absurdly long. */
const hashableId = /^[\x21-\x7e]{1,512}$/;

export class SessionEngine {
  readonly store: PostgresStore;
  readonly #ownsStore: boolean;
  readonly #options: NormalizedAdapterOptions;
  readonly #serializer: Serializer;
  readonly #hash: ((sid: string) => string) | undefined;
  readonly #statements: RowStatements["one"];
  readonly #lockStatement: string;
  readonly #lockWithinStatement: string;
  readonly #pruner: PruneTimer | undefined;
  readonly #lockTimeout: number | undefined;
  readonly #transaction: TransactionOptions;
  readonly #readThrough: ReadThrough | undefined;
  readonly now: () => number;
  /** Where the engine's events go: the WebSessions it serves, or an emitter of its own. */
  readonly events: SessionEventEmitter;
  readonly #observer: Observer;
  #closing: Promise<void> | undefined;

  constructor(options: SessionStorageOptions, events?: SessionEventEmitter) {
    // PgSessionStore's checks and defaults for the options both share (ttl, touchAfter, pruning, hashIds).
    this.#options = normalizeAdapterOptions(
      pickOptions(options as Record<string, unknown>, [
        ...connectionOptionKeys,
        ...tableOptionKeys,
        ...batchOptionKeys,
        ...sharedAdapterKeys,
      ]) as PgSessionStoreOptions,
    );
    const lockTimeout = normalizeLockTimeout(options.lockTimeout);
    this.#lockTimeout = lockTimeout;
    // Kept here too, so that they apply to the locked units with a given `store` as well.
    this.#transaction = normalizeTransactionOptions(options);
    this.#hash = idHasher(options.hashIds);
    // Before the store: a bad option must not leave a pool of our own open.
    const observability = checkObservability(options);
    this.store =
      options.store ??
      new PostgresStore(
        pickOptions(options as Record<string, unknown>, [
          ...connectionOptionKeys,
          ...tableOptionKeys,
          ...batchOptionKeys,
          ...transactionOptionKeys,
        ]) as PostgresStoreOptions,
      );
    this.#ownsStore = options.store === undefined;
    this.#serializer = options.serializer ?? superjsonSerializer;
    // The option was checked with the others, before the store was opened.
    this.#readThrough = readThroughOf(
      this.#options.readThrough,
      { store: this.store, serializer: this.#serializer, keyOf: (sid) => this.#keyOrThrow(sid) },
      options.hashIds,
      () => this.now(),
      options.logger ?? console,
    );
    if (this.#hash === undefined && this.store.maxIdLength < 32) {
      if (this.#ownsStore) void this.store.close();
      throw new RangeError(
        `The id column of ${this.store.tableName} holds ${this.store.maxIdLength} characters; session ids have 32 (use hashIds, or a column of at least 32)`,
      );
    }
    this.now = options.now ?? Date.now;
    const table = this.store.table;
    this.#statements = rowStatementsFor(table).one;
    const { lock, lockWithin } = userStatementsFor(table);
    this.#lockStatement = lock;
    this.#lockWithinStatement = lockWithin;
    this.events = events ?? new SessionEventEmitter(options.logger);
    this.#observer = new Observer(eventSinkOf(this.events), observability, this.store, this.now);
    if (this.#options.pruneIntervalMs !== false) {
      this.#pruner = new PruneTimer(() => this.prune(), this.#options.pruneIntervalMs, options.logger ?? console);
      this.#pruner.start();
    }
  }

  /** Whether `ttl` is a function of the session's data: it then decides the lifetime of the row and of the cookie. */
  get ttlIsFunction(): boolean {
    return typeof this.#options.ttl === "function";
  }

  /**
   * The lifetime `ttl` gives a session with `data` saved now, in ms: the number, or the function's
   * result for `data`, which is the cookie's Max-Age too: so it is taken as the cookie can carry it
   * (whole seconds, rounded down, so under 1 s ends the session; at most 400 days), and row and cookie
   * end together. @throws TypeError, RangeError when the function gives no number of seconds ≥ 0
   */
  ttlMsOf(data: Record<string, unknown>): number {
    const ttl = this.#options.ttl as number | ((data: Record<string, unknown>) => number);
    return (typeof ttl === "function" ? cookieLifetimeSeconds(ttlSecondsOf(ttl, data, "ttl(data)")) : ttl) * 1000;
  }

  /** The stored key of `sid`, or `undefined` for an id no row can have: such an id is never sent to SQL. */
  keyOf(sid: string): string | undefined {
    if (typeof sid !== "string") return undefined;
    if (this.#hash !== undefined) return hashableId.test(sid) ? this.#hash(sid) : undefined;
    try {
      this.store.assertStorableId(sid);
      return sid;
    } catch (error) {
      if (error instanceof InvalidSessionIdError) return undefined;
      throw error;
    }
  }

  /** The live session `sid`, or `undefined` (missing, expired, or an id no row can have: then no SQL). */
  read(sid: string): Promise<LiveSession | undefined> {
    return this.#observer.wraps ? this.#observer.run("read", () => this.#read(sid)) : this.#read(sid);
  }

  async #read(sid: string): Promise<LiveSession | undefined> {
    assertNodeRuntime();
    const key = this.keyOf(sid);
    if (key === undefined) return undefined;
    // During a cut-over (readThrough), a session not here yet is moved in from the old store's table.
    return this.#live(
      key,
      (await this.store.readRow(key)) ?? (this.#readThrough === undefined ? undefined : await this.#readThrough.take(sid)),
    );
  }

  /**
   * The text stored for `data` with express's `cookie` field. The app's data may not have its own
   * `cookie` key: express-session keeps the session cookie there.
   */
  encode(sid: string, data: Record<string, unknown>, cookie: Record<string, unknown>): string {
    if (typeof data !== "object" || data === null || Array.isArray(data)) throw new TypeError("Session data must be a plain object");
    if (Object.hasOwn(data, "cookie")) {
      throw new TypeError(
        "The session key `cookie` is reserved: express-session keeps the session cookie there (the rows are shared with it)",
      );
    }
    const key = this.#keyOrThrow(sid);
    // The cookie first, as express-session's sessions have it: the same session is then the same text.
    const text = encode(this.#serializer, toStoredSession({ cookie, ...data }), { sessionId: key, table: this.store.tableName });
    this.store.assertStorablePayload(text, key);
    return text;
  }

  /** Whether `data` differs from the app's data in `stored` (express's `cookie` field aside). */
  dataChanged(sid: string, data: Record<string, unknown>, stored: StoredState): boolean {
    return this.#dataText(sid, data) !== this.#dataText(sid, this.dataOf(sid, stored.text));
  }

  // The app's data as `encode` would store it, without the cookie: to tell whether it changed.
  #dataText(sid: string, data: Record<string, unknown>): string {
    return encode(this.#serializer, { ...data }, { sessionId: this.keyOf(sid) ?? "", table: this.store.tableName });
  }

  /** The app's data in a stored text (a fresh copy). */
  dataOf(sid: string, text: string): Record<string, unknown> {
    return withoutCookie(decodeForFramework(this.#serializer, text, { sessionId: this.keyOf(sid) ?? "", table: this.store.tableName }));
  }

  /**
   * Saves a session, writing only what changed since `known` (what this request read or last wrote):
   * nothing while only the expiry moved by less than `touchAfter`, the expiry alone when the data is
   * unchanged, the row otherwise. `known` is `"new"` for a session with no row yet (inserted), and
   * `undefined` when what the row holds is not known (updated). A row that went away meanwhile
   * (destroyed elsewhere) stays gone, never resurrected: the result is then `undefined`.
   */
  save(sid: string, text: string, expiresAt: number, known: StoredState | "new" | undefined): Promise<StoredState | undefined> {
    const observer = this.#observer;
    return observer.wraps ? observer.run("save", () => this.#save(sid, text, expiresAt, known)) : this.#save(sid, text, expiresAt, known);
  }

  async #save(sid: string, text: string, expiresAt: number, known: StoredState | "new" | undefined): Promise<StoredState | undefined> {
    assertNodeRuntime();
    const key = this.#keyOrThrow(sid);
    const now = this.now();
    if (expiresAt <= now) {
      if ((await this.store.writeRow({ kind: "destroy", ids: [key] })) > 0) this.#observer.destroyed(key, "destroy");
      return undefined;
    }
    if (known === "new") {
      // `created` only when the upsert inserted the row (its RETURNING tells): not for a row already there.
      if (
        (await this.store.writeRow({ kind: "upsert", id: key, text, expiresAt: storableTime(expiresAt), track: { at: new Date(now) } })) > 0
      )
        this.#observer.created(key);
      return { text, expiresAt };
    }
    if (known !== undefined && text === known.text) {
      if (withinTouchAfter(this.#options.touchAfter, known.expiresAt, expiresAt, now)) {
        this.#observer.writeSkipped(key, "save", "unchanged");
        return known;
      }
      await this.store.writeRow(touchWrite(key, this.#options.touchAfter, expiresAt, now));
      return { text, expiresAt };
    }
    const update = { kind: "update", id: key, text, expiresAt: storableTime(expiresAt), track: { at: new Date(now) } } as const;
    if ((await this.store.writeRow(update)) === 0) {
      // The row went away meanwhile (destroyed elsewhere): it stays gone.
      this.#observer.writeSkipped(key, "save", "gone");
      return undefined;
    }
    return { text, expiresAt };
  }

  /** Deletes session `sid` (nothing for an id no row can have); `reason` is what `destroyed` reports. */
  remove(sid: string, reason: DestroyReason = "destroy"): Promise<void> {
    return this.#observer.wraps ? this.#observer.run("remove", () => this.#remove(sid, reason)) : this.#remove(sid, reason);
  }

  async #remove(sid: string, reason: DestroyReason): Promise<void> {
    assertNodeRuntime();
    const key = this.keyOf(sid);
    // Its copy in the old store's table goes too, or the next read would move it in again: first, so
    // that a read moving it in meanwhile has committed before the delete below (see ReadThrough).
    if (this.#readThrough !== undefined) await this.#readThrough.forget([sid]);
    if (key !== undefined && (await this.store.writeRow({ kind: "destroy", ids: [key] })) > 0) this.#observer.destroyed(key, reason);
  }

  /**
   * One transaction holding the row lock of `sid` (`SELECT ... FOR UPDATE`) while `fn` runs: `fn` gets
   * the row as it is under the lock and writes through `LockedWrites`, in the same transaction.
   * Commits when `fn` resolves, rolls back when it throws.
   */
  locked<T>(sid: string, fn: (writes: LockedWrites) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.#observer.wraps ? this.#observer.run("lock", () => this.#locked(sid, fn, options)) : this.#locked(sid, fn, options);
  }

  async #locked<T>(sid: string, fn: (writes: LockedWrites) => Promise<T>, options: TransactionOptions): Promise<T> {
    assertNodeRuntime();
    const key = this.keyOf(sid);
    // The unit's created and destroyed events, fired once it has committed.
    const committed: Array<() => void> = [];
    const settings = { ...this.#transaction, ...options };
    const result = await (key === undefined
      ? this.store.transaction((tx) => fn(this.#writesOn(tx, undefined, committed)), settings)
      : this.store.lockedTransaction(
          key,
          this.#lockTimeout,
          async (tx, turn) => {
            const lockStart = this.#observer.lockStart(turn);
            const rows = await this.#lock(tx, key, turn);
            this.#observer.lockTaken(key, "lock", lockStart);
            return fn(this.#writesOn(tx, this.#live(key, rows[0]), committed));
          },
          settings,
        ));
    for (const report of committed) report();
    return result;
  }

  #lock(tx: StoreTransaction, key: string, turn: LockTurn): Promise<StoredRow[]> {
    return lockInTurn(tx, turn, (lockTimeout) =>
      tx.query<StoredRow>(...lockQuery(this.#lockStatement, this.#lockWithinStatement, key, lockTimeout)),
    );
  }

  /** Deletes expired rows in batches until none is left. @returns rows deleted */
  async prune(): Promise<number> {
    assertNodeRuntime();
    const { pruneBatchSize: batchSize } = this.#options;
    return this.#observer.run("prune", () =>
      runPrune(this.#observer, this.store, { expired: true, now: this.now(), batchSize, cutoff: null }),
    );
  }

  /** Stops pruning and closes the store if this engine created it. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#pruner?.stop();
      this.#observer.close();
      if (this.#ownsStore) await this.store.close();
    })();
    return this.#closing;
  }

  #writesOn(tx: StoreTransaction, row: LiveSession | undefined, committed: Array<() => void>): LockedWrites {
    const run = (op: Parameters<typeof runOneRowWrite>[2]) => runOneRowWrite(tx, this.#statements, op);
    return {
      row,
      // created_at (once) and last_active_at move with every write, as PgSessionStore's do.
      update: (sid, text, expiresAt) =>
        run({ kind: "update", id: this.#keyOrThrow(sid), text, expiresAt: storableTime(expiresAt), track: { at: new Date(this.now()) } }),
      create: async (sid, text, expiresAt) => {
        const key = this.#keyOrThrow(sid);
        if ((await run({ kind: "upsert", id: key, text, expiresAt: storableTime(expiresAt), track: { at: new Date(this.now()) } })) > 0)
          committed.push(() => this.#observer.created(key));
      },
      remove: async (sid, reason = "destroy") => {
        const key = this.keyOf(sid);
        // The old copy first, in the unit's transaction (on its connection: one PGlite has only one).
        if (this.#readThrough !== undefined) await this.#readThrough.forget([sid], tx);
        if (key !== undefined && (await run({ kind: "destroy", ids: [key] })) > 0)
          committed.push(() => this.#observer.destroyed(key, reason));
      },
    };
  }

  #live(key: string, row: StoredRow | undefined): LiveSession | undefined {
    // A NULL expiry (the lifecycle API's rows, an Apache::Session app's) never expires, as in PgSessionStore.
    if (row === undefined || (row.expires_at !== null && row.expires_at.getTime() <= this.now())) {
      if (row !== undefined) this.#observer.expiredOnRead(key, row.expires_at!.getTime(), "expired");
      return undefined;
    }
    const data = decodeForFramework(this.#serializer, row.a_session, { sessionId: key, table: this.store.tableName });
    // a_session is not NULL here: decode refuses a NULL payload.
    return { data: withoutCookie(data), stored: { text: row.a_session!, expiresAt: row.expires_at?.getTime() ?? Infinity } };
  }

  #keyOrThrow(sid: string): string {
    const key = this.keyOf(sid);
    if (key !== undefined) return key;
    if (this.#hash === undefined) this.store.assertStorableId(sid); // throws, with the store's message
    throw new InvalidSessionIdError(`Invalid session ID: ${JSON.stringify(sid)}`, { sessionId: sid, table: this.store.tableName });
  }
}

/** The app's keys of a stored session: express's `cookie` field is the cookie's, not the app's. */
function withoutCookie(data: Record<string, unknown>): Record<string, unknown> {
  const { cookie: _cookie, ...rest } = data;
  return rest;
}
