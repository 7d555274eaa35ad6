import { report, type Logger } from "./logger.ts";

/**
 * Runs `prune` now and then: each delay drawn from [0.5, 1.5) × interval, so instances started together
 * do not prune together; chained timeouts, so runs never overlap; `unref`'d, so it never keeps a process
 * alive. A failure is logged and the next run is still scheduled: pruning resumes after a database
 * restart on its own.
 */
export class PruneTimer {
  readonly #prune: () => Promise<unknown>;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(prune: () => Promise<unknown>, intervalMs: number, logger: Logger) {
    this.#prune = prune;
    this.#intervalMs = intervalMs;
    this.#logger = logger;
  }

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    const delay = this.#intervalMs * (0.5 + Math.random());
    this.#timer = setTimeout(() => void this.#run(), delay);
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    try {
      await this.#prune();
    } catch (error) {
      report(this.#logger, "prisma-pg-session: pruning expired sessions failed; will retry", error);
    }
    this.#schedule();
  }
}
