/** The part of a node-postgres `Pool` used here (a `pg.Pool` fits). */
export interface PgPool {
  connect(): Promise<PgPoolClient>;
  query(text: string, values?: unknown[]): Promise<PgResult>;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
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

export interface PgResult {
  rows: unknown[];
  rowCount: number | null;
}

/** Where errors that no statement receives are reported (the names of `@prisma/adapter-pg`'s options). */
export interface PoolErrorListeners {
  /**
   * An idle connection of the pool failed (server restart, admin kill); the pool drops it and the next
   * statement opens another. With a `pgPool` of yours, the store listens only if you set this.
   */
  onPoolError?: ((error: Error) => void) | undefined;
  /**
   * A connection failed while the store held it; the statement running on it fails as well (with a
   * mapped error), so this is for logging.
   */
  onConnectionError?: ((error: Error) => void) | undefined;
}

/** Settings of the connection pool the store opens itself (with `datasourceUrl`). */
export interface PoolOptions {
  /** Most connections open at once. @default 10 */
  max?: number;
  /** Longest wait for a new connection before failing, in ms (0 = forever, pg's default). @default 5000 */
  connectionTimeoutMillis?: number;
  /** Close a connection idle this long, in ms. @default 10000 */
  idleTimeoutMillis?: number;
  /**
   * PostgreSQL's `lock_timeout` on every connection, in ms (0 = wait forever), sent as a startup
   * parameter: a statement waiting longer for a row lock fails with LockTimeoutError, so a lock held
   * elsewhere (psql, a Perl app, a stuck unit) cannot hold a pooled connection indefinitely. A unit's
   * `lockTimeout` overrides it. PgBouncer refuses startup parameters it does not know (set
   * `ignore_startup_parameters` there, or the role's default with `ALTER ROLE ... SET`). @default the database's
   */
  lockTimeoutMillis?: number;
  /** PostgreSQL's `statement_timeout` on every connection, in ms, as `lockTimeoutMillis` is sent. @default the database's */
  statementTimeoutMillis?: number;
}
