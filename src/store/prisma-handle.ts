/**
 * The part of a Prisma client this library calls. Typing only this much (instead of importing a
 * generated `PrismaClient`) lets any generated client, an `$extends` client or a transaction client
 * be passed without type fights, and keeps Prisma's types out of our public API.
 */
export interface SqlClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

export type IsolationLevel = "ReadUncommitted" | "ReadCommitted" | "RepeatableRead" | "Serializable";

/** Prisma interactive-transaction options. */
export interface TransactionOptions {
  /** Longest wait for a connection to start the transaction, in ms. @default 2000 (Prisma's) */
  maxWait?: number;
  /** Longest life of the transaction, in ms; it is rolled back after that. @default 5000 (Prisma's) */
  timeout?: number;
  /** @default the database's (PostgreSQL: ReadCommitted) */
  isolationLevel?: IsolationLevel;
}

/** A full client (not a transaction client): it can start interactive transactions. */
export interface TransactionalClient extends SqlClient {
  // `any` for the callback's client: each generated client has its own transaction-client type.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  $transaction<R>(fn: (tx: any) => Promise<R>, options?: any): Promise<R>;
  $disconnect(): Promise<void>;
}

/** The seed's `Handle`: a PrismaClient (possibly `$extends`-ed) or a transaction client. */
export type PrismaHandle = SqlClient | TransactionalClient;

// Prisma 7 transaction clients also have `$transaction` (it nests into the open transaction), but no
// `$disconnect`: that is what tells a full client from a transaction client.
export function isTransactionalClient(client: PrismaHandle): client is TransactionalClient {
  const candidate = client as Partial<TransactionalClient>;
  return typeof candidate.$transaction === "function" && typeof candidate.$disconnect === "function";
}
