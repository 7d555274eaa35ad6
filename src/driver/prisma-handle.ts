/**
 * The part of a Prisma client this library calls. Typing only this much (instead of importing a
 * generated `PrismaClient`) lets any generated client, an `$extends` client or a transaction client
 * be passed without type fights, and keeps Prisma's types out of our public API.
 */
export interface SqlClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/** A full client (not a transaction client): it can start interactive transactions. */
export interface TransactionalClient extends SqlClient {
  // `any` for the callback's client and options: each generated client has its own types for them.
  $transaction<R>(fn: (tx: any) => Promise<R>, options?: any): Promise<R>;
  $disconnect(): Promise<void>;
}

/** Apache::Session's `Handle`: a PrismaClient (possibly `$extends`-ed) or a transaction client. */
export type PrismaHandle = SqlClient | TransactionalClient;

// Prisma 7 transaction clients also have `$transaction` (it nests into the open transaction), but no
// `$disconnect`: that is what tells a full client from a transaction client.
export function isTransactionalClient(client: PrismaHandle): client is TransactionalClient {
  const candidate = client as Partial<TransactionalClient>;
  return typeof candidate.$transaction === "function" && typeof candidate.$disconnect === "function";
}
