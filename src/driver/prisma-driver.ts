import type { Driver, Queryable, TransactionOptions } from "./driver.ts";
import { isTransactionalClient, type PrismaHandle, type SqlClient } from "./prisma-handle.ts";

function queryableOf(client: SqlClient): Queryable {
  return {
    query: <R>(sql: string, values: readonly unknown[]) => Promise.resolve(client.$queryRawUnsafe<R[]>(sql, ...values)),
    execute: (sql: string, values: readonly unknown[]) => Promise.resolve(client.$executeRawUnsafe(sql, ...values)),
  };
}

/**
 * A driver on a Prisma client (statements through `$queryRawUnsafe` / `$executeRawUnsafe`, transactions
 * through `$transaction`) or on a transaction client (everything joins the caller's transaction).
 */
export class PrismaDriver implements Driver {
  readonly #client: PrismaHandle;
  readonly #queryable: Queryable;
  readonly joinsCallerTransaction: boolean;

  /** The client is never disconnected here: the app that made it owns it. */
  constructor(client: PrismaHandle) {
    this.#client = client;
    this.#queryable = queryableOf(client);
    this.joinsCallerTransaction = !isTransactionalClient(client);
  }

  query<R>(sql: string, values: readonly unknown[]): Promise<R[]> {
    return this.#queryable.query<R>(sql, values);
  }

  execute(sql: string, values: readonly unknown[]): Promise<number> {
    return this.#queryable.execute(sql, values);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>, options: TransactionOptions): Promise<T> {
    const client = this.#client;
    if (!isTransactionalClient(client)) return fn(this.#queryable);
    return client.$transaction((tx: SqlClient) => fn(queryableOf(tx)), options);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
