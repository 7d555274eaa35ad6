import type { TransactionOptions } from "../../driver/driver.ts";
import { SessionReentryError } from "../../errors/store-errors.ts";
import type { PostgresStore } from "../../store/postgres-store.ts";
import { assertOnlyOptions } from "../../store/store-options.ts";
import { UnsavedChangesError } from "./errors.ts";
import { assertNodeRuntime } from "./runtime.ts";
import { SessionEventEmitter } from "../../observability/session-event-emitter.ts";
import {
  clearingSetCookie,
  normalizeSessionCookie,
  readSessionId,
  sessionSetCookie,
  storedCookie,
  type SessionCookie,
  type SessionCookieOptions,
} from "./session-cookie.ts";
import {
  generateWebSessionId,
  SessionEngine,
  storageOptionKeys,
  type LockedWrites,
  type SessionStorageOptions,
  type StoredState,
} from "./session-engine.ts";

/** Options of {@link WebSessions}: where sessions are stored (PgSessionStore's options) and the cookie. */
export interface WebSessionsOptions extends SessionStorageOptions {
  /** Secret(s) signing the cookie: the first signs, every one verifies (rotate by putting the new one first). As express-session's `secret`. */
  secret: string | readonly string[];
  /** The cookie's name. @default "connect.sid" (express-session's, so the two share sessions as configured by default) */
  name?: string;
  /** The cookie's attributes; `maxAge` in seconds. */
  cookie?: SessionCookieOptions;
  /** Store (and send the cookie of) a new session that nothing was put in. @default false */
  saveUninitialized?: boolean;
}

/** Where the `Cookie` header comes from: a `Request`, its `Headers`, the header's value, or nothing. */
export type CookieSource = Request | Headers | { headers: Headers } | string | null | undefined;

/** The data of a session, as the app declares it: keys optional, since a new session starts empty. */
export type SessionValues = Record<string, any>;

interface SessionState {
  id: string;
  data: Record<string, unknown>;
  /** The row of `id` as this request knows it (read or written); `undefined`: no row for `id` yet. */
  stored: StoredState | undefined;
  isNew: boolean;
  /** Ids whose rows the next commit (or the locked unit) deletes, after writing the new one: rotated or destroyed. */
  replaces: string[];
  /** Destroyed: when nothing is left to store, the response removes the cookie. */
  cleared: boolean;
  locked: boolean;
}

let stateOf: (session: WebSession<any>) => SessionState;
let ownerOf: (session: WebSession<any>) => WebSessions<any>;

/**
 * One request's session: its id, its data (change it freely, at any depth: what is stored is compared
 * at commit), and what to do with it (rotate, destroy, lock). Made by {@link WebSessions.load}.
 */
export class WebSession<D extends object = SessionValues> {
  readonly #state: SessionState;
  readonly #owner: WebSessions<D>;

  static {
    stateOf = (session) => session.#state;
    ownerOf = (session) => session.#owner;
  }

  /** @internal Use {@link WebSessions.load}. */
  constructor(owner: WebSessions<D>, state: SessionState) {
    this.#owner = owner;
    this.#state = state;
  }

  /** The session id (the cookie's value, signed). Changes on `rotate()` and `destroy()`. */
  get id(): string {
    return this.#state.id;
  }

  /** The session's data; a new session's is `{}`. Assign an object to replace it all. The key `cookie` is express-session's. */
  get data(): Partial<D> {
    return this.#state.data as Partial<D>;
  }

