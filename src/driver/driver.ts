/**
 * The database client as the store sees it, in this library's words. Two drivers implement it: one on
 * a Prisma client or transaction client (prisma-driver.ts), one on a node-postgres pool
 * (pg-pool-driver.ts). A layer between the store and the database (a statement coalescer, a tracer)
 * wraps a Driver and is one.
 */

export type IsolationLevel = "ReadUncommitted" | "ReadCommitted" | "RepeatableRead" | "Serializable";

/** Interactive-transaction options, with Prisma's names and defaults on both drivers. */
export interface TransactionOptions {
  /** Longest wait for a connection to start the transaction, in ms. @default 2000 (Prisma's) */
  maxWait?: number;
  /** Longest life of the transaction, in ms; it is rolled back after that. @default 5000 (Prisma's) */
  timeout?: number;
  /** @default the database's (PostgreSQL: ReadCommitted) */
  isolationLevel?: IsolationLevel;
}

/** Prisma's interactive-transaction defaults, which the node-postgres driver applies too. */
export const transactionDefaults = { maxWait: 2000, timeout: 5000 } as const;

/** Runs single statements. Values are bound parameters (`$1`, `$2`, ...), never spliced into `sql`. */
export interface Queryable {
  /** A statement returning rows. */
  query<R>(sql: string, values: readonly unknown[]): Promise<R[]>;
  /** A statement without rows. @returns the number of rows it affected */
  execute(sql: string, values: readonly unknown[]): Promise<number>;
}

export interface Driver extends Queryable {
  /**
   * True when every statement joins a transaction the caller owns (a Prisma transaction client): then
   * `transaction` runs `fn` inside it, and committing is the caller's business.
   */
  readonly joinsCallerTransaction: boolean;
  /** Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options: TransactionOptions): Promise<T>;
  /** Ends what the driver opened and removes what it added; a client or pool it was given stays open. */
  close(): Promise<void>;
}
