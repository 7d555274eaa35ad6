import { sessionHandle, withoutKey } from "./session-handle.ts";

/** Where an error happened: the session and the table, when known. */
export interface SessionErrorContext {
  sessionId?: string | undefined;
  table?: string | undefined;
  cause?: unknown;
}

// A registry symbol rather than a module-local one, so that two copies of this package recognise each
// other's errors.
const brand = Symbol.for("prisma-pg-session.SessionStoreError");

/**
 * Base class of every error this library throws on purpose. Catch it to handle all of them; use the
 * subclasses (or {@link isSessionStoreError} with a name) to tell them apart.
 */
export class SessionStoreError extends Error {
  override name: string = "SessionStoreError";
  /** A stable code for the error's class (`ERR_LOCK_TIMEOUT`...), for logs and `switch`es. */
  readonly code: string = "ERR_SESSION_STORE";
  declare readonly [brand]: true;
  /**
   * The session's stored key (its id, or the id's hash with `hashIds`). A credential: not enumerable,
   * so loggers that print an error's properties (pino, `JSON.stringify`) leave it out, and the message
   * names the session by {@link sessionHandle} instead. Kept for code that must act on the session.
   */
  declare readonly sessionId: string | undefined;
  /** The session's handle (see `userSessions()`): what to log and correlate. */
  readonly sessionHandle: string | undefined;
  readonly table: string | undefined;

  constructor(message: string, context: SessionErrorContext = {}) {
    super(withoutKey(message, context.sessionId), context.cause === undefined ? undefined : { cause: context.cause });
    Object.defineProperty(this, "sessionId", { value: context.sessionId, enumerable: false });
    this.sessionHandle = context.sessionId === undefined || context.sessionId === "" ? undefined : sessionHandle(context.sessionId);
    this.table = context.table;
    Object.defineProperty(this, brand, { value: true });
  }

  /** What `JSON.stringify` writes: no session id, its handle. */
  toJSON(): Record<string, unknown> {
    return { ...(this as object), message: this.message };
  }
}

/**
 * Name-based type guard: works across duplicated copies of this package (two versions in one
 * node_modules), where `instanceof` does not.
 */
export function isSessionStoreError<N extends string = string>(error: unknown, name?: N): error is SessionStoreError & { name: N } {
  if (!(error instanceof Error) || (error as { [brand]?: true })[brand] !== true) return false;
  return name === undefined || error.name === name;
}
