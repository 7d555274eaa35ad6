// React Router's SessionStorage on PostgreSQL, built with React Router's own `createSessionStorage`
// (its Session objects, flash messages, commit / destroy flow), given a cookie of express-session's
// format instead of React Router's `createCookie` (which stores base64 JSON of the id with its own
// signature): an express app and a React Router app on one domain then share one session and one table.
import { AsyncLocalStorage } from "node:async_hooks";
import { createSession, createSessionStorage, type Cookie, type Session, type SessionData, type SessionStorage } from "react-router";
import type { TransactionOptions } from "../../driver/driver.ts";
import { SessionNotFoundError, SessionReentryError } from "../../errors/store-errors.ts";
import type { PostgresStore } from "../../store/postgres-store.ts";
import { assertOnlyOptions } from "../../store/store-options.ts";
import { UnsavedChangesError } from "../web/errors.ts";
import { assertNodeRuntime } from "../web/runtime.ts";
import type { SessionEventSource } from "../../observability/session-events.ts";
import {
  clearingSetCookie,
  normalizeSessionCookie,
  readSessionId,
  sessionSetCookie,
  storedCookie,
  type LifetimeOverride,
  type SessionCookie,
  type SessionCookieOptions,
} from "../web/session-cookie.ts";
import {
  generateWebSessionId,
  SessionEngine,
  storageOptionKeys,
  type SessionStorageOptions,
  type StoredState,
} from "../web/session-engine.ts";

/** The cookie, as React Router's `createSessionStorage({ cookie })` takes it: name, secrets, attributes (`maxAge` in seconds). */
export interface PgSessionCookieOptions extends SessionCookieOptions {
  /** @default "connect.sid" (express-session's, so the two share sessions as configured by default) */
  name?: string;
  /** The first signs, every one verifies (put a new secret first to rotate). Required: session cookies must be signed. */
  secrets: string[];
}

export interface PgSessionStorageOptions extends SessionStorageOptions {
  cookie: PgSessionCookieOptions;
}

/** React Router's `SessionStorage`, plus rotation, a locked unit of work, pruning and closing. */
export interface PgSessionStorage<Data = SessionData, FlashData = Data> extends SessionStorage<Data, FlashData> {
  /**
   * A session with `session`'s data (flash values included) and, once committed, a new id: the
   * session-fixation defence after a login. `commitSession` of the returned session stores it under its
   * new id and deletes the old row; until then the old id keeps working.
   */
  rotateSession(session: Session<Data, FlashData>): Session<Data, FlashData>;
  /**
   * A locked unit of work for a read-modify-write: one transaction holding the session's row lock
   * (`SELECT ... FOR UPDATE`) while `fn` runs, so concurrent requests of one user take turns (two
   * concurrent increments end at 2). `session` (from `getSession`) is refreshed from the row under the
   * lock, `fn` changes it, and what changed is written in the same transaction; afterwards `session`
   * holds what was committed, so `commitSession` writes no data again (it still returns the cookie). If
   * `fn` throws, nothing is written and `session` holds the stored state. A new session (no id yet) has
   * nothing to lock: `fn` runs on it and `commitSession` stores it.
   * @throws UnsavedChangesError when `session` was changed before (those changes would be lost)
   * @throws SessionNotFoundError when the session was destroyed or expired since `getSession`
   */
  lockSession<T>(
    session: Session<Data, FlashData>,
    fn: (session: Session<Data, FlashData>) => T | Promise<T>,
    options?: TransactionOptions,
  ): Promise<T>;
  /** The session cookie (React Router's `Cookie` interface, express-session's format). */
  readonly cookie: Cookie;
  /** The underlying store (connection, table). */
  readonly store: PostgresStore;
  /**
   * Its events: `storage.events.on("created", ...)` (see `SessionEventMap`); operations `read`, `save`,
   * `remove`, `lock`, `prune`.
   */
  readonly events: SessionEventSource;
  /** Deletes expired rows (for cron jobs and serverless). @returns rows deleted */
  prune(): Promise<number>;
  /** Stops pruning and closes the store if this storage opened it. */
  close(): Promise<void>;
}

/** What the wrapped calls pass down to the storage strategy's functions, which see only ids and data. */
interface CallScope {
  /** getSession: the row that readData found. */
  found?: StoredState;
  /** commitSession: what this session's row held when read or last written. */
  known?: StoredState | undefined;
  /** commitSession: ids the rotated session replaces, deleted once the new row is written. */
  replaces?: string[] | undefined;
  /** commitSession: what was written. */
  written?: StoredState | undefined;
  /** commitSession, with a ttl function: the lifetime it gave (seconds), which the cookie's Max-Age matches. */
  lifetime?: number | undefined;
}

