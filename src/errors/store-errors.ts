import { SessionStoreError, type SessionErrorContext } from "./session-store-error.ts";

/** `materialize` (or an open/read) found no row: Apache::Session's "Object does not exist in the data store". */
export class SessionNotFoundError extends SessionStoreError {
  override readonly name = "SessionNotFoundError";
}

/** A session id that this store cannot hold or that fails validation; raised before any SQL runs. */
export class InvalidSessionIdError extends SessionStoreError {
  override readonly name = "InvalidSessionIdError";
}

/** `insert` of an id that already exists (primary key violation). */
export class DuplicateSessionIdError extends SessionStoreError {
  override readonly name = "DuplicateSessionIdError";
}

/**
 * A stored payload that the serializer cannot decode, or data that it cannot encode faithfully;
 * `keyPath` names the refused value (e.g. `cart.items[2]`) when the serializer could tell.
 */
export class CorruptPayloadError extends SessionStoreError {
  override readonly name = "CorruptPayloadError";
  readonly keyPath: string | undefined;

  constructor(message: string, context: SessionErrorContext & { keyPath?: string | undefined } = {}) {
    super(message, context);
    this.keyPath = context.keyPath;
  }
}

/** A payload larger than the configured `maxPayloadBytes`; nothing was written. */
export class PayloadTooLargeError extends SessionStoreError {
  override readonly name = "PayloadTooLargeError";
}

/** Waiting for a session's row lock took longer than `lockTimeout` (SQLSTATE 55P03). */
export class LockTimeoutError extends SessionStoreError {
  override readonly name = "LockTimeoutError";
}

/**
 * A transaction or statement ran out of time: Prisma's interactive-transaction `timeout`/`maxWait`
 * (P2028) or PostgreSQL's `statement_timeout` (57014). Everything in it was rolled back.
 */
export class TransactionTimeoutError extends SessionStoreError {
  override readonly name = "TransactionTimeoutError";
}

/** The database cannot be reached, refused the connection, or went away mid-operation. */
export class StoreUnavailableError extends SessionStoreError {
  override readonly name = "StoreUnavailableError";
}

/** The sessions table (or its schema) does not exist: the migrations have not been applied. */
export class TableNotFoundError extends SessionStoreError {
  override readonly name = "TableNotFoundError";
}

/** The store (or manager) was closed; it accepts no more operations. */
export class StoreClosedError extends SessionStoreError {
  override readonly name = "StoreClosedError";
}

/** An attempt to change a read-only field of a session (`_session_id`). Nothing was written. */
export class ReadOnlyFieldError extends SessionStoreError {
  override readonly name = "ReadOnlyFieldError";
}

/** A write to a session after it was deleted in the same unit of work: refused, never a resurrection. */
export class SessionDeletedError extends SessionStoreError {
  override readonly name = "SessionDeletedError";
}

/**
 * `open(id)` called again from inside the unit of work that already holds that session: Apache::Session
 * would wait for its own lock forever.
 */
export class SessionReentryError extends SessionStoreError {
  override readonly name = "SessionReentryError";
}

/** A session object used after its unit of work ended (its lock is gone, so its writes would be lost). */
export class SessionClosedError extends SessionStoreError {
  override readonly name = "SessionClosedError";
}

/** The embedded (in-process) database could not be opened: in use, damaged, or its packages missing. */
export class EmbeddedDatabaseError extends SessionStoreError {
  override readonly name = "EmbeddedDatabaseError";
}

/**
 * A query on the stored data's JSON (`findSessions`) on payloads that are not JSON: the store's
 * serializer does not write superjson's JSON text (Apache::Session's Storable, encrypted payloads,
 * your own format), or a stored row that looks like it is not valid JSON (SQLSTATE 22P02).
 */
export class NonJsonPayloadError extends SessionStoreError {
  override readonly name = "NonJsonPayloadError";
}
