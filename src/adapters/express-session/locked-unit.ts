// The locked read-modify-write of a framework session, shared by express-session's `lockedSession`
// (locked-route.ts) and @fastify/session's (../fastify/locked-session.ts). It imports neither framework:
// what differs between them is a `FrameworkBinding`.
//
// Why not `SessionManager.open`: it validates ids with Apache::Session's hex rule, and the frameworks'
// ids (24 random bytes in base64url) and `hashIds` keys are not hex; and it writes `_session_id` into the
// payload, which the frameworks would then see as session data. The unit below is the same thing on the
// same primitive — one `PostgresStore.transaction`, the row locked by `SELECT ... FOR UPDATE` for the life
// of `fn`, written back only if it changed — on the adapter's key and payload format.
import type { LockTurn } from "../../store/row-turns.ts";
import { lockInTurn } from "../../store/lock-timeout.ts";
import { AsyncLocalStorage } from "node:async_hooks";
import type { TransactionOptions } from "../../driver/driver.ts";
import { ReadOnlyFieldError, SessionClosedError, SessionNotFoundError, SessionReentryError } from "../../errors/store-errors.ts";
import { GuardedData } from "../../lifecycle/guarded-data.ts";
import { decodeForFramework, encode } from "../../serialization/codec.ts";
import type { Serializer } from "../../serialization/serializer.ts";
import type { PostgresStore } from "../../store/postgres-store.ts";
import { assertOnlyOptions, normalizeLockTimeout, normalizeTransactionOptions } from "../../store/store-options.ts";
import type { StoreTransaction } from "../../store/store-transaction.ts";
import type { Callback } from "./callback.ts";
import { adapterInternals } from "./adapter-internals.ts";
import { PgSessionStore } from "./pg-session-store.ts";
import { toStoredSession, type SessionLike } from "./session-payload.ts";
import type { Observer } from "../../observability/observer.ts";

/** Options of `lockedSession` (the serializer and `hashIds` are the store's own). */
export interface LockedSessionOptions {
  /**
   * Longest wait for the session's row lock, in ms (PostgreSQL `lock_timeout`, for the unit's
   * transaction only); longer raises LockTimeoutError. Unset: wait while the holder holds it, which its
   * `timeout` bounds. @default undefined
   */
  lockTimeout?: number;
  /** Longest life of a unit's transaction, in ms (it bounds how long the lock is held). @default the store's (5000) */
  timeout?: number;
  /** Longest wait for a connection to start a unit's transaction, in ms. @default the store's (2000) */
  maxWait?: number;
}

/**
 * Runs `fn` on the current request's session with its row locked, saves what `fn` changed, and leaves
 * the framework's copy of the session equal to what was committed. Resolves to what `fn` returns.
 */
export type LockedSession<D extends object, R> = <T>(request: R, fn: (data: D) => T | Promise<T>) => Promise<T>;

/** A framework session object, as the unit handles it. */
export type FrameworkSessionObject = SessionLike & { save: (...args: unknown[]) => unknown };

/** What the unit needs to know of one framework. */
export interface FrameworkBinding {
  /** The request's session, checked to be a live session of `store`; throws otherwise. */
  sessionOf(request: object, store: PgSessionStore): FrameworkSessionObject;
  /** The request's current session object, or undefined (no throw): to notice a replaced session. */
  currentSession(request: object): unknown;
  /** The id the store's `get`/`set`/`touch` take for this session. */
  idOf(session: FrameworkSessionObject): unknown;
  /** The framework's own save of this session (what creates a new session's row). */
  save(session: FrameworkSessionObject): Promise<void>;
  /**
   * What the session's `save(...args)` does when nothing changed since the unit: extend the expiry,
   * as the framework's touch does, and answer as the framework's `save` answers.
   */
  touchInstead(store: PgSessionStore, session: FrameworkSessionObject, callback: Callback<void> | undefined): unknown;
  /**
   * Whether the session's data changed since the framework loaded (or last saved) it: `undefined` when
   * the framework cannot tell (express-session keeps that to itself).
   */
  modifiedSinceLoad(session: FrameworkSessionObject): boolean | undefined;
  /** `req.session` / `request.session`, for messages. */
  readonly sessionName: string;
}

// Sessions whose row the current async context holds: locking one again would wait on itself.
const heldUnits = new AsyncLocalStorage<ReadonlySet<string>>();