/**
 * React Router session storage in PostgreSQL (PgSessionStore's rows), with express-session's cookie.
 *
 *     export const { getSession, commitSession, destroySession } = createPgSessionStorage({
 *       pgPool, cookie: { secrets: [process.env.SESSION_SECRET!], maxAge: 86_400, secure: true },
 *     });
 */
export function createPgSessionStorage<Data = SessionData, FlashData = Data>(
  options: PgSessionStorageOptions,
): PgSessionStorage<Data, FlashData> {
  if (typeof options !== "object" || options === null)
    throw new TypeError(
      "createPgSessionStorage options must be an object with `cookie` and `store`, `prisma`, `datasourceUrl` or `pgPool`",
    );
  assertOnlyOptions(options, [...storageOptionKeys, "cookie"], "createPgSessionStorage");
  if (typeof options.cookie !== "object" || options.cookie === null)
    throw new TypeError("cookie must be an object with `secrets` (and name, maxAge, ...)");
  const { name, secrets, ...attributes } = options.cookie;
  const settings = normalizeSessionCookie(name, secrets, attributes as SessionCookieOptions & Record<string, unknown>, "cookie.secrets");
  const { cookie: _cookie, ...storage } = options;
  const engine = new SessionEngine(storage);
  const scopes = new AsyncLocalStorage<CallScope>();
  // What each session object's row held when read or last written: write avoidance per request.
  const known = new WeakMap<object, StoredState>();
  // Sessions made by rotateSession, and the ids whose rows their commit deletes.
  const rotated = new WeakMap<object, string[]>();
  const locked = new WeakSet<object>();
  const cookie = sessionCookieOf(settings, engine.now, () => scopes.getStore()?.lifetime);

  // When a session saved now expires, and its cookie as express stores it. A ttl function decides alone
  // (over the cookie's maxAge or expires and commitSession's): its lifetime for the data, kept in the
  // scope for the cookie's Max-Age.
  const expiry = (expires: Date | undefined, data: unknown) => {
    if (engine.ttlIsFunction) {
      const ms = engine.ttlMsOf(data as Record<string, unknown>);
      const scope = scopes.getStore();
      if (scope !== undefined) scope.lifetime = ms / 1000;
      const at = engine.now() + ms;
      return { at, stored: storedCookie({ ...settings, maxAge: ms / 1000, expires: undefined }, new Date(at)) };
    }
    const at = expires !== undefined ? expires.getTime() : engine.now() + engine.ttlMsOf(data as Record<string, unknown>);
    return { at, stored: storedCookie(settings, expires ?? null) };
  };

  const inner = createSessionStorage<Data, FlashData>({
    cookie,
    async createData(data, expires) {
      const scope = scopes.getStore();
      const id = generateWebSessionId();
      const { at, stored } = expiry(expires, data);
      const text = engine.encode(id, data as Record<string, unknown>, stored);
      const written = await engine.save(id, text, at, "new");
      for (const old of scope?.replaces ?? []) await engine.remove(old, "rotate");
      if (scope !== undefined) scope.written = written;
      return id;
    },
    async readData(id) {
      const live = await engine.read(id);
      const scope = scopes.getStore();
      if (live !== undefined && scope !== undefined) scope.found = live.stored;
      return (live?.data ?? null) as never;
    },
    async updateData(id, data, expires) {
      const scope = scopes.getStore();
      const { at, stored } = expiry(expires, data);
      const text = engine.encode(id, data as Record<string, unknown>, stored);
      // Only what changed since this request read it: a request that changed nothing does not write its
      // copy over what others committed since. A row destroyed meanwhile stays gone.
      const written = await engine.save(id, text, at, scope?.known);
      if (scope !== undefined) scope.written = written;
    },
    async deleteData(id) {
      // A new session (id "") has no row.
      if (id !== "") await engine.remove(id);
    },
  });

  const refuseLocked = (session: object, what: string) => {
    if (locked.has(session)) {
      throw new SessionReentryError(
        `${what} of a session inside its own lockSession(): it would wait for its own row lock. The locked unit saves its changes when it ends.`,
        {
          table: engine.store.tableName,
        },
      );
    }
  };

  return {
    cookie,
    store: engine.store,
    events: engine.events,
    async getSession(cookieHeader, parseOptions) {
      assertNodeRuntime();
      const scope: CallScope = {};
      const session = await scopes.run(scope, () => inner.getSession(cookieHeader, parseOptions));
      if (session.id === "") return session;
      // The cookie named a session that is gone (or an id no row can have): a new session, whose id is
      // made at commit — never the id the cookie supplied (createSessionStorage would keep it).
      if (scope.found === undefined) return createSession<Data, FlashData>();
      known.set(session, scope.found);
      return session;
    },
    async commitSession(session, serializeOptions) {
      assertNodeRuntime();
      refuseLocked(session, "commitSession()");
      const scope: CallScope = { known: known.get(session), replaces: rotated.get(session) };
      const setCookie = await scopes.run(scope, () => inner.commitSession(session, serializeOptions));
      rotated.delete(session);
      if (scope.written !== undefined) known.set(session, scope.written);
      else known.delete(session);
      // Gone while this request ran (destroyed elsewhere): it stays gone, and so does the cookie.
      if (session.id !== "" && scope.written === undefined) return clearingSetCookie(settings);
      return setCookie;
    },
    async destroySession(session, serializeOptions) {
      assertNodeRuntime();
      refuseLocked(session, "destroySession()");
      known.delete(session);
      for (const old of rotated.get(session) ?? []) await engine.remove(old);
      rotated.delete(session);
      return inner.destroySession(session, serializeOptions);
    },
    rotateSession(session) {
      const fresh = createSession<Data, FlashData>(session.data as Data);
      rotated.set(fresh, [...(rotated.get(session) ?? []), ...(session.id === "" ? [] : [session.id])]);
      return fresh;
    },
    async lockSession(session, fn, transactionOptions = {}) {
      assertNodeRuntime();
      refuseLocked(session, "lockSession()");
      if (rotated.has(session)) throw unsaved(engine.store.tableName);
      if (session.id === "") {
        locked.add(session);
        try {
          return await fn(session);
        } finally {
          locked.delete(session);
        }
      }
      const before = known.get(session);
      if (before !== undefined && engine.dataChanged(session.id, session.data as Record<string, unknown>, before))
        throw unsaved(engine.store.tableName);
      locked.add(session);
      let asLocked: StoredState | undefined;
      try {
        const { result, written } = await engine.locked(
          session.id,
          async (writes) => {
            if (writes.row === undefined) {
              throw new SessionNotFoundError("The session was destroyed or expired while this request ran", {
                table: engine.store.tableName,
              });
            }
            asLocked = writes.row.stored;
            replaceData(session, writes.row.data);
            const result = await fn(session);
            const { at, stored } = expiry(cookie.expires, session.data);
            const text = engine.encode(session.id, session.data as Record<string, unknown>, stored);
            if (text === writes.row.stored.text) return { result, written: writes.row.stored };
            await writes.update(session.id, text, at);
            return { result, written: { text, expiresAt: at } };
          },
          transactionOptions,
        );
        known.set(session, written);
        return result;
      } catch (error) {
        // Rolled back: the row is as the lock read it, and so is the session.
        if (asLocked !== undefined) {
          replaceData(session, engine.dataOf(session.id, asLocked.text));
          known.set(session, asLocked);
        }
        throw error;
      } finally {
        locked.delete(session);
      }
    },
    prune: () => engine.prune(),
    close: () => engine.close(),
  };
}

