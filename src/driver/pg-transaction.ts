// RISK: this file re-implements what Prisma's interactive transactions guarantee — a bounded wait for a
// connection (`maxWait`) and a bounded life (`timeout`), enforced by closing the connection so that
// PostgreSQL rolls back and frees the row locks even when the callback never returns. A mistake here
// leaks connections or leaves rows locked. It is covered by test/store/pg-pool.test.ts,
// test/reliability/pool-exhaustion.test.ts and test/reliability/database-restart.test.ts; change it
// only with them.
import { TransactionTimeoutError } from "../errors/store-errors.ts";
import { transactionDefaults, type IsolationLevel, type Queryable, type TransactionOptions } from "./driver.ts";
import type { PgPool, PgPoolClient, PgResult } from "./pg-pool.ts";

const isolation: Record<IsolationLevel, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

/** A connection within `maxWait`; one that comes later goes straight back to the pool. */
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

/**
 * BEGIN … COMMIT on one pooled connection, with Prisma's semantics: `maxWait` for a connection,
 * `timeout` for the whole transaction. A transaction past its timeout has its connection closed, so
 * PostgreSQL rolls it back and frees its locks even if `fn` never returns.
 */
export async function runPgTransaction<T>(
  pool: PgPool,
  fn: (tx: Queryable) => Promise<T>,
  options: TransactionOptions,
  onConnectionError: (error: Error) => void,
): Promise<T> {
  const timeout = options.timeout ?? transactionDefaults.timeout;
  const client = await acquire(pool, options.maxWait ?? transactionDefaults.maxWait);
  // An object, not a `let`: the timer callback changes it behind the type checker's back.
  const transaction = { state: "open" as "open" | "expired" | "released" };
  let broken = false;
  // A checked-out client reports a server-side disconnect (restart, admin kill) as an "error" event as
  // well as failing its query; unheard, that event would crash the process.
  const onError = (error: Error) => {
    broken = true;
    onConnectionError(error);
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
  const run = async (sql: string, values: readonly unknown[]): Promise<PgResult> => {
    if (transaction.state !== "open") throw expired();
    try {
      return await client.query(sql, values as unknown[]);
    } catch (error) {
      if (isExpired()) throw expired(error);
      throw error;
    }
  };
  const tx: Queryable = {
    query: async <R>(sql: string, values: readonly unknown[]) => (await run(sql, values)).rows as R[],
    execute: async (sql: string, values: readonly unknown[]) => (await run(sql, values)).rowCount ?? 0,
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
