import { isSessionStoreError } from "../errors/session-store-error.ts";

/** Exit codes scripts can tell apart. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  badInput: 2,
  notFound: 3,
  unavailable: 4,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM after a clean stop, as shells count a signal's exit (128 + 2). */
  interrupted: 130,
} as const;

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof TypeError || error instanceof RangeError) return ExitCode.badInput;
  if (isSessionStoreError(error, "InvalidSessionIdError")) return ExitCode.badInput;
  if (isSessionStoreError(error, "SessionNotFoundError")) return ExitCode.notFound;
  if (isSessionStoreError(error, "StoreUnavailableError") || isSessionStoreError(error, "EmbeddedDatabaseError"))
    return ExitCode.unavailable;
  return ExitCode.failure;
}

/** Wrong arguments: unknown command, missing id, bad number. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
