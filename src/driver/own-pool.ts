import pg from "pg";
import type { PgPool, PoolErrorListeners, PoolOptions } from "./pg-pool.ts";

export interface OwnPoolOptions extends PoolErrorListeners {
  datasourceUrl: string;
  user?: string | undefined;
  password?: string | undefined;
  pool?: PoolOptions | undefined;
}

/** Applies `user`/`password` over the URL's own (Apache::Session's `UserName`/`Password` over `DataSource`). */
export function connectionString({ datasourceUrl, user, password }: OwnPoolOptions): string {
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

const ignore = () => undefined;

/**
 * Opens the store's own node-postgres pool ("if we open the connection, we close the connection"):
 * the driver under `@prisma/adapter-pg`, used directly.
 */
export function openOwnPool(options: OwnPoolOptions): PgPool {
  const pool = new pg.Pool({
    connectionString: connectionString(options),
    max: options.pool?.max ?? 10,
    connectionTimeoutMillis: options.pool?.connectionTimeoutMillis ?? 5000,
    idleTimeoutMillis: options.pool?.idleTimeoutMillis ?? 10_000,
    // Bounded waits on the server when asked for (see PoolOptions: startup parameters, which PgBouncer
    // refuses unless told to ignore them), and TCP keepalive so that a database that went silent (a
    // failover, a dropped route) is noticed by the socket, not only by the next statement.
    ...(options.pool?.lockTimeoutMillis === undefined ? {} : { lock_timeout: options.pool.lockTimeoutMillis }),
    ...(options.pool?.statementTimeoutMillis === undefined ? {} : { statement_timeout: options.pool.statementTimeoutMillis }),
    keepAlive: true,
  });
  // An idle connection that the server closes (restart, admin kill) must not crash the process: the
  // pool drops it, and the next statement opens another.
  pool.on("error", options.onPoolError ?? ignore);
  // A server shutdown can deliver a new connection's last ReadyForQuery and its FATAL in one read,
  // after pg-pool handed the connection out but before anyone listens on it: without a listener from
  // the start, that "error" event is an uncaught exception. Statements still fail and are mapped.
  pool.on("connect", (client) => client.on("error", options.onConnectionError ?? ignore));
  return pool;
}
