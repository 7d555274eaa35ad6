import { setImmediate as yieldToEventLoop } from "node:timers/promises";

/** One finished operation of a {@link Workload}. */
export interface Outcome {
  kind: string;
  startedAt: number;
  endedAt: number;
  /** Set when the operation failed. */
  error?: unknown;
}

/** One loop of a workload: `run()` is called again and again; each call does one operation of `kind()`. */
export interface WorkerLoop {
  /** The kind of the operation the next call to `run` performs (for the ledger). */
  kind(): string;
  run(): Promise<void>;
}

/**
 * Continuous load: each worker runs its operations back to back until `stop()`, and every outcome is
 * recorded with its start and end time. Between two operations a worker yields to the event loop, so an
 * operation that completes without I/O (a skipped write) cannot starve timers and sockets.
 */
export class Workload {
  readonly outcomes: Outcome[] = [];
  readonly #inFlight = new Map<number, { kind: string; startedAt: number }>();
  readonly #loops: Promise<void>[] = [];
  #stopping = false;

  constructor(workers: WorkerLoop[]) {
    workers.forEach((worker, index) => this.#loops.push(this.#loop(index, worker)));
  }

  /** Outcomes of `kind` (all kinds when omitted) that match `filter`. */
  count(filter: (outcome: Outcome) => boolean, kind?: string): number {
    let n = 0;
    for (const outcome of this.outcomes) if ((kind === undefined || outcome.kind === kind) && filter(outcome)) n += 1;
    return n;
  }

  /**
   * Stops the workers and waits for their last operation. Rejects, naming what is still running, if
   * that takes longer than `graceMs`: an operation that never settles is a hang, not a slow test.
   */
  async stop(graceMs = 20_000): Promise<void> {
    this.#stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const pending = [...this.#inFlight.values()].map((op) => `${op.kind} (running for ${Date.now() - op.startedAt} ms)`);
        reject(new Error(`operations did not settle within ${graceMs} ms: ${pending.join(", ")}`));
      }, graceMs);
    });
    try {
      await Promise.race([Promise.all(this.#loops), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #loop(index: number, worker: WorkerLoop): Promise<void> {
    while (!this.#stopping) {
      const kind = worker.kind();
      const startedAt = Date.now();
      this.#inFlight.set(index, { kind, startedAt });
      try {
        await worker.run();
        this.outcomes.push({ kind, startedAt, endedAt: Date.now() });
      } catch (error) {
        this.outcomes.push({ kind, startedAt, endedAt: Date.now(), error });
      }
      this.#inFlight.delete(index);
      await yieldToEventLoop();
    }
  }
}
