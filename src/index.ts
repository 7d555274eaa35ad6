// The package's main entry: what an app calls. Adapters and the embedded database have their own
// entries (`prisma-pg-session/express`, `/fastify`, `/embedded`), so importing this one loads neither a
// web framework nor Prisma's generated client.

// The store: Apache::Session::Store::Postgres.
export { PostgresStore } from "./store/postgres-store.ts";
export type { StoreTransaction } from "./store/store-transaction.ts";
export type { SessionRecord } from "./store/session-record.ts";
export type { PostgresStoreOptions, ConnectionOptions, TableOptions } from "./store/store-options.ts";
export type { TransactionOptions, IsolationLevel } from "./driver/driver.ts";
export type { PrismaHandle } from "./driver/prisma-handle.ts";
export type { PgPool, PgPoolClient, PoolErrorListeners, PoolOptions } from "./driver/pg-pool.ts";

export type { TableName } from "./table/table-name.ts";
export { ensureSchema } from "./store/ensure-schema.ts";

// The lifecycle: Apache::Session's tie / untie.
export { SessionManager, type SessionSnapshot, type FoundSnapshots } from "./lifecycle/session-manager.ts";
export type { SessionManagerOptions } from "./lifecycle/manager-options.ts";
export type { Session, SessionData, SessionStatus } from "./lifecycle/session.ts";
export { generateSessionId } from "./lifecycle/session-id.ts";

// A user's sessions (SessionManager and PgSessionStore alike).
export type {
  UserSession,
  UserSessionPage,
  UserSessionsOptions,
  RevokeUserSessionsOptions,
  SessionOwner,
  FindSessionsQuery,
} from "./store/user-sessions.ts";

// Serializers.
export type { Serializer } from "./serialization/serializer.ts";
export { superjsonSerializer } from "./serialization/serializer.ts";
export { createSuperjsonSerializer, type SuperjsonSerializerOptions } from "./serialization/superjson-serializer.ts";
export { apacheSessionSerializer } from "./serialization/apache-session-serializer.ts";
export { createFormatDetectingSerializer, type FormatDetectingSerializerOptions } from "./serialization/format-detecting-serializer.ts";
export {
  createEncryptingSerializer,
  parseEncryptionKeys,
  EncryptedPayloadError,
  type EncryptingSerializerOptions,
  type EncryptionKey,
} from "./serialization/encrypting-serializer.ts";

// Errors.
export { SessionStoreError, isSessionStoreError, type SessionErrorContext } from "./errors/session-store-error.ts";
export {
  SessionNotFoundError,
  InvalidSessionIdError,
  DuplicateSessionIdError,
  CorruptPayloadError,
  PayloadTooLargeError,
  LockTimeoutError,
  TransactionTimeoutError,
  StoreUnavailableError,
  TableNotFoundError,
  StoreClosedError,
  ReadOnlyFieldError,
  SessionDeletedError,
  SessionReentryError,
  SessionClosedError,
  EmbeddedDatabaseError,
  NonJsonPayloadError,
  SessionDatabaseError,
} from "./errors/store-errors.ts";
export { DatabaseCause } from "./errors/map-database-error.ts";
export { UnsupportedValueError } from "./serialization/unsupported-value-error.ts";
export { StorableDataError } from "./serialization/storable-data-error.ts";

// Events and telemetry options (SessionManager, and the adapters too).
export type * from "./observability/public-types.ts";
