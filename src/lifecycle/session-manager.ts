import { lockInTurn } from "../store/lock-timeout.ts";
import { lockQuery } from "../table/timed-lock.ts";
import type { LockTurn } from "../store/row-turns.ts";
import { AsyncLocalStorage } from "node:async_hooks";
import { DuplicateSessionIdError, ReadOnlyFieldError, SessionNotFoundError, SessionReentryError } from "../errors/store-errors.ts";
import { decode, encode } from "../serialization/codec.ts";
import { superjsonSerializer, type Serializer } from "../serialization/serializer.ts";
import { PostgresStore } from "../store/postgres-store.ts";
import { assertOnlyOptions, normalizeTransactionOptions } from "../store/store-options.ts";
import {
  assertUserId,
  normalizeAbsoluteTimeout,
  pastAbsoluteTimeout,
  storedIp,
  storedUserAgent,
  UserSessionQueries,
  type FindSessionsQuery,
  type RevokeUserSessionsOptions,
  type SessionOwner,
  type UserSessionPage,
  type UserSessionsOptions,
} from "../store/user-sessions.ts";
import type { TransactionOptions } from "../driver/driver.ts";
import type { SessionRecord } from "../store/session-record.ts";
import type { StoreTransaction } from "../store/store-transaction.ts";
import {
  assertManagerOptions,
  managerDefaults,
  normalizeManagerTouchAfter,
  normalizeManagerTtl,
  storeOptionsOf,
  type SessionManagerOptions,
} from "./manager-options.ts";
import { ttlSecondsOf } from "../store/session-ttl.ts";
import { withinTouchAfter } from "../store/touch-after.ts";
import { normalizeStoreOptions } from "../store/store-options.ts";
import { OpenSession, type Session, type SessionData } from "./session.ts";
import { assertSessionId, generateSessionId } from "./session-id.ts";
import { eventSinkOf, SessionEventEmitter } from "../observability/session-event-emitter.ts";
import { checkObservability, Observer } from "../observability/observer.ts";
import { runPrune } from "../observability/prune-run.ts";

/** A session's data at one moment, outside any unit of work. */
export interface SessionSnapshot<D extends SessionData = SessionData> {
  id: string;
  data: D;
}

/** A page of `findSessions`: the sessions' committed data, in id order. */
export interface FoundSnapshots<D extends SessionData = SessionData> {
  sessions: Array<SessionSnapshot<D>>;
  /** Give it as `after` for the next page; `undefined` on the last page. */
  next: string | undefined;
}

const ownerKeys = ["userId", "userAgent", "ip"] as const;

/** A locked row: with `ttl` or an absolute timeout, its stored expiry too (NULL: none). */
type LockedRecord = SessionRecord & { expiresAt?: Date | null };

// Sessions whose row the current async context holds: opening one of them again would wait on itself.
const heldSessions = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * The `tie %session, 'Apache::Session::Postgres', $id` of this library: create, open (locked, for one
 * unit of work), read, rotate and delete sessions.
 */
export class SessionManager<D extends SessionData = SessionData> extends SessionEventEmitter {
  readonly store: PostgresStore;
  readonly #ownsStore: boolean;
  readonly #serializer: Serializer;
  readonly #idLength: number;
  readonly #maxIdLength: number;
  readonly #lockTimeout: number | undefined;
  readonly #transaction: TransactionOptions;
  readonly #absoluteTimeoutMs: number | undefined;
  readonly #ttl: number | ((data: D) => number) | undefined;
  readonly #touchAfter: number | undefined;
  readonly #users: UserSessionQueries;
  readonly #observer: Observer;

  constructor(options: SessionManagerOptions<D>) {
    super();
    assertManagerOptions(options);
    // Every check before the store: a store built here opens a pool, which a throw after it would leak.
    const maxIdLength = options.store?.maxIdLength ?? normalizeStoreOptions(storeOptionsOf(options)).maxIdLength;
    const idLength = options.idLength ?? managerDefaults.idLength;
    if (!Number.isInteger(idLength) || idLength < 16 || idLength > maxIdLength) {
      throw new RangeError(
        `idLength must be a whole number from 16 (64 bits) to the id column's width (${maxIdLength}), got ${String(idLength)}`,
      );
    }
    this.#idLength = idLength;
    this.#maxIdLength = maxIdLength;
    this.#lockTimeout = options.lockTimeout;
    this.#transaction = normalizeTransactionOptions(options);
    this.#absoluteTimeoutMs = normalizeAbsoluteTimeout(options.absoluteTimeout);
    this.#ttl = normalizeManagerTtl(options.ttl);
    this.#touchAfter = normalizeManagerTouchAfter(options.touchAfter, options.ttl);
    const observability = checkObservability(options);
    this.store = options.store ?? new PostgresStore(storeOptionsOf(options));
    this.#observer = new Observer(eventSinkOf(this), observability, this.store, Date.now);
    this.#ownsStore = options.store === undefined;
    this.#serializer = options.serializer ?? superjsonSerializer;
    this.#users = new UserSessionQueries(this.store, Date.now, this.#absoluteTimeoutMs);
  }

