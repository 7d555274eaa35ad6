import pg from "pg";
import { PgClient } from "./pg-client.ts";
import type { TransactionalClient } from "./prisma-handle.ts";

/** Settings of the connection pool of a client the store opens itself. */
export interface PoolOptions {
  /** Most connections open at once. @default 10 */
  max?: number;
  /** Longest wait for a new connection before failing, in ms (0 = forever, pg's default). @default 5000 */
  connectionTimeoutMillis?: number;
  /** Close a connection idle this long, in ms. @default 10000 */
  idleTimeoutMillis?: number;
}

export interface ConnectionOptions {
  datasourceUrl: string;
  user?: string | undefined;
  password?: string | undefined;
  pool?: PoolOptions | undefined;
}

/** Applies `user`/`password` over the URL's own (the seed's `UserName`/`Password` over `DataSource`). */
export function connectionString({ datasourceUrl, user, password }: ConnectionOptions): string {
  let url: URL;
  try {
    url = new URL(datasourceUrl);
  } catch (cause) {
    throw new TypeError("datasourceUrl must be a postgresql:// URL", { cause });
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new TypeError(`datasourceUrl must be a postgresql:// URL, got ${url.protocol}//...`);
  }
  if (user !== undefined) url.username = encodeURIComponent(user);
  if (password !== undefined) url.password = encodeURIComponent(password);
  return url.toString();
}

/**
 * Opens the store's own connection pool ("if we open the connection, we close the connection"):
 * node-postgres, the driver under `@prisma/adapter-pg`, used directly — see {@link PgClient}.
 */
export function createOwnClient(options: ConnectionOptions): TransactionalClient {
  const pool = new pg.Pool({
    connectionString: connectionString(options),
    max: options.pool?.max ?? 10,
    connectionTimeoutMillis: options.pool?.connectionTimeoutMillis ?? 5000,
    idleTimeoutMillis: options.pool?.idleTimeoutMillis ?? 10_000,
  });
  // An idle pooled connection that the server closes (restart, admin kill) must not crash the process:
  // the pool drops it, and the next query opens a new one.
  pool.on("error", () => undefined);
  return new PgClient(pool, true);
}
