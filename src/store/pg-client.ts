import { TransactionTimeoutError } from "../errors/store-errors.ts";
import type { IsolationLevel, SqlClient, TransactionalClient, TransactionOptions } from "./prisma-handle.ts";

/** The part of a node-postgres `Pool` used here (a `pg.Pool` fits). */
export interface PgPool {
  connect(): Promise<PgPoolClient>;
  on(event: "connect", listener: (client: PgPoolClient) => void): unknown;
  query(text: string, values?: unknown[]): Promise<PgResult>;
  end(): Promise<void>;
}

/** The part of a pooled node-postgres client used here. */
export interface PgPoolClient {
  query(text: string, values?: unknown[]): Promise<PgResult>;
  /** A truthy argument destroys the connection instead of returning it to the pool. */
  release(destroy?: boolean | Error): void;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}

interface PgResult {
  rows: unknown[];
  rowCount: number | null;
}

const isolation: Record<IsolationLevel, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

// Prisma's interactive-transaction defaults, so both kinds of client behave alike.
const defaults = { maxWait: 2000, timeout: 5000 };

function acquire(pool: PgPool, maxWait: number): Promise<PgPoolClient> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new TransactionTimeoutError(`No database connection became free within maxWait (${maxWait} ms)`));
    }, maxWait);
    pool.connect().then(
      (client) => {
        clearTimeout(timer);
        if (late) client.release();
        else resolve(client);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!late) reject(error);
      },
    );
  });
}

const guardedPools = new WeakSet<PgPool>();

/**
 * A server shutdown can deliver a connection's last ReadyForQuery and its FATAL in one read, after
 * pg-pool handed the connection out but before anyone listens on it: without a listener from the start,
 * that "error" event is an uncaught exception. Queries still fail and are mapped as usual. Once per pool:
 * many stores may share one `pgPool`, and a listener each would pile up.
 */
function guardConnections(pool: PgPool): void {
  if (guardedPools.has(pool)) return;
  guardedPools.add(pool);
  pool.on("connect", (client) => client.on("error", () => undefined));
}

/**
 * A client with Prisma's `$queryRawUnsafe` / `$executeRawUnsafe` / `$transaction` shape on a node-postgres
 * pool: the store's fast path. Prisma's raw-query path costs about twice the client CPU per statement
 * (measured by the benchmark), and a session store runs on every request.
 */
export class PgClient implements TransactionalClient {
  readonly #pool: PgPool;
  readonly #ownsPool: boolean;

  constructor(pool: PgPool, ownsPool: boolean) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    guardConnections(pool);
  }

  async $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> {
    return (await this.#pool.query(query, values)).rows as T;
  }

  async $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> {
    return (await this.#pool.query(query, values)).rowCount ?? 0;
  }

  /**
   * BEGIN … COMMIT on one pooled connection, with Prisma's semantics: `maxWait` for a connection,
   * `timeout` for the whole transaction. A transaction past its timeout has its connection closed, so
   * PostgreSQL rolls it back and frees its locks even if the callback never returns.
   */
  async $transaction<R>(fn: (tx: SqlClient) => Promise<R>, options: TransactionOptions = {}): Promise<R> {
    const timeout = options.timeout ?? defaults.timeout;
    const client = await acquire(this.#pool, options.maxWait ?? defaults.maxWait);
    // An object, not a `let`: the timer callback changes it behind the type checker's back.
    const transaction = { state: "open" as "open" | "expired" | "released" };
    let broken = false;
    // A checked-out client reports a server-side disconnect (restart, admin kill) as an "error" event as
    // well as failing its query; unheard, that event would crash the process.
    const onError = () => {
      broken = true;
    };
    client.on("error", onError);
    const expired = (cause?: unknown) =>
      new TransactionTimeoutError(`Transaction timed out after ${timeout} ms and was rolled back`, cause === undefined ? {} : { cause });
    const isExpired = () => transaction.state === "expired";
    const timer = setTimeout(() => {
      if (transaction.state !== "open") return;
      transaction.state = "expired";
      client.off("error", onError);
      client.release(true);
    }, timeout);
    const run = async (query: string, values: unknown[]): Promise<PgResult> => {
      if (transaction.state !== "open") throw expired();
      try {
        return await client.query(query, values);
      } catch (error) {
        if (isExpired()) throw expired(error);
        throw error;
      }
    };
    const tx: SqlClient = {
      $queryRawUnsafe: async <T>(query: string, ...values: unknown[]) => (await run(query, values)).rows as T,
      $executeRawUnsafe: async (query: string, ...values: unknown[]) => (await run(query, values)).rowCount ?? 0,
    };
    try {
      await run(options.isolationLevel ? `BEGIN ISOLATION LEVEL ${isolation[options.isolationLevel]}` : "BEGIN", []);
      const result = await fn(tx);
      await run("COMMIT", []);
      return result;
    } catch (error) {
      if (isExpired()) throw error instanceof TransactionTimeoutError ? error : expired(error);
      try {
        await client.query("ROLLBACK");
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      clearTimeout(timer);
      if (transaction.state === "open") {
        transaction.state = "released";
        client.off("error", onError);
        client.release(broken);
      }
    }
  }

  $disconnect(): Promise<void> {
    return this.#ownsPool ? this.#pool.end() : Promise.resolve();
  }
}
