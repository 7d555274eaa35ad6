import { SessionStoreError } from "../../errors/session-store-error.ts";

/**
 * The code runs where node-postgres cannot: an Edge runtime (Next.js middleware or a route with
 * `runtime = "edge"`, Vercel Edge Functions) has no TCP sockets, so no statement could ever reach
 * PostgreSQL. Raised at the first use, before any connection is attempted.
 */
export class UnsupportedRuntimeError extends SessionStoreError {
  override readonly name = "UnsupportedRuntimeError";
  override readonly code = "ERR_UNSUPPORTED_RUNTIME";
  /** The runtime detected (`globalThis.EdgeRuntime`'s value). */
  readonly runtime: string;

  constructor(runtime: string) {
    super(
      `prisma-pg-session needs Node.js: this code runs in the Edge runtime (${runtime}), which has no TCP sockets for ` +
        'PostgreSQL. In Next.js, add `export const runtime = "nodejs"` to the route or page that reads the session ' +
        '(Next.js middleware runs on the Edge: read the session in the route instead, or set `runtime: "nodejs"` in ' +
        "the middleware's `config` where your Next.js version supports it).",
    );
    this.runtime = runtime;
  }
}

/**
 * `lock()` was asked for a session whose data this request had already changed (or rotated, or
 * destroyed) without committing: the locked unit reloads the session under its row lock, so those
 * changes, made on a copy read without the lock, would be silently dropped. Commit them first, or make
 * them inside the locked unit.
 */
export class UnsavedChangesError extends SessionStoreError {
  override readonly name = "UnsavedChangesError";
  override readonly code = "ERR_UNSAVED_CHANGES";
}