// Messages never name the session id: it is a credential, and error messages end up in logs.
function unsaved(table: string): UnsavedChangesError {
  return new UnsavedChangesError(
    "The session was changed (or rotated) before lockSession(); the locked unit re-reads it under its row lock, which would drop those changes. " +
      "Commit them first, or make them inside lockSession().",
    { table },
  );
}

/** Makes a React Router session hold exactly `data` (its `data` getter returns a copy, so through set/unset). */
function replaceData(session: Session<any, any>, data: Record<string, unknown>): void {
  for (const key of Object.keys(session.data)) session.unset(key);
  for (const key of Object.keys(data)) session.set(key, data[key]);
}

/**
 * React Router's `Cookie` interface with express-session's value format: `parse` returns the verified
 * session id (or `null`), `serialize` signs an id (or, for `""`, removes the cookie, as
 * `destroySession` asks).
 */
function sessionCookieOf(settings: SessionCookie, now: () => number, lifetime: () => number | undefined): Cookie {
  return {
    get name() {
      return settings.name;
    },
    get isSigned() {
      return true;
    },
    get expires() {
      return settings.maxAge !== undefined ? new Date(now() + settings.maxAge * 1000) : settings.expires;
    },
    async parse(cookieHeader) {
      return readSessionId(cookieHeader, settings) ?? null;
    },
    async serialize(value, serializeOptions) {
      if (value === "") return clearingSetCookie(settings);
      if (typeof value !== "string") throw new TypeError("This cookie holds a session id (a string)");
      // A ttl function's lifetime for the session being committed wins, so the cookie matches the row.
      const seconds = lifetime();
      const override: LifetimeOverride =
        seconds !== undefined ? { maxAge: seconds } : { maxAge: serializeOptions?.maxAge, expires: serializeOptions?.expires };
      return sessionSetCookie(settings, value, now(), override);
    },
  };
}
