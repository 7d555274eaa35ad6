// The events PgSessionStore, SessionManager and WebSessions emit (`store.on("created", (event) => ...)`).
// No event carries a session id, a stored key or session data: a session is named by its `handle`
// (see `SessionEventBase`), which opens nothing, so events can go to logs as they are.

/** What every event carries. */
export interface SessionEventBase {
  /** The sessions table (as given: `sessions`, `app.sessions`). */
  table: string;
  /** When it happened, in ms since the epoch (the layer's clock: PgSessionStore's `now` option). */
  at: number;
}

/** An event about one session row. */
export interface SessionRowEvent extends SessionEventBase {
  /**
   * The session's handle: the first 128 bits of SHA-256 of its stored key, in hex — the `handle` that
   * `userSessions()` lists for that row. Neither the session id nor (with `hashIds`) the stored key:
   * a handle opens no session, so it may be logged.
   */
  handle: string;
}

/**
 * A new session row was inserted (a save that updated a row already there, e.g. one another app server
 * created, fires none: the upsert's RETURNING tells which).
 */
export interface SessionCreatedEvent extends SessionRowEvent {}

/** Why a row was deleted. */
export type DestroyReason = "destroy" | "revoke" | "rotate";

/**
 * A session row was deleted on request: a destroy or delete (`destroy`), a revoke of a user's sessions
 * (`revoke`), or the old id of a rotated session (`rotate`). Not fired by `prune` (see `pruned`), nor
 * by `clear()`, nor for a row that was already gone.
 */
export interface SessionDestroyedEvent extends SessionRowEvent {
  reason: DestroyReason;
}

/**
 * A read (a `get`, `open`, `read`, a web `load` or `lock`) found the row of a session whose life is
 * over, not yet pruned, and treated it as missing.
 */
export interface SessionExpiredOnReadEvent extends SessionRowEvent {
  /** When it ended, in ms since the epoch. */
  expiredAt: number;
  /** Past its expiry (`expires_at`), or past the layer's `absoluteTimeout` (from its creation). */
  reason: "expired" | "absoluteTimeout";
}

/** A prune run (the background timer's, or a call of `prune()`) finished. Fired with `count: 0` too. */
export interface SessionsPrunedEvent extends SessionEventBase {
  /** Rows deleted. */
  count: number;
  /** How long the run took, in ms. */
  durationMs: number;
  /**
   * How long the oldest row this run deleted had been expired, in ms: how far pruning lags behind.
   * `undefined` when it deleted no expired row (rows past the absolute timeout do not count).
   */
  lagMs: number | undefined;
}

/** Taking a session's row lock (`SELECT ... FOR UPDATE`) took at least the layer's `lockWaitThreshold`. */
export interface SessionLockWaitedEvent extends SessionRowEvent {
  /** The locking operation: `open`, `rotate` (SessionManager), `lockedSession` (express, fastify), `lock` (web). */
  operation: string;
  /** How long the lock statement took, in ms (a round trip included). */
  waitedMs: number;
  /** The threshold it crossed, in ms. */
  thresholdMs: number;
}

/**
 * A write the framework asked for was not sent: `unchanged` — it would have written back what this
 * request read, with an expiry within `touchAfter` of the stored one (write avoidance); `gone` — the
 * session was destroyed or revoked while the request ran, and is not brought back: a `set` or `touch`
 * of a session this process destroyed, or a `set` or `save` of changed data whose update found no row
 * (a touch that finds no row is not reported: its statement cannot tell a gone row from a fresh one).
 */
export interface SessionWriteSkippedEvent extends SessionRowEvent {
  /** `set`, `touch` (PgSessionStore), `save` (the web entries' commit). */
  operation: string;
  reason: "unchanged" | "gone";
}

/**
 * An operation failed; its caller gets the error too (this event only reports it). Not named `error`:
 * an EventEmitter throws an `error` event that has no listener, which would crash an app that never
 * subscribed.
 */
export interface SessionOperationFailedEvent extends SessionEventBase {
  /** The failed operation: `get`, `set`, `open`, `save`... (the span's and metric's `session.operation`). */
  operation: string;
  /**
   * What it threw: a SessionStoreError (which names the session by its handle; its `sessionId` is not
   * enumerable, so loggers leave it out), or what your callback threw inside a unit of work.
   */
  error: unknown;
  /** How long it ran before failing, in ms. */
  durationMs: number;
}

/** Every event by name, with its payload. */
export interface SessionEventMap {
  created: SessionCreatedEvent;
  destroyed: SessionDestroyedEvent;
  expiredOnRead: SessionExpiredOnReadEvent;
  pruned: SessionsPrunedEvent;
  lockWaited: SessionLockWaitedEvent;
  writeSkipped: SessionWriteSkippedEvent;
  operationFailed: SessionOperationFailedEvent;
}

export type SessionEventName = keyof SessionEventMap;

export type SessionEventListener<K extends SessionEventName> = (event: SessionEventMap[K]) => void;

export const sessionEventNames: readonly SessionEventName[] = [
  "created",
  "destroyed",
  "expiredOnRead",
  "pruned",
  "lockWaited",
  "writeSkipped",
  "operationFailed",
];

/** The typed subscription methods the three layers share. */
export interface SessionEventSource {
  on<K extends SessionEventName>(event: K, listener: SessionEventListener<K>): this;
  once<K extends SessionEventName>(event: K, listener: SessionEventListener<K>): this;
  off<K extends SessionEventName>(event: K, listener: SessionEventListener<K>): this;
}
