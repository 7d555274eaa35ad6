import type { PGlite, Transaction } from "@electric-sql/pglite";
import type { IsolationLevel } from "../driver/driver.ts";
import type { SqlClient, TransactionalClient } from "../driver/prisma-handle.ts";

type Runner = Pick<PGlite, "query"> | Transaction;

function sqlClientOf(runner: Runner): SqlClient {
  return {
    $queryRawUnsafe: async <T>(sql: string, ...values: unknown[]) => (await runner.query(sql, values)).rows as T,
    $executeRawUnsafe: async (sql: string, ...values: unknown[]) => (await runner.query(sql, values)).affectedRows ?? 0,
  };
}

const isolationLevels: Record<IsolationLevel, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

/**
 * The SQL part of a Prisma client (`$queryRawUnsafe`, `$executeRawUnsafe`, `$transaction`), answered by
 * PGlite itself: what the stores call, without a generated Prisma client. The library ships none, so an
 * app's own `@prisma/client` is the only Prisma runtime in its bundle.
 *
 * PGlite is one connection: a transaction holds it, and other statements wait until it ends. So
 * `$transaction`'s `maxWait` and `timeout` are not applied (there is no pool to wait for, and a
 * transaction cannot be cut short from outside); a session held open blocks every other request. Its
 * `isolationLevel` is applied.
 */
export function pgliteClient(pglite: PGlite): TransactionalClient {
  return {
    ...sqlClientOf(pglite),
    $transaction: <R>(fn: (tx: SqlClient) => Promise<R>, options?: { isolationLevel?: IsolationLevel }) =>
      pglite.transaction(async (tx) => {
        const level = options?.isolationLevel;
        if (level !== undefined) await tx.query(`SET TRANSACTION ISOLATION LEVEL ${isolationLevels[level]}`);
        return fn(sqlClientOf(tx));
      }),
    // The database is closed by its owner (EmbeddedDatabase.close); a store never closes what it was given.
    $disconnect: () => Promise.resolve(),
  };
}
