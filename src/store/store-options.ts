import type { IsolationLevel, TransactionOptions } from "../driver/driver.ts";
import type { DriverSource } from "../driver/open-driver.ts";
import type { PgPool, PoolErrorListeners, PoolOptions } from "../driver/pg-pool.ts";
import type { PrismaHandle } from "../driver/prisma-handle.ts";
import { parseTableName, type TableName } from "../table/table-name.ts";

/** How to reach the database: Apache::Session's `DataSource`/`UserName`/`Password` or `Handle`. Give one of `prisma`, `datasourceUrl`, `pgPool`. */
export interface ConnectionOptions extends PoolErrorListeners {
  /**
   * Apache::Session's `Handle`: an existing `PrismaClient` (any generated client, `$extends` too) or a
   * transaction client from your own `prisma.$transaction(async (tx) => ...)`. Never disconnected by the
   * store. With a transaction client every operation joins your transaction and you own commit.
   */
  prisma?: PrismaHandle;
  /**
   * Apache::Session's `DataSource`: `postgresql://user:password@host:5432/db`. The store opens its own
   * node-postgres pool (the driver under `@prisma/adapter-pg`) and `close()` ends it.
   * @example "postgresql://app@127.0.0.1:5432/app"
   */
  datasourceUrl?: string;
  /**
   * An existing node-postgres `Pool` — e.g. the one you give `new PrismaPg(pool)` — used directly, the
   * fastest path (Prisma's raw-query path costs about twice the client CPU per statement). Never ended
   * by the store, which adds no listener to it beyond `onPoolError`.
   */
  pgPool?: PgPool;
  /** Overrides the URL's user name (Apache::Session's `UserName`). Only with `datasourceUrl`. */
  user?: string;
  /** Overrides the URL's password (Apache::Session's `Password`). Only with `datasourceUrl`. */
  password?: string;
  /** The store's own pool. Only with `datasourceUrl`. */
  pool?: PoolOptions;
}

/** The sessions table. */
export interface TableOptions {
  /** Table, optionally `schema.table`; validated and quoted. Match your `@@map`. @default "sessions" */
  tableName?: string;
  /** Largest serialized payload accepted by writes, in UTF-8 bytes. @default 16 MiB */
  maxPayloadBytes?: number;
  /**
   * Width of the table's `id` column: longer ids are refused before any SQL. Raise it only together
   * with the column (`@db.Char(64)` in your schema and a migration); `ensureSchema` follows it.
   * @default 32 (Apache::Session's `char(32)`)
   */
  maxIdLength?: number;
}

/** Coalescing of concurrent single-row statements (reads, and the adapters' writes). */
export interface BatchOptions {
  /**
   * Send concurrent reads of one event-loop turn as one `WHERE id = ANY($1)` and concurrent writes as one
   * statement per kind, keeping each id's order. Off inside a caller's transaction and with
   * `commit: false`. @default true
   */
  batch?: boolean;
  /** Most rows per coalesced statement. @default 256 */
  maxBatchSize?: number;
}

/** Options of {@link PostgresStore}: Apache::Session's `DataSource`/`UserName`/`Password` or `Handle`, `TableName`, `Commit`. */
export interface PostgresStoreOptions extends ConnectionOptions, TableOptions, BatchOptions, TransactionOptions {
  /**
   * Commit the store's transactions. `false` rolls every transaction back at its end (a dry run).
   * Deviation from Apache::Session, whose default silently discards writes made with its own
   * connection. Not allowed with a transaction client: its owner commits.
   * @default true
   */
  commit?: boolean;
}

export const connectionOptionKeys = [
  "prisma",
  "datasourceUrl",
  "pgPool",
  "user",
  "password",
  "pool",
  "onPoolError",
  "onConnectionError",
] as const;
export const tableOptionKeys = ["tableName", "maxPayloadBytes", "maxIdLength"] as const;
export const batchOptionKeys = ["batch", "maxBatchSize"] as const;
export const transactionOptionKeys = ["maxWait", "timeout", "isolationLevel"] as const;
export const storeOptionKeys = [
  ...connectionOptionKeys,
  ...tableOptionKeys,
  ...batchOptionKeys,
  ...transactionOptionKeys,
  "commit",
] as const;

/**
 * Refuses options a layer does not read, naming them: an option accepted and ignored is a silent
 * misconfiguration. Keys set to `undefined` count as not given.
 */
export function assertOnlyOptions(options: object, known: readonly string[], layer: string, hint = ""): void {
  const unused = Object.keys(options).filter((key) => !known.includes(key) && (options as Record<string, unknown>)[key] !== undefined);
  if (unused.length > 0) {
    throw new TypeError(`${layer} does not use the option${unused.length > 1 ? "s" : ""} ${unused.join(", ")}${hint}`);
  }
}

/** For the layers built on a store (lifecycle, adapter): refuses the store's own options next to an existing `store`. */
export function assertNoStoreOptionsBeside(options: object & { store?: unknown }): void {
  if (options.store === undefined) return;
  const settings = [...connectionOptionKeys, ...tableOptionKeys, ...batchOptionKeys, "commit"];
  const extra = settings.filter((key) => (options as Record<string, unknown>)[key] !== undefined);
  if (extra.length > 0) throw new TypeError(`With \`store\`, set ${extra.join(", ")} on the store instead`);
}