  set data(value: Partial<D>) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError("Session data must be a plain object");
    this.#state.data = value as Record<string, unknown>;
  }

  /** True when the request brought no live session (no cookie, a bad or stale one), or after `destroy()`. */
  get isNew(): boolean {
    return this.#state.isNew;
  }

  /**
   * Gives the session a new id, keeping its data: the session-fixation defence, after a login. The old
   * id stops working when the change is saved (commit, or the end of the locked unit it happens in).
   */
  rotate(): void {
    const state = this.#state;
    if (state.stored !== undefined) state.replaces.push(state.id);
    state.id = generateWebSessionId();
    state.stored = undefined;
  }

  /**
   * Ends the session: its row is deleted at commit, which then removes the cookie. What is put in the
   * session afterwards starts a new one, with a new id (a flash message after logout, say).
   */
  destroy(): void {
    this.rotate();
    this.#state.data = {};
    this.#state.isNew = true;
    this.#state.cleared = true;
  }

  /** {@link WebSessions.lock} on this session. */
  lock<T>(fn: (session: WebSession<D>) => T | Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.#owner.lock(this, fn, options);
  }

  /** {@link WebSessions.commit} of this session. */
  commit(): Promise<string | undefined> {
    return this.#owner.commit(this);
  }
}

/**
 * Sessions for Web-standard `Request` / `Response` code (any framework, or none): the session cookie
 * of express-session (same name by default, same signature) and its rows (PgSessionStore's), so an
 * express app and this one share sessions.
 *
 *     const session = await sessions.load(request);
 *     session.data.views = (session.data.views ?? 0) + 1;
 *     const setCookie = await sessions.commit(session);
 *     return new Response("ok", { headers: setCookie ? { "Set-Cookie": setCookie } : {} });
 *
 * Its events (`sessions.on("created", ...)`, see `SessionEventMap`) are its engine's: operations
 * `read`, `save`, `remove`, `lock`, `prune`.
 */
export class WebSessions<D extends object = SessionValues> extends SessionEventEmitter {
  // Private, so that logging this object never prints the secrets.
  readonly #cookie: SessionCookie;
  readonly #engine: SessionEngine;
  readonly #saveUninitialized: boolean;

  constructor(options: WebSessionsOptions) {
    super(options?.logger);
    if (typeof options !== "object" || options === null)
      throw new TypeError("WebSessions options must be an object with `secret` and `store`, `prisma`, `datasourceUrl` or `pgPool`");
    assertOnlyOptions(options, [...storageOptionKeys, "secret", "name", "cookie", "saveUninitialized"], "WebSessions");
    this.#cookie = normalizeSessionCookie(options.name, options.secret, options.cookie as SessionCookieOptions & Record<string, unknown>);
    if (options.saveUninitialized !== undefined && typeof options.saveUninitialized !== "boolean")
      throw new TypeError("saveUninitialized must be a boolean");
    this.#saveUninitialized = options.saveUninitialized ?? false;
    const { secret: _secret, name: _name, cookie: _cookie, saveUninitialized: _save, ...storage } = options;
    this.#engine = new SessionEngine(storage, this);
  }

  /** The cookie settings in force (name, attributes), without the secrets. */
  get cookie(): Omit<SessionCookie, "secrets"> {
    const { secrets: _secrets, ...settings } = this.#cookie;
    return settings;
  }

  /** The underlying store (connection, table). */
  get store(): PostgresStore {
    return this.#engine.store;
  }

