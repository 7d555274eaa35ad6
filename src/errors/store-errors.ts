import { SessionStoreError, type SessionErrorContext } from "./session-store-error.ts";

/** `materialize` (or an open/read) found no row: Apache::Session's "Object does not exist in the data store". */
export class SessionNotFoundError extends SessionStoreError {
  override readonly name = "SessionNotFoundError";
  override readonly code = "ERR_SESSION_NOT_FOUND";
}

/** A session id that this store cannot hold or that fails validation; raised before any SQL runs. */
export class InvalidSessionIdError extends SessionStoreError {
  override readonly name = "InvalidSessionIdError";
  override readonly code = "ERR_INVALID_SESSION_ID";
}

/** `insert` of an id that already exists (primary key violation). */
export class DuplicateSessionIdError extends SessionStoreError {
  override readonly name = "DuplicateSessionIdError";
  override readonly code = "ERR_DUPLICATE_SESSION_ID";
}

/**
 * A stored payload that the serializer cannot decode, or data that it cannot encode faithfully;
 * `keyPath` names the refused value (e.g. `cart.items[2]`) when the serializer could tell.
 */
export class CorruptPayloadError extends SessionStoreError {
  override readonly name = "CorruptPayloadError";
  override readonly code = "ERR_CORRUPT_PAYLOAD";
  readonly keyPath: string | undefined;

  constructor(message: string, context: SessionErrorContext & { keyPath?: string | undefined } = {}) {
    super(message, context);
    this.keyPath = context.keyPath;
  }
}

/** A payload larger than the configured `maxPayloadBytes`; nothing was written. */
export class PayloadTooLargeError extends SessionStoreError {
  override readonly name = "PayloadTooLargeError";
  override readonly code = "ERR_PAYLOAD_TOO_LARGE";
}

/** Waiting for a session's row lock took longer than `lockTimeout` (SQLSTATE 55P03). */
export class LockTimeoutError extends SessionStoreError {
  override readonly name = "LockTimeoutError";
  override readonly code = "ERR_LOCK_TIMEOUT";
}

/**
 * A transaction or statement ran out of time: Prisma's interactive-transaction `timeout`/`maxWait`
 * (P2028) or PostgreSQL's `statement_timeout` (57014). Everything in it was rolled back.
 */
export class TransactionTimeoutError extends SessionStoreError {
  override readonly name = "TransactionTimeoutError";
  override readonly code = "ERR_TRANSACTION_TIMEOUT";
}

/** The database cannot be reached, refused the connection, or went away mid-operation. */
export class StoreUnavailableError extends SessionStoreError {
  override readonly name = "StoreUnavailableError";
  override readonly code = "ERR_STORE_UNAVAILABLE";
}

/** The sessions table (or its schema) does not exist: the migrations have not been applied. */
export class TableNotFoundError extends SessionStoreError {
  override readonly name = "TableNotFoundError";
  override readonly code = "ERR_TABLE_NOT_FOUND";
}

/** The store (or manager) was closed; it accepts no more operations. */
export class StoreClosedError extends SessionStoreError {
  override readonly name = "StoreClosedError";
  override readonly code = "ERR_STORE_CLOSED";
}

/** An attempt to change a read-only field of a session (`_session_id`). Nothing was written. */
export class ReadOnlyFieldError extends SessionStoreError {
  override readonly name = "ReadOnlyFieldError";
  override readonly code = "ERR_READ_ONLY_FIELD";
}

/** A write to a session after it was deleted in the same unit of work: refused, never a resurrection. */
export class SessionDeletedError extends SessionStoreError {
  override readonly name = "SessionDeletedError";
  override readonly code = "ERR_SESSION_DELETED";
}

/**
 * `open(id)` called again from inside the unit of work that already holds that session: Apache::Session
 * would wait for its own lock forever.
 */
export class SessionReentryError extends SessionStoreError {
  override readonly name = "SessionReentryError";
  override readonly code = "ERR_SESSION_REENTRY";
}

/** A session object used after its unit of work ended (its lock is gone, so its writes would be lost). */
export class SessionClosedError extends SessionStoreError {
  override readonly name = "SessionClosedError";
  override readonly code = "ERR_SESSION_CLOSED";
}

/** The embedded (in-process) database could not be opened: in use, damaged, or its packages missing. */
export class EmbeddedDatabaseError extends SessionStoreError {
  override readonly name = "EmbeddedDatabaseError";
  override readonly code = "ERR_EMBEDDED_DATABASE";
}

/**
 * A query on the stored data's JSON (`findSessions`) on payloads that are not JSON: the store's
 * serializer does not write superjson's JSON text (Apache::Session's Storable, encrypted payloads,
 * your own format), or a stored row that looks like it is not valid JSON (SQLSTATE 22P02).
 */
export class NonJsonPayloadError extends SessionStoreError {
  override readonly name = "NonJsonPayloadError";
  override readonly code = "ERR_NON_JSON_PAYLOAD";
}

/**
 * A statement of this library failed in a way none of the errors above describes (a constraint of your
 * own, a trigger, a serialization failure...): `sqlState` is PostgreSQL's SQLSTATE (or Prisma's code)
 * when the driver gave one, `message` the driver's own sentence (values it quotes are left out, and
 * PostgreSQL's `detail`/`where`, which can quote session data, are not kept).
 */
export class SessionDatabaseError extends SessionStoreError {
  override readonly name = "SessionDatabaseError";
  override readonly code = "ERR_SESSION_DATABASE";
  readonly sqlState: string | undefined;

  constructor(message: string, context: SessionErrorContext & { sqlState?: string | undefined } = {}) {
    super(message, context);
    this.sqlState = context.sqlState;
  }
}
