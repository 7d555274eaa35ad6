import type { Driver, Queryable, TransactionOptions } from "./driver.ts";
import type { PgPool, PoolErrorListeners } from "./pg-pool.ts";
import { runPgTransaction } from "./pg-transaction.ts";

const ignore = () => undefined;

/**
 * A driver on a node-postgres pool: the store's fast path. Prisma's raw-query path costs about twice
 * the client CPU per statement (measured by the benchmark), and a session store runs on every request.
 */
export class PgPoolDriver implements Driver {
  readonly #pool: PgPool;
  readonly #owned: boolean;
  readonly #onPoolError: ((error: Error) => void) | undefined;
  readonly #onConnectionError: (error: Error) => void;
  readonly joinsCallerTransaction = false;

  /**
   * A pool the driver does not own gets no listener of its own beyond the connections it holds in a
   * transaction, and an `error` listener only when `onPoolError` is given; `close()` removes it and
   * leaves the pool open. An owned pool is ended by `close()`.
   */
  constructor(pool: PgPool, options: PoolErrorListeners & { owned: boolean }) {
    this.#pool = pool;
    this.#owned = options.owned;
    this.#onConnectionError = options.onConnectionError ?? ignore;
    this.#onPoolError = options.owned ? undefined : options.onPoolError;
    if (this.#onPoolError !== undefined) pool.on("error", this.#onPoolError);
  }

  async query<R>(sql: string, values: readonly unknown[]): Promise<R[]> {
    return (await this.#pool.query(sql, values as unknown[])).rows as R[];
  }

  async execute(sql: string, values: readonly unknown[]): Promise<number> {
    return (await this.#pool.query(sql, values as unknown[])).rowCount ?? 0;
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>, options: TransactionOptions): Promise<T> {
    return runPgTransaction(this.#pool, fn, options, this.#onConnectionError);
  }

  close(): Promise<void> {
    if (this.#owned) return this.#pool.end();
    if (this.#onPoolError !== undefined) this.#pool.off("error", this.#onPoolError);
    return Promise.resolve();
  }
}