// The state of each framework session object whose `save` is guarded (see `#guard`).
const guardedSaves = new WeakMap<object, { reference: string | undefined }>();

// No row for the key: told apart from a SessionNotFoundError that `fn` itself may throw.
class Missing {}

const optionKeys = ["lockTimeout", "timeout", "maxWait"] as const;

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not assignment: an own `__proto__` key must stay a key, not become the prototype.
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A session's payload as the adapter stores it: the cookie first, then the data. */
function payloadOf(cookie: unknown, data: Record<string, unknown>): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  if (cookie !== undefined) define(payload, "cookie", cookie);
  for (const key of Object.keys(data)) define(payload, key, data[key]);
  return payload;
}

/**
 * Whether the request's Cookie header carries session id `sid` (as is, or URI-encoded as the frameworks
 * write cookies; signed values hold the id in clear).
 */
function cookieCarries(request: object, sid: string): boolean {
  const header = (request as { headers?: { cookie?: unknown } }).headers?.cookie;
  if (typeof header !== "string" || sid.length === 0) return false;
  return header.includes(sid) || header.includes(encodeURIComponent(sid));
}

/** The locked units of one store, for one framework. */
export class LockedUnits<D extends object> {
  readonly #adapter: PgSessionStore;
  readonly #store: PostgresStore;
  readonly #serializer: Serializer;
  readonly #keyOf: (sid: string) => string;
  readonly #lockTimeout: number | undefined;
  readonly #transaction: TransactionOptions;
  readonly #binding: FrameworkBinding;
  readonly #observer: Observer;

  constructor(adapter: PgSessionStore, options: LockedSessionOptions, binding: FrameworkBinding) {
    if (!(adapter instanceof PgSessionStore)) {
      throw new TypeError("lockedSession takes the PgSessionStore that your session middleware uses");
    }
    if (typeof options !== "object" || options === null) throw new TypeError("lockedSession options must be an object");
    assertOnlyOptions(options, optionKeys, "lockedSession", " (the serializer and hashIds are the store's own)");
    const lockTimeout = normalizeLockTimeout(options.lockTimeout);
    this.#adapter = adapter;
    this.#store = adapter.store;
    const { serializer, keyOf, observer } = adapterInternals(adapter);
    this.#observer = observer;
    this.#serializer = serializer;
    this.#keyOf = keyOf;
    this.#lockTimeout = lockTimeout;
    this.#transaction = normalizeTransactionOptions({ timeout: options.timeout, maxWait: options.maxWait });
    this.#binding = binding;
  }

  run<T>(request: object, fn: (data: D) => T | Promise<T>): Promise<T> {
    return this.#observer.wraps ? this.#observer.run("lockedSession", () => this.#run(request, fn)) : this.#run(request, fn);
  }

