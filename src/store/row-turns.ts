import { LockTimeoutError } from "../errors/store-errors.ts";

/** One caller's turn to contend for a row lock. */
export interface RowTurn {
  /** When the caller asked for its turn (`performance.now()`): a lock wait is measured from here. */
  readonly askedAt: number;
  /** Ms the caller waited in this process for its turn. */
  readonly waitedMs: number;
  /** Gives the turn to the next caller of the key (idempotent). Called once the lock is held or refused. */
  end(): void;
}

interface Waiter {
  grant(): void;
}

/**
 * A first-come, first-served queue per row key, in front of the row locks a process takes: of the units
 * of this process that want one row's lock, only the one whose turn it is holds a pooled connection
 * while it waits for the lock. The others wait here, holding nothing, so one busy session (thirty
 * requests on one cookie, or a lock held outside the library) ties up at most one waiting connection
 * besides the holder's, and the pool stays free for everyone else. A turn ends as soon as the lock is
 * held (the holder keeps its connection; the next in line may then wait on the lock in PostgreSQL).
 */
export class RowTurns {
  // A key is present while some caller has its turn; its array holds the callers waiting after it.
  readonly #queues = new Map<string, Waiter[]>();

  /**
   * Resolves when it is this caller's turn on `key`; rejects with LockTimeoutError when that takes
   * longer than `waitMs` (it then never gets the turn).
   */
  take(key: string, waitMs: number, table: string): Promise<RowTurn> {
    const askedAt = performance.now();
    const queue = this.#queues.get(key);
    if (queue === undefined) {
      this.#queues.set(key, []);
      return Promise.resolve(this.#turn(key, askedAt));
    }
    return new Promise<RowTurn>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        reject(
          new LockTimeoutError(`Timed out after ${waitMs} ms waiting behind other units of this process for a session's row lock`, {
            table,
          }),
        );
      }, waitMs);
      timer.unref();
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve(this.#turn(key, askedAt));
        },
      };
      queue.push(waiter);
    });
  }

  /** How many keys have a caller in their turn (for tests and metrics). */
  get busyKeys(): number {
    return this.#queues.size;
  }

  #turn(key: string, askedAt: number): RowTurn {
    let ended = false;
    return {
      askedAt,
      waitedMs: performance.now() - askedAt,
      end: () => {
        if (ended) return;
        ended = true;
        const next = this.#queues.get(key)?.shift();
        if (next === undefined) this.#queues.delete(key);
        else next.grant();
      },
    };
  }
}

/** A turn as a locked unit holds it: with the `lock_timeout` its lock statement runs under. */
export interface LockTurn extends RowTurn {
  /** PostgreSQL `lock_timeout` for the lock statement, in ms (`undefined`: the database's). */
  readonly lockTimeoutMs: number | undefined;
  /** The unit runs in a caller's transaction (whose own `lock_timeout` is given back after the lock). */
  readonly joined: boolean;
}
