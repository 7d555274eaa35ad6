import { SessionStoreError, type SessionErrorContext } from "./session-store-error.ts";
import {
  DuplicateSessionIdError,
  SessionDatabaseError,
  InvalidSessionIdError,
  LockTimeoutError,
  StoreUnavailableError,
  TableNotFoundError,
  TransactionTimeoutError,
} from "./store-errors.ts";

/** What a driver reports about a failure, however deeply Prisma wrapped it. */
interface DatabaseFailure {
  sqlState: string | undefined;
  kind: string | undefined;
  prismaCode: string | undefined;
  message: string;
  /** For a constraint violation: what the driver says was violated, as far as it says. */
  violated?: Violation;
}

interface Violation {
  table: string | undefined;
  columns: string[] | undefined;
  /** The violated constraint's name, when only the message gives it. */
  constraint?: string | undefined;
}

// PostgreSQL's detail of a unique violation: `Key (id)=(abc) already exists.`
function keyColumns(detail: unknown): string[] | undefined {
  return typeof detail === "string" ? /^Key \(([^)]+)\)/.exec(detail)?.[1]?.split(", ") : undefined;
}

const optionalString = (value: unknown) => (typeof value === "string" ? value : undefined);

// Prisma 7 reports raw-query failures as P2010 with the driver adapter's error in
// `meta.driverAdapterError.cause` ({ originalCode | code, kind, ... }); transaction-API failures as
// P2028; connection failures as a `kind` without SQLSTATE. A bare `pg` error carries `code` itself.
function describe(error: unknown): DatabaseFailure | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    meta?: { driverAdapterError?: { cause?: Record<string, unknown> } };
    cause?: unknown;
    table?: unknown;
    detail?: unknown;
  };
  // A DriverAdapterError can also reach us unwrapped (seen when a backend is terminated, 57P01).
  const adapterCause =
    e.meta?.driverAdapterError?.cause ??
    (e.name === "DriverAdapterError" && typeof e.cause === "object" && e.cause !== null ? (e.cause as Record<string, unknown>) : undefined);
  const prismaCode = typeof e.code === "string" && /^P\d{4}$/.test(e.code) ? e.code : undefined;
  const fullMessage = typeof e.message === "string" ? e.message : String(error);
  // Prisma's message opens with a multi-line "Invalid `prisma.$queryRawUnsafe()` invocation" preamble;
  // keep the driver's own sentence when there is one.
  const message = /Message: `([^`]*)`/.exec(fullMessage)?.[1] ?? fullMessage.trim().split("\n").pop()!;
  if (adapterCause) {
    const sqlState = adapterCause["originalCode"] ?? adapterCause["code"];
    const kind = adapterCause["kind"];
    // adapter-pg reports the `table` (and the index by name) since 7.x; before (7.0) only
    // `constraint: { fields }` and the message, which names the constraint.
    const constraint = adapterCause["constraint"] as { fields?: unknown } | undefined;
    const driverMessage = optionalString(adapterCause["originalMessage"]);
    return {
      sqlState: typeof sqlState === "string" ? sqlState : undefined,
      kind: typeof kind === "string" ? kind : undefined,
      prismaCode,
      message: driverMessage ?? message,
      violated: {
        table: optionalString(adapterCause["table"]),
        columns: Array.isArray(constraint?.fields) ? constraint.fields.filter((f): f is string => typeof f === "string") : undefined,
        constraint: driverMessage === undefined ? undefined : /unique constraint "([^"]+)"/.exec(driverMessage)?.[1],
      },
    };
  }
  if (prismaCode) return { sqlState: undefined, kind: undefined, prismaCode, message };
  if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) {
    const violated = { table: optionalString(e.table), columns: keyColumns(e.detail) };
    return { sqlState: e.code, kind: undefined, prismaCode: undefined, message, violated };
  }
  if (typeof e.code === "string" && /^E[A-Z]+$/.test(e.code)) {
    // Node socket errors (ECONNREFUSED, ECONNRESET, ...) from a bare driver.
    return { sqlState: undefined, kind: "DatabaseNotReachable", prismaCode: undefined, message };
  }
  if (error instanceof Error && codelessDriverMessages.test(message))
    return { sqlState: undefined, kind: undefined, prismaCode: undefined, message };
  return undefined;
}

// Plain Errors that node-postgres and pg-pool throw without any code, passed through by the adapter:
// recognised by their exact text only, so an application's own error never gets re-typed.
const codelessDriverMessages =
  /^(Connection terminated unexpectedly|Connection terminated due to connection timeout|Client has encountered a connection error and is not queryable|timeout exceeded when trying to connect)$/;

// pg-pool: no pooled connection became free within the pool's connectionTimeoutMillis.
const poolWaitTimeout = /^timeout exceeded when trying to connect$/;

const unavailableKinds = new Set([
  "DatabaseNotReachable",
  "DatabaseDoesNotExist",
  "DatabaseAccessDenied",
  "AuthenticationFailed",
  "ConnectionClosed",
  "SocketTimeout",
  "TlsConnectionError",
  "TooManyConnections",
]);

// Prisma codes for "cannot reach / lost the server" (P1xxx) and a closed connection (P1017).
const unavailablePrismaCodes = /^P10(0[0-3]|1[0-7])$/;

function isUnavailable(f: DatabaseFailure): boolean {
  if (f.kind !== undefined && unavailableKinds.has(f.kind)) return true;
  if (f.prismaCode !== undefined && unavailablePrismaCodes.test(f.prismaCode)) return true;
  if (f.sqlState === undefined)
    return /connection (terminated|closed|refused)|ECONNREFUSED|ECONNRESET|Connection terminated|is not queryable/i.test(f.message);
  // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now; 57P05:
  // idle session timeout; 53300: too many connections; 3D000: database does not exist; 28xxx:
  // authentication; 25006: a read-only transaction (the endpoint reaches a standby, as during a
  // failover before the promotion, or the server is in recovery): try again on the primary.
  return /^(08|28)/.test(f.sqlState) || ["57P01", "57P02", "57P03", "57P05", "53300", "3D000", "25006"].includes(f.sqlState);
}

/**
 * A unique violation is a duplicate session id only when it is on the sessions table's `id`: the same
 * SQLSTATE also comes from the system catalogs (two sessions creating one table at once), from another
 * unique index, or from a table of the caller's own. Judged by the violated columns and the table, as
 * far as the driver names them; without the table, by the constraint's name (`<table>_pkey`, the name
 * PostgreSQL and `prisma migrate` give the primary key); with none of them, it is not ours to re-type.
 */
function isDuplicateSessionId(violated: Violation | undefined, table: string | undefined): boolean {
  if (violated === undefined) return false;
  const onId = violated.columns?.length === 1 && violated.columns[0] === "id";
  if (violated.columns !== undefined && !onId) return false;
  const bareTable = table?.split(".").pop();
  if (violated.table !== undefined) return bareTable !== undefined && violated.table === bareTable;
  if (violated.constraint !== undefined) return bareTable !== undefined && violated.constraint === `${bareTable}_pkey`;
  return onId;
}

/** The SQLSTATE of a database error, however the driver wrapped it; `undefined` for anything else. */
export function sqlStateOf(error: unknown): string | undefined {
  if (error instanceof SessionDatabaseError) return error.sqlState;
  return describe(error)?.sqlState;
}

/**
 * The driver's failure as a cause fit to log: its SQLSTATE (or Prisma's code, or the connection
 * failure's kind) as `code`, and its own sentence with the values it quotes left out. Never the
 * driver's error itself: its `detail`, `where`, `hint`, query and parameters can quote session data
 * and session ids.
 */
export class DatabaseCause extends Error {
  override readonly name = "DatabaseCause";
  readonly code: string | undefined;

  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

// `invalid input syntax for type json: "..."`, `... out of range: "..."`: the value goes.
const quotedValue = /(: )"(?:[^"\\]|\\.)*"$/;

function redacted(message: string): string {
  return message.replace(quotedValue, '$1"…"');
}

function causeOf(f: DatabaseFailure): DatabaseCause {
  return new DatabaseCause(redacted(f.message), f.sqlState ?? f.prismaCode ?? f.kind);
}

/**
 * The one place where database errors become this library's errors. Returns the typed error for a
 * failure we understand and the original error otherwise (never swallows, never guesses: an error of
 * the application's own, thrown through a unit of work, comes back as it was).
 */
export function mapDatabaseError(error: unknown, context: SessionErrorContext): unknown {
  if (error instanceof SessionStoreError) return error;
  const f = describe(error);
  if (f === undefined) return error;
  return typedFailure(f, context) ?? error;
}

/**
 * For the failure of a statement of this library's own: the typed error, a SessionDatabaseError when
 * no other describes it, never the driver's error (only what describes no database failure at all,
 * such as a bug, comes back as it was).
 */
export function mapStatementError(error: unknown, context: SessionErrorContext): unknown {
  if (error instanceof SessionStoreError) return error;
  const f = describe(error);
  if (f === undefined) return error;
  return (
    typedFailure(f, context) ??
    new SessionDatabaseError(`A statement on ${context.table ?? "the sessions table"} failed: ${redacted(f.message)}`, {
      ...context,
      sqlState: f.sqlState ?? f.prismaCode,
      cause: causeOf(f),
    })
  );
}

function typedFailure(f: DatabaseFailure, context: SessionErrorContext): SessionStoreError | undefined {
  const ctx = { ...context, cause: causeOf(f) };
  switch (f.sqlState) {
    case "23505":
      if (!isDuplicateSessionId(f.violated, context.table)) return undefined;
      return new DuplicateSessionIdError(`Session id already exists: ${context.sessionId ?? "(unknown)"}`, ctx);
    case "22001":
      return new InvalidSessionIdError(
        `Session id is longer than the id column of ${context.table ?? "the table"} can hold (char(32) by default): ${redacted(f.message)}`,
        ctx,
      );
    case "42P01":
    case "3F000":
    case "42703": // a column is missing: not a sessions table, or a later migration was not applied
      return new TableNotFoundError(`table ${context.table ?? ""} does not exist: run \`npx prisma migrate deploy\` (${f.message})`, ctx);
    case "55P03":
      return new LockTimeoutError(`Timed out waiting for the lock on session ${context.sessionId ?? ""}`.trim(), ctx);
    case "40P01":
      return new LockTimeoutError(`Deadlock while waiting for the lock on session ${context.sessionId ?? ""}`, ctx);
    case "57014":
      return new TransactionTimeoutError(`Statement timed out: ${f.message}`, ctx);
  }
  if (f.kind === "TableDoesNotExist") {
    return new TableNotFoundError(`table ${context.table ?? ""} does not exist: run \`npx prisma migrate deploy\``, ctx);
  }
  if (f.prismaCode === "P2028") return new TransactionTimeoutError(`Transaction timed out: ${f.message}`, ctx);
  if (poolWaitTimeout.test(f.message))
    return new TransactionTimeoutError(`No pooled connection became free in time (pool.connectionTimeoutMillis): ${f.message}`, ctx);
  if (isUnavailable(f)) return new StoreUnavailableError(`Session store unavailable: ${redacted(f.message)}`, ctx);
  return undefined;
}