  async #run<T>(request: object, fn: (data: D) => T | Promise<T>): Promise<T> {
    if (typeof fn !== "function") throw new TypeError("lockedSession(request, fn): fn must be a function");
    if (typeof request !== "object" || request === null)
      throw new TypeError("lockedSession(request, fn): request must be the framework's request");
    const session = this.#binding.sessionOf(request, this.#adapter);
    const sid = this.#binding.idOf(session);
    // Validated before any SQL, as the store validates it (InvalidSessionIdError).
    const key = this.#key(sid);
    if (typeof sid !== "string") throw new TypeError(`${this.#binding.sessionName} has no string id`);
    if (this.#hasPendingChanges(request, session, sid)) {
      throw new TypeError(
        `${this.#binding.sessionName} has changes that are not saved yet, made before this locked unit: the unit would replace them with ` +
          `the committed data. Make them inside the unit (on the data it passes to fn), or after it. Nothing was written.`,
      );
    }
    const held = await this.#enter(key);
    return heldUnits.run(held, async () => {
      let outcome: { result: T; data: Record<string, unknown> };
      try {
        outcome = await this.#lockAndRun(request, session, sid, key, fn);
      } catch (error) {
        // Whatever failed, the framework's end-of-request save must not write back the copy this request
        // read at its start over what other requests committed since: from here on it writes data only
        // if the request changes the session.
        this.#guard(session);
        throw error;
      }
      this.#copyInto(session, outcome.data);
      this.#guard(session);
      return outcome.result;
    });
  }

  // The row exists: one unit. It does not: either the session is new in this request (generated, never
  // saved), or it is gone since the request read it (destroyed by a logout in another tab, an admin,
  // pruned). The frameworks load a session only from the id their cookie carries, and a new one gets a
  // fresh random id that no cookie can carry: a request whose cookie carried this id read the session
  // from the store, so it is gone, and nothing is written (no resurrection). A new session is saved
  // first by the framework's own save, as it would be at the end of the request, then locked.
  async #lockAndRun<T>(request: object, session: FrameworkSessionObject, sid: string, key: string, fn: (data: D) => T | Promise<T>) {
    try {
      return await this.#unit(request, session, key, fn);
    } catch (error) {
      if (!(error instanceof Missing)) throw error;
    }
    if (!cookieCarries(request, sid)) {
      await this.#binding.save(session);
      try {
        return await this.#unit(request, session, key, fn);
      } catch (error) {
        if (!(error instanceof Missing)) throw error;
      }
    }
    throw new SessionNotFoundError(
      `Session ${key} no longer exists in ${this.#store.tableName}: it was destroyed (a logout elsewhere, an admin) or pruned after this request read it`,
      { sessionId: key, table: this.#store.tableName },
    );
  }

  #unit<T>(
    request: object,
    session: FrameworkSessionObject,
    key: string,
    fn: (data: D) => T | Promise<T>,
  ): Promise<{ result: T; data: Record<string, unknown> }> {
    return this.#store.lockedTransaction(
      key,
      this.#lockTimeout,
      async (tx, turn) => {
        const stored = this.#decode(key, await this.#lock(tx, key, turn));
        const storedCookie = stored["cookie"];
        const data: Record<string, unknown> = {};
        for (const name of Object.keys(stored)) if (name !== "cookie") define(data, name, stored[name]);
        // Compared with our own encoding of what was loaded, not the stored text: a row another
        // serializer wrote (format detection) is not rewritten just for being read.
        const loaded = this.#encode(key, payloadOf(storedCookie, data));
        const frameworkBefore = this.#dataText(session);
        let open = true;
        const guarded = new GuardedData(data, (name, atRoot) => {
          if (!open) {
            throw new SessionClosedError(`The locked unit of session ${key} has ended; start another to change it`, {
              sessionId: key,
              table: this.#store.tableName,
            });
          }
          if (atRoot && typeof name === "string" && this.#reserved(session, name)) {
            throw new ReadOnlyFieldError(
              name === "cookie"
                ? `The cookie of session ${key} is the framework's: change ${this.#binding.sessionName}.cookie, not the unit's data`
                : `"${name}" is a property of the framework's session object (${this.#binding.sessionName}.${name}); store the value under another key`,
              { sessionId: key, table: this.#store.tableName },
            );
          }
        });
        let result: T;
        try {
          result = await fn(guarded.root as D);
        } finally {
          open = false;
        }
        // The framework's copy is replaced by the committed data after the unit: changes made to it
        // meanwhile would be silently lost, so they are refused (nothing is written).
        if (
          this.#binding.currentSession(request) !== session ||
          (frameworkBefore !== undefined && this.#dataText(session) !== frameworkBefore)
        ) {
          throw new TypeError(
            `${this.#binding.sessionName} changed during the locked unit of session ${key}: inside the unit, change the data it passes to fn ` +
              `(or change ${this.#binding.sessionName} after the unit, where the framework saves it as usual, unlocked). Nothing was written.`,
          );
        }
        // The cookie the framework holds now (what its own save would store), else the stored one.
        const cookie =
          session.cookie === undefined || session.cookie === null ? storedCookie : toStoredSession({ cookie: session.cookie })["cookie"];
        const text = this.#encode(key, payloadOf(cookie, data));
        // The contract's UPDATE writes `a_session` only: `expires_at` stays as the framework last set it
        // (its end-of-request touch extends it, as on any request).
        if (text !== loaded) await tx.update({ id: key, serialized: text });
        return { result, data };
      },
      this.#transaction,
    );
  }

  async #lock(tx: StoreTransaction, key: string, turn: LockTurn): Promise<string | null> {
    const record = { id: key, serialized: null as string | null };
    try {
      const start = this.#observer.lockStart(turn);
      await lockInTurn(tx, turn, (lockTimeout) => tx.materialize(record, lockTimeout));
      this.#observer.lockTaken(key, "lockedSession", start);
      return record.serialized;
    } catch (error) {
      if (error instanceof SessionNotFoundError) throw new Missing();
      throw error;
    }
  }

  async #enter(key: string): Promise<ReadonlySet<string>> {
    const id = `${await this.#store.tableIdentity()}\0${key}`;
    const held = heldUnits.getStore();
    if (held?.has(id)) {
      throw new SessionReentryError(
        `Session ${key} is already locked by a unit of this request; a nested unit would wait for its own lock`,
        { sessionId: key, table: this.#store.tableName },
      );
    }
    return new Set([...(held ?? []), id]);
  }

  // Changes to the framework's copy that no save has written yet would be lost when the committed data
  // replaces it after the unit. Known after an earlier unit of this request (what it left), and for a
  // loaded session when the framework tells (@fastify/session's isModified). A new session's are not a
  // problem: the framework's own save writes them before its first unit.
  #hasPendingChanges(request: object, session: FrameworkSessionObject, sid: string): boolean {
    const state = guardedSaves.get(session);
    if (state !== undefined) return state.reference === undefined || this.#dataText(session) !== state.reference;
    return cookieCarries(request, sid) && this.#binding.modifiedSinceLoad(session) === true;
  }

  /** Replaces the framework session's data (not its cookie) with the committed data. */
  #copyInto(session: FrameworkSessionObject, data: Record<string, unknown>): void {
    for (const name of Object.keys(session)) if (name !== "cookie") Reflect.deleteProperty(session, name);
    // Keys the framework's object reserves are kept in the row but not copied, as the frameworks skip
    // them when they load a session (the unit refuses to write them).
    for (const name of Object.keys(data)) if (!this.#reserved(session, name)) define(session, name, data[name]);
  }

  /**
   * Makes the session's `save` — the framework's end-of-request save, and any the route calls —
   * write the session only if its data changed since the unit; otherwise it only extends the expiry
   * (the store's `touch`). An unlocked write of an unchanged copy could only put back an older state
   * over what another request committed after this unit. The cookie is left out of the comparison, as
   * both frameworks leave it out of their own "modified" hash: express-session's end-of-request
   * `touch()` recomputes `originalMaxAge` from two clock readings, so it drifts by a millisecond now
   * and then, and a cookie-only difference must not trigger a write of stale data.
   */
  #guard(session: FrameworkSessionObject): void {
    const reference = this.#dataText(session);
    const known = guardedSaves.get(session);
    if (known !== undefined) {
      known.reference = reference;
      return;
    }
    const state = { reference };
    guardedSaves.set(session, state);
    const original = session.save;
    const dataText = (s: FrameworkSessionObject) => this.#dataText(s);
    const { adapter, binding } = { adapter: this.#adapter, binding: this.#binding };
    Object.defineProperty(session, "save", {
      configurable: true,
      enumerable: false,
      writable: true,
      value: function save(this: FrameworkSessionObject, ...args: unknown[]): unknown {
        const now = dataText(session);
        if (state.reference === undefined || now !== state.reference) {
          // Changed after the unit: the framework's own save (unlocked, last writer wins, as without this helper).
          state.reference = now;
          return original.apply(this, args);
        }
        const callback = typeof args[0] === "function" ? (args[0] as Callback<void>) : undefined;
        return binding.touchInstead(adapter, session, callback);
      },
    });
  }

  // Keys the unit's data cannot have: the cookie, and whatever the framework's session object already
  // has that is not session data (methods, getters, its id and request): `save`, `id`, `sessionId`...
  #reserved(session: object, name: string): boolean {
    return name === "cookie" || name === "__proto__" || (name in session && !Object.prototype.propertyIsEnumerable.call(session, name));
  }

  /** The session's data (not its cookie) as the store would store it, or undefined if it cannot be encoded. */
  #dataText(session: FrameworkSessionObject): string | undefined {
    try {
      const plain = toStoredSession(session);
      delete plain["cookie"];
      return encode(this.#serializer, plain, { sessionId: "", table: this.#store.tableName });
    } catch {
      return undefined;
    }
  }

  // The key stored for a session id, as the adapter computes it: the id, or its hash.
  #key(sid: unknown): string {
    return this.#keyOf(sid as string);
  }

  #decode(key: string, text: string | null): Record<string, unknown> {
    return decodeForFramework(this.#serializer, text, { sessionId: key, table: this.#store.tableName });
  }

  #encode(key: string, data: Record<string, unknown>): string {
    return encode(this.#serializer, data, { sessionId: key, table: this.#store.tableName });
  }
}