  /**
   * Creates a session with a new id; the row is inserted and committed at once (visible to all), with
   * its creation time and, when given, its user (`userId`: then `userSessions(userId)` lists it and
   * `revokeUserSessions(userId)` ends it) and device (`userAgent`, up to 512 characters; `ip`).
   */
  create(data: Partial<Omit<D, "_session_id">> = {}, owner: SessionOwner = {}): Promise<SessionSnapshot<D>> {
    return this.#observer.wraps ? this.#observer.run("create", () => this.#create(data, owner)) : this.#create(data, owner);
  }

  async #create(data: Partial<Omit<D, "_session_id">> = {}, owner: SessionOwner = {}): Promise<SessionSnapshot<D>> {
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw new TypeError("Session data must be a plain object");
    }
    if (Object.hasOwn(data, "_session_id")) {
      throw new ReadOnlyFieldError("_session_id is assigned by the manager", { table: this.store.tableName });
    }
    if (typeof owner !== "object" || owner === null) throw new TypeError("create's second argument must be { userId?, userAgent?, ip? }");
    assertOnlyOptions(owner, ownerKeys, "SessionManager.create");
    if (owner.userId !== undefined) assertUserId(owner.userId);
    const columns = [owner.userId ?? null, storedUserAgent(owner.userAgent), storedIp(owner.ip)];
    // A collision of 128 random bits does not happen; with a short idLength it can, so retry a little.
    for (let attempt = 1; ; attempt++) {
      const id = generateSessionId(this.#idLength);
      const full = { ...data, _session_id: id } as unknown as D;
      try {
        const text = this.#encode(id, full);
        this.store.assertStorablePayload(text, id);
        const now = Date.now();
        const expiresAt = this.#expiryOf(full, now);
        if (expiresAt !== null && expiresAt.getTime() <= now) {
          throw new RangeError("ttl(data) gave a new session no lifetime (under 1 ms): it would have ended already, so it is not created");
        }
        const values = [id, text, new Date(now), ...columns, expiresAt];
        await this.store.alone((tx) => tx.execute(this.#users.statements.insert, values, id));
        this.#observer.created(id);
        return { id, data: full };
      } catch (error) {
        if (!(error instanceof DuplicateSessionIdError) || attempt === 3) throw error;
      }
    }
  }

  /**
   * Opens session `id` for one unit of work: one transaction, the row locked (`FOR UPDATE`) until `fn`
   * settles. What `fn` changed is saved (only if it changed), a delete is carried out, and the lock is
   * released. With `ttl`, an open is activity: it extends the expiry even when nothing changed (then
   * with the expiry alone, once the stored one is more than `touchAfter` behind). If `fn` throws,
   * nothing is written and its error reaches you.
   * @throws SessionNotFoundError, InvalidSessionIdError, SessionReentryError, LockTimeoutError, CorruptPayloadError
   */
  open<T>(id: string, fn: (session: Session<D>) => T | Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.#observer.wraps ? this.#observer.run("open", () => this.#open(id, fn, options)) : this.#open(id, fn, options);
  }

  async #open<T>(id: string, fn: (session: Session<D>) => T | Promise<T>, options: TransactionOptions = {}): Promise<T> {
    this.#assertId(id);
    // Checked before anything runs; the manager's own were checked at construction.
    const transaction = { ...this.#transaction, ...normalizeTransactionOptions(options) };
    const held = await this.#enter(id);
    let session: OpenSession<D> | undefined;
    let removed = false;
    try {
      const result = await this.store.lockedTransaction(
        id,
        this.#lockTimeout,
        async (tx, turn) => {
          const loaded = await this.#load(tx, id, turn);
          session = loaded.session;
          const result = await heldSessions.run(held, () => fn(session!));
          const settlement = session.settle();
          session.end();
          if (settlement.action === "update") {
            // With `ttl`, the save sets the expiry from the saved data; a lifetime of 0 ends the session.
            const now = Date.now();
            const expiresAt = this.#expiryOf(session.data, now);
            if (expiresAt !== null && expiresAt.getTime() <= now) removed = (await tx.remove({ id })) > 0;
            else if ((await this.#update(tx, id, settlement.serialized, now, expiresAt)) !== 1) throw this.#notFound(id);
          } else if (settlement.action === "remove") {
            removed = (await tx.remove({ id })) > 0;
          } else if (this.#ttl !== undefined) {
            // Unchanged data: the idle lifetime slides all the same (an open is activity), by the expiry alone.
            removed = await this.#touch(tx, id, session.data, loaded.expiresAt);
          }
          return result;
        },
        transaction,
      );
      if (removed) this.#observer.destroyed(id, "destroy");
      return result;
    } finally {
      session?.end();
    }
  }

  /**
   * The committed state of session `id`, without taking its lock. A peek, not activity: it does not
   * extend a `ttl` (`open` does). @throws SessionNotFoundError
   */
  read(id: string): Promise<SessionSnapshot<D>> {
    return this.#observer.wraps ? this.#observer.run("read", () => this.#read(id)) : this.#read(id);
  }

  async #read(id: string): Promise<SessionSnapshot<D>> {
    this.#assertId(id);
    if (this.#absoluteTimeoutMs === undefined && this.#ttl === undefined) {
      const record = await this.store.fetch({ id, serialized: null });
      return { id, data: this.#decode(id, record.serialized) as D };
    }
    const row = await this.store.readRow(id);
    if (row === undefined) throw this.#notFound(id);
    this.#assertLive(id, row);
    return { id, data: this.#decode(id, row.a_session) as D };
  }

  /**
   * Gives session `id` a new id (session-fixation defence): same data, old row gone, in one
   * transaction, so a concurrent reader finds either the old id or the new one.
   * @returns the new id
   */
  rotate(id: string): Promise<string> {
    return this.#observer.wraps ? this.#observer.run("rotate", () => this.#rotate(id)) : this.#rotate(id);
  }

  async #rotate(id: string): Promise<string> {
    this.#assertId(id);
    const held = await this.#enter(id);
    const rotated = await heldSessions.run(held, () =>
      this.store.lockedTransaction(
        id,
        this.#lockTimeout,
        async (tx, turn) => {
          const lockStart = this.#observer.lockStart(turn);
          const record = await this.#lock(tx, id, turn);
          this.#observer.lockTaken(id, "rotate", lockStart);
          const data = this.#decode(id, record.serialized);
          const newId = generateSessionId(this.#idLength);
          data["_session_id"] = newId;
          const text = this.#encode(newId, data);
          this.store.assertStorablePayload(text, newId);
          // The new row keeps the old one's user, device, creation time (the absolute timeout goes on) and expiry.
          await tx.execute(this.#users.statements.rotate, [id, newId, text, new Date()], newId);
          await tx.remove({ id });
          return newId;
        },
        this.#transaction,
      ),
    );
    this.#observer.created(rotated);
    this.#observer.destroyed(id, "rotate");
    return rotated;
  }

  /** Deletes session `id`. @returns whether it existed (deleting twice is harmless). */
  delete(id: string): Promise<boolean> {
    return this.#observer.wraps ? this.#observer.run("delete", () => this.#delete(id)) : this.#delete(id);
  }

  async #delete(id: string): Promise<boolean> {
    this.#assertId(id);
    const deleted = (await this.store.remove({ id })) > 0;
    if (deleted) this.#observer.destroyed(id, "destroy");
    return deleted;
  }

  /**
   * A page of `userId`'s live sessions, newest first (created, last active, device when stored; see
   * `UserSession`). Entries carry a `handle`, not the session id: a listing can be shown to its user.
   * Give `current` (a session id) to mark the caller's own. One indexed statement.
   */
  async userSessions(userId: string, options: UserSessionsOptions = {}): Promise<UserSessionPage> {
    if (options.current !== undefined) this.#assertId(options.current);
    return this.#users.list(userId, options.current, options);
  }

  /** The number of `userId`'s live sessions. One indexed statement. */
  async countUserSessions(userId: string): Promise<number> {
    return this.#users.count(userId);
  }

  /** Deletes one session of `userId` by the `handle` a listing gave. @returns whether there was such a session */
  async revokeUserSession(userId: string, handle: string): Promise<boolean> {
    const revoked = await this.#users.revokeOne(userId, handle);
    if (revoked !== undefined) this.#observer.destroyed(revoked.key, "revoke");
    return revoked !== undefined;
  }

  /**
   * Deletes every session of `userId` but `except` (a session id: "log out everywhere else"), in one
   * indexed statement; expired ones too. A unit of work holding one of them makes it wait for that
   * unit's end. @returns the number of live sessions ended
   */
  async revokeUserSessions(userId: string, options: RevokeUserSessionsOptions = {}): Promise<number> {
    assertUserId(userId);
    if (options.except !== undefined) this.#assertId(options.except);
    const { keys, live } = await this.#users.revokeAll(userId, options.except);
    for (const key of keys) this.#observer.destroyed(key, "revoke");
    return live;
  }

  /**
   * Live sessions whose data holds `equals` at `path` (`{ path: ["user", "email"], equals: "a@b" }`),
   * a page at a time in id order: Apache::Session::Browseable's search, in SQL on superjson's JSON.
   * An expression index on the path makes it one index scan (see the README).
   * @throws NonJsonPayloadError when the serializer does not write superjson, or a row is not valid JSON;
   * CorruptPayloadError for a found row that cannot be decoded
   */
  async findSessions(query: FindSessionsQuery): Promise<FoundSnapshots<D>> {
    const { rows, next } = await this.#users.find(query, this.#serializer);
    return { sessions: rows.map((row) => ({ id: row.id, data: this.#decode(row.id, row.a_session) as D })), next };
  }

  /**
   * Deletes the sessions past `absoluteTimeout`, and with `ttl` the rows whose expiry has passed (the
   * adapter's too: the same rule as its prune), `batchSize` rows per statement (by the creation-time and
   * expiry indexes, skipping rows a unit of work holds). @returns rows deleted
   * @throws TypeError without `absoluteTimeout` or `ttl` (the lifecycle's sessions then never end)
   */
  async prune(batchSize = 1000): Promise<number> {
    if (this.#absoluteTimeoutMs === undefined && this.#ttl === undefined) {
      throw new TypeError(
        "prune() deletes sessions past absoluteTimeout or their ttl, and this manager has neither: set absoluteTimeout or ttl",
      );
    }
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
    return this.#observer.run("prune", () => {
      const now = Date.now();
      const timeout = this.#absoluteTimeoutMs;
      return runPrune(this.#observer, this.store, {
        // Expired rows only with `ttl`: without it, the lifecycle's rows have no expiry.
        expired: this.#ttl !== undefined,
        now,
        batchSize,
        cutoff: timeout === undefined ? null : new Date(now - timeout),
        more: () => this.#users.pruneTimedOut(batchSize),
      });
    });
  }

  /** Closes the store if this manager created it. */
  close(): Promise<void> {
    this.#observer.close();
    return this.#ownsStore ? this.store.close() : Promise.resolve();
  }

  async #load(tx: StoreTransaction, id: string, turn: LockTurn): Promise<{ session: OpenSession<D>; expiresAt: Date | null }> {
    const lockStart = this.#observer.lockStart(turn);
    const record = await this.#lock(tx, id, turn);
    this.#observer.lockTaken(id, "open", lockStart);
    const data = this.#decode(id, record.serialized);
    data["_session_id"] = id;
    // Compare against our own serialization of what was loaded, not the stored text: a row written by
    // another serializer or without `_session_id` is not "modified" just for being re-encoded.
    const loaded = this.#encode(id, data);
    const session = new OpenSession<D>(id, data, loaded, (d) => this.#encode(id, d), this.store.tableName);
    return { session, expiresAt: record.expiresAt ?? null };
  }

  // An open with `ttl` that changed nothing: the expiry `data` gives now, written alone (an UPDATE of
  // expires_at and last_active_at) once the stored one is more than `touchAfter` behind it, or earlier
  // than it; nothing otherwise. A stored NULL (a row from before `ttl`) never expires and is left so.
  // A lifetime of 0 deletes the session, as at a save. @returns whether the row was deleted
  async #touch(tx: StoreTransaction, id: string, data: D, stored: Date | null): Promise<boolean> {
    const now = Date.now();
    const expiresAt = this.#expiryOf(data, now)!;
    if (expiresAt.getTime() <= now) return (await tx.remove({ id })) > 0;
    if (stored === null || withinTouchAfter(this.#touchAfter, stored.getTime(), expiresAt.getTime(), now)) return false;
    if ((await tx.execute(this.#users.statements.touch, [id, new Date(now), expiresAt], id)) !== 1) throw this.#notFound(id);
    return false;
  }

  // The contract's UPDATE, moving last_active_at too, and with `ttl` the expiry (null: left as it is).
  #update(tx: StoreTransaction, id: string, text: string, now: number, expiresAt: Date | null): Promise<number> {
    this.store.assertStorablePayload(text, id);
    return tx.execute(this.#users.statements.update, [id, text, new Date(now), expiresAt], id);
  }

  // The expiry a write at `now` gives a session with `data`: now + `ttl` (its result for `data`, when a
  // function), or null without `ttl`. @throws TypeError, RangeError for a ttl function's bad result
  #expiryOf(data: D, now: number): Date | null {
    const ttl = this.#ttl;
    if (ttl === undefined) return null;
    return new Date(now + (typeof ttl === "function" ? ttlSecondsOf(ttl, data, "ttl(data)") : ttl) * 1000);
  }

  // `materialize`; with an absolute timeout or `ttl`, it reads the creation time and expiry too and
  // refuses a session past either.
  async #materialize(tx: StoreTransaction, id: string, lockTimeout: string | undefined): Promise<LockedRecord> {
    if (this.#absoluteTimeoutMs === undefined && this.#ttl === undefined) return tx.materialize({ id, serialized: null }, lockTimeout);
    const { lock, lockWithin } = this.#users.statements;
    const [sql, values] = lockQuery(lock, lockWithin, id, lockTimeout);
    const [row] = await tx.query<{ a_session: string | null; created_at: Date | null; expires_at: Date | null }>(sql, values, id);
    if (row === undefined) throw this.#notFound(id);
    this.#assertLive(id, row);
    return { id, serialized: row.a_session, expiresAt: row.expires_at };
  }

  // An expired row (with `ttl`; a NULL expiry never expires) or one past the absolute timeout is a missing one.
  #assertLive(id: string, row: { created_at: Date | null; expires_at: Date | null }): void {
    const now = Date.now();
    if (pastAbsoluteTimeout(row.created_at, now, this.#absoluteTimeoutMs)) {
      this.#observer.expiredOnRead(id, row.created_at!.getTime() + this.#absoluteTimeoutMs!, "absoluteTimeout");
      throw this.#timedOut(id);
    }
    if (this.#ttl !== undefined && row.expires_at !== null && row.expires_at.getTime() <= now) {
      this.#observer.expiredOnRead(id, row.expires_at.getTime(), "expired");
      throw new SessionNotFoundError(`Session ${id} has expired: it was last written more than its ttl ago`, {
        sessionId: id,
        table: this.store.tableName,
      });
    }
  }

  #lock(tx: StoreTransaction, id: string, turn: LockTurn): Promise<LockedRecord> {
    return lockInTurn(tx, turn, (lockTimeout) => this.#materialize(tx, id, lockTimeout));
  }

  async #enter(id: string): Promise<ReadonlySet<string>> {
    const key = `${await this.store.tableIdentity()}\0${id}`;
    const held = heldSessions.getStore();
    if (held?.has(key)) {
      throw new SessionReentryError(`Session ${id} is already open in this unit of work; opening it again would wait for its own lock`, {
        sessionId: id,
        table: this.store.tableName,
      });
    }
    return new Set([...(held ?? []), key]);
  }

  #assertId(id: unknown): asserts id is string {
    assertSessionId(id, this.#maxIdLength, this.store.tableName);
  }

  #encode(id: string, data: unknown): string {
    return encode(this.#serializer, data, { sessionId: id, table: this.store.tableName });
  }

  #decode(id: string, text: string | null): Record<string, unknown> {
    return decode(this.#serializer, text, { sessionId: id, table: this.store.tableName });
  }

  #timedOut(id: string): SessionNotFoundError {
    return new SessionNotFoundError(
      `Session ${id} has ended: it was created more than absoluteTimeout (${this.#absoluteTimeoutMs! / 1000} s) ago`,
      {
        sessionId: id,
        table: this.store.tableName,
      },
    );
  }

  #notFound(id: string): SessionNotFoundError {
    return new SessionNotFoundError("Object does not exist in the data store", { sessionId: id, table: this.store.tableName });
  }
}
