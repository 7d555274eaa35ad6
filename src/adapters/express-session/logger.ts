/** Where the adapter reports what it cannot throw: a failed background prune, rows listing had to skip. */
export interface Logger {
  error(message: string, error?: unknown): void;
}

/** Reports to `logger`; a logger that throws must not break pruning or listing, nor crash the process. */
export function report(logger: Logger, message: string, error?: unknown): void {
  try {
    logger.error(message, error);
  } catch {
    // Nothing sensible is left to do with a failure to log.
  }
}