export const storeDefaults = {
  tableName: "sessions",
  commit: true,
  maxPayloadBytes: 16 * 1024 * 1024,
  maxIdLength: 32,
  batch: true,
  maxBatchSize: 256,
} as const;

const isolationLevels: readonly IsolationLevel[] = ["ReadUncommitted", "ReadCommitted", "RepeatableRead", "Serializable"];

function positive(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

/** Checks `maxWait`, `timeout` and `isolationLevel`, and keeps only those that are set. */
export function normalizeTransactionOptions(options: TransactionOptions): TransactionOptions {
  const transaction: TransactionOptions = {};
  const maxWait = positive("maxWait", options.maxWait);
  const timeout = positive("timeout", options.timeout);
  if (maxWait !== undefined) transaction.maxWait = maxWait;
  if (timeout !== undefined) transaction.timeout = timeout;
  if (options.isolationLevel !== undefined) {
    if (!isolationLevels.includes(options.isolationLevel)) {
      throw new RangeError(`isolationLevel must be one of ${isolationLevels.join(", ")}, got ${String(options.isolationLevel)}`);
    }
    transaction.isolationLevel = options.isolationLevel;
  }
  return transaction;
}

/** Checks a `lockTimeout` (PostgreSQL `lock_timeout` for one transaction, in ms). */
export function normalizeLockTimeout(lockTimeout: number | undefined): number | undefined {
  if (lockTimeout !== undefined && !(Number.isInteger(lockTimeout) && lockTimeout > 0)) {
    throw new RangeError(`lockTimeout must be a positive whole number of milliseconds, got ${String(lockTimeout)}`);
  }
  return lockTimeout;
}

export interface NormalizedStoreOptions {
  driver: DriverSource;
  table: TableName;
  commit: boolean;
  maxPayloadBytes: number;
  maxIdLength: number;
  /** Most rows per coalesced statement, or `false` for one statement per call. */
  batch: number | false;
  transaction: TransactionOptions;
}

function driverSourceOf(options: ConnectionOptions): DriverSource {
  const given = [options.prisma, options.datasourceUrl, options.pgPool].filter((o) => o !== undefined).length;
  if (given !== 1) {
    throw new TypeError("Give exactly one of `prisma` (an existing client), `datasourceUrl` and `pgPool`");
  }
  if (options.datasourceUrl === undefined && (options.user !== undefined || options.password !== undefined || options.pool !== undefined)) {
    throw new TypeError("`user`, `password` and `pool` apply only with `datasourceUrl`");
  }
  const listeners = { onPoolError: options.onPoolError, onConnectionError: options.onConnectionError };
  for (const [name, listener] of Object.entries(listeners)) {
    if (listener !== undefined && typeof listener !== "function") throw new TypeError(`${name} must be a function`);
  }
  if (options.prisma !== undefined) {
    if (listeners.onPoolError !== undefined || listeners.onConnectionError !== undefined) {
      throw new TypeError("`onPoolError` and `onConnectionError` apply to `datasourceUrl` and `pgPool`; a Prisma client reports its own");
    }
    return { prisma: options.prisma };
  }
  if (options.pgPool !== undefined) return { pgPool: options.pgPool, ...listeners };
  return { datasourceUrl: options.datasourceUrl!, user: options.user, password: options.password, pool: options.pool, ...listeners };
}

export function normalizeStoreOptions(options: PostgresStoreOptions): NormalizedStoreOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("PostgresStore options must be an object with `prisma`, `datasourceUrl` or `pgPool`");
  }
  assertOnlyOptions(options, storeOptionKeys, "PostgresStore");
  const driver = driverSourceOf(options);
  const maxPayloadBytes = options.maxPayloadBytes ?? storeDefaults.maxPayloadBytes;
  if (typeof maxPayloadBytes !== "number" || !(maxPayloadBytes > 0)) {
    throw new RangeError(`maxPayloadBytes must be a positive number, got ${String(maxPayloadBytes)}`);
  }
  const maxIdLength = options.maxIdLength ?? storeDefaults.maxIdLength;
  if (!Number.isInteger(maxIdLength) || maxIdLength < 1 || maxIdLength > 10_485_760) {
    throw new RangeError(`maxIdLength must be a positive integer (the id column's width), got ${String(maxIdLength)}`);
  }
  const batch = options.batch ?? storeDefaults.batch;
  if (typeof batch !== "boolean") throw new TypeError(`batch must be true or false, got ${String(batch)}`);
  const maxBatchSize = options.maxBatchSize ?? storeDefaults.maxBatchSize;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new RangeError(`maxBatchSize must be a positive integer, got ${String(maxBatchSize)}`);
  }
  return {
    driver,
    batch: batch ? maxBatchSize : false,
    table: parseTableName(options.tableName ?? storeDefaults.tableName),
    commit: options.commit ?? storeDefaults.commit,
    maxPayloadBytes,
    maxIdLength,
    transaction: normalizeTransactionOptions(options),
  };
}

/** The store's options out of a layer's options (`Object.assign`-style copies of set keys only). */
export function pickOptions<K extends string>(options: Partial<Record<K, unknown>>, keys: readonly K[]): Partial<Record<K, unknown>> {
  const picked: Partial<Record<K, unknown>> = {};
  for (const key of keys) if (options[key] !== undefined) picked[key] = options[key];
  return picked;
}