  /**
   * The request's session: the one its cookie names when the cookie is ours (signed with one of the
   * secrets) and the session is live; otherwise a new, empty one with a new id. A missing, malformed,
   * unsigned or wrongly signed cookie costs no SQL and raises nothing; neither does an id no row can
   * have. One `SELECT` otherwise.
   */
  async load(source: CookieSource): Promise<WebSession<D>> {
    assertNodeRuntime();
    const sid = readSessionId(cookieHeaderOf(source), this.#cookie);
    const live = sid === undefined ? undefined : await this.#engine.read(sid);
    return this.#session({
      id: live === undefined ? generateWebSessionId() : sid!,
      data: live?.data ?? {},
      stored: live?.stored,
      isNew: live === undefined,
      replaces: [],
      cleared: false,
      locked: false,
    });
  }

  /**
   * Saves the session and returns the `Set-Cookie` header value for the response, or `undefined` when
   * there is nothing to set (a new session nothing was put in, unless `saveUninitialized`). Writes only
   * what changed since this request read the session: nothing, the expiry, or the row. Deletes the rows
   * of rotated-away and destroyed ids. The cookie is sent on every commit that keeps a session, so its
   * browser-side expiry follows the stored one (express-session's `rolling`).
   */
  async commit(session: WebSession<D>): Promise<string | undefined> {
    assertNodeRuntime();
    const state = this.#state(session);
    if (state.locked) {
      throw new SessionReentryError(
        "commit() of a session inside its own lock(): it would wait for its own row lock. The locked unit saves its changes when it ends.",
        { table: this.store.tableName },
      );
    }
    let setCookie: string | undefined;
    if (this.#keeps(state)) {
      const now = this.#engine.now();
      const { at, cookieExpires, cookie } = this.#expiry(now, state.data);
      const text = this.#engine.encode(state.id, state.data, storedCookie(cookie, cookieExpires));
      const saved = await this.#engine.save(state.id, text, at, state.stored ?? "new");
      state.stored = saved;
      // Gone while this request ran (destroyed elsewhere, e.g. a logout in another tab): it stays gone.
      if (saved === undefined) state.cleared = true;
      else setCookie = sessionSetCookie(cookie, state.id, now);
    }
    for (const old of state.replaces.splice(0)) await this.#engine.remove(old, state.cleared ? "destroy" : "rotate");
    return setCookie ?? (state.cleared ? clearingSetCookie(this.#cookie) : undefined);
  }

  /**
   * Destroys the session now and returns the `Set-Cookie` header value that removes its cookie
   * (`session.destroy()` then `commit`).
   */
  async destroy(session: WebSession<D>): Promise<string> {
    session.destroy();
    return (await this.commit(session)) ?? clearingSetCookie(this.#cookie);
  }

  /**
   * A locked unit of work for a read-modify-write: one transaction holding the session's row lock
   * (`SELECT ... FOR UPDATE`) while `fn` runs, so concurrent requests of one user take turns (two
   * concurrent increments of a counter end at 2). `session`'s data is re-read under the lock before
   * `fn` sees it; what `fn` changes (rotate and destroy included) is written in the same transaction.
   * Afterwards `session` holds what was committed, so a later `commit` writes nothing more (it still
   * returns the cookie); if `fn` throws, nothing is written and `session` holds the stored state.
   *
   * A session with no row yet (new) has nothing to lock: `fn` runs on it, and `commit` stores it.
   * @throws UnsavedChangesError when the session was changed before (those changes would be lost)
   * @throws SessionReentryError from inside its own lock
   */
  async lock<T>(session: WebSession<D>, fn: (session: WebSession<D>) => T | Promise<T>, options: TransactionOptions = {}): Promise<T> {
    assertNodeRuntime();
    const state = this.#state(session);
    if (state.locked) {
      throw new SessionReentryError("The session is already locked by this request; locking it again would wait for its own lock", {
        table: this.store.tableName,
      });
    }
    if (this.#hasUnsavedChanges(state)) {
      throw new UnsavedChangesError(
        "The session was changed before lock(); the locked unit re-reads it under its row lock, which would drop those changes. " +
          "Commit them first, or make them inside lock().",
        { table: this.store.tableName },
      );
    }
    state.locked = true;
    try {
      if (state.stored === undefined) return await fn(session);
      const lockedId = state.id;
      let asLocked: StoredState | undefined;
      try {
        const { result, stored } = await this.#engine.locked(
          lockedId,
          async (writes) => {
            if (writes.row === undefined) {
              // Gone or expired since the request read it: a new session, with a new id.
              this.#renew(state);
              return { result: await fn(session), stored: undefined };
            }
            asLocked = writes.row.stored;
            state.data = writes.row.data;
            state.stored = writes.row.stored;
            const result = await fn(session);
            return { result, stored: await this.#writeLocked(writes, state, lockedId) };
          },
          options,
        );
        if (asLocked !== undefined) state.stored = stored;
        return result;
      } catch (error) {
        if (asLocked !== undefined) {
          // Rolled back: the row is as the lock read it, and so is the session.
          Object.assign(state, {
            id: lockedId,
            data: this.#engine.dataOf(lockedId, asLocked.text),
            stored: asLocked,
            replaces: [],
            cleared: false,
            isNew: false,
          });
        }
        throw error;
      }
    } finally {
      state.locked = false;
    }
  }

  /** Deletes expired rows (for cron jobs and serverless, where no background prune runs). @returns rows deleted */
  prune(): Promise<number> {
    return this.#engine.prune();
  }

  /** Stops pruning and closes the store if this object opened it. */
  close(): Promise<void> {
    return this.#engine.close();
  }

  // Inside the locked unit, after `fn`: the writes it calls for, on the locked transaction.
  async #writeLocked(writes: LockedWrites, state: SessionState, lockedId: string): Promise<StoredState | undefined> {
    const now = this.#engine.now();
    const keep = this.#keeps(state);
    const { at, cookieExpires, cookie } = keep ? this.#expiry(now, state.data) : { at: now, cookieExpires: null, cookie: this.#cookie };
    const text = keep ? this.#engine.encode(state.id, state.data, storedCookie(cookie, cookieExpires)) : undefined;
    let stored = state.stored;
    if (state.id === lockedId) {
      // Unchanged data: nothing to write under the lock (commit moves the expiry if due).
      if (text !== undefined && text !== stored!.text) {
        await writes.update(lockedId, text, at);
        stored = { text, expiresAt: at };
      }
      return stored;
    }
    // Rotated or destroyed inside the unit: the new row first, then the old one goes, in one transaction.
    stored = undefined;
    if (text !== undefined) {
      await writes.create(state.id, text, at);
      stored = { text, expiresAt: at };
    }
    for (const old of state.replaces.splice(0)) await writes.remove(old, state.cleared ? "destroy" : "rotate");
    return stored;
  }

  // Whether commit stores the session: it has a row, or something in it, or it is a rotated one. After
  // destroy(), only what was put in it since starts a new session (saveUninitialized aside).
  #keeps(state: SessionState): boolean {
    if (state.stored !== undefined || Object.keys(state.data).length > 0) return true;
    return !state.cleared && (this.#saveUninitialized || state.replaces.length > 0);
  }

  #hasUnsavedChanges(state: SessionState): boolean {
    if (state.replaces.length > 0) return true;
    return state.stored !== undefined && this.#engine.dataChanged(state.id, state.data, state.stored);
  }

  #renew(state: SessionState): void {
    Object.assign(state, { id: generateWebSessionId(), data: {}, stored: undefined, isNew: true });
  }

  // When a session saved now expires, and the cookie it is sent and stored with: a ttl function's
  // lifetime for its data, which the cookie's Max-Age then matches; else the cookie's lifetime; else
  // `ttl` for a browser-session cookie.
  #expiry(now: number, data: Record<string, unknown>): { at: number; cookieExpires: Date | null; cookie: SessionCookie } {
    if (this.#engine.ttlIsFunction) {
      const ms = this.#engine.ttlMsOf(data);
      return { at: now + ms, cookieExpires: new Date(now + ms), cookie: { ...this.#cookie, maxAge: ms / 1000, expires: undefined } };
    }
    const { maxAge, expires } = this.#cookie;
    if (maxAge !== undefined) return { at: now + maxAge * 1000, cookieExpires: new Date(now + maxAge * 1000), cookie: this.#cookie };
    if (expires !== undefined) return { at: expires.getTime(), cookieExpires: expires, cookie: this.#cookie };
    return { at: now + this.#engine.ttlMsOf(data), cookieExpires: null, cookie: this.#cookie };
  }

  #session(state: SessionState): WebSession<D> {
    return new WebSession<D>(this, state);
  }

  #state(session: WebSession<D>): SessionState {
    if (!(session instanceof WebSession) || ownerOf(session) !== this) {
      throw new TypeError("Not a session of this WebSessions: use the one its load() returned");
    }
    return stateOf(session);
  }
}

function cookieHeaderOf(source: CookieSource): string | undefined {
  if (typeof source === "string") return source;
  if (typeof source !== "object" || source === null) return undefined;
  const headers = "headers" in source ? source.headers : source;
  return typeof headers?.get === "function" ? (headers.get("cookie") ?? undefined) : undefined;
}
