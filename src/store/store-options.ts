import type { PoolOptions } from "./own-client.ts";
import type { PgPool } from "./pg-client.ts";
import type { PrismaHandle, TransactionOptions } from "./prisma-handle.ts";
import { parseTableName, type TableName } from "./table-name.ts";

/** Options of {@link PostgresStore}: the seed's `DataSource`/`UserName`/`Password` or `Handle`, `TableName`, `Commit`. */
export interface PostgresStoreOptions extends TransactionOptions {
  /**
   * The seed's `Handle`: an existing `PrismaClient` (any generated client, `$extends` too) or a
   * transaction client from your own `prisma.$transaction(async (tx) => ...)`. Never disconnected by the
   * store. With a transaction client every operation joins your transaction and you own commit.
   * Give either this or `datasourceUrl`.
   */
  prisma?: PrismaHandle;
  /**
   * The seed's `DataSource`: `postgresql://user:password@host:5432/db`. The store opens its own client
   * (through `@prisma/adapter-pg`) and `close()` disconnects it.
   * @example "postgresql://app@127.0.0.1:5432/app"
   */
  datasourceUrl?: string;
  /**
   * An existing node-postgres `Pool` — e.g. the one you give `new PrismaPg(pool)` — used directly, the
   * fastest path (Prisma's raw-query path costs about twice the client CPU per statement). Never ended
   * by the store. Give one of `prisma`, `datasourceUrl` and `pgPool`.
   */
  pgPool?: PgPool;
  /** Overrides the URL's user name (the seed's `UserName`). */
  user?: string;
  /** Overrides the URL's password (the seed's `Password`). */
  password?: string;
  /** Pool of the store's own client (only with `datasourceUrl`). */
  pool?: PoolOptions;
  /** Table, optionally `schema.table`; validated and quoted. Match your `@@map`. @default "sessions" */
  tableName?: string;
  /**
   * Commit the store's transactions. `false` rolls every transaction back at its end (a dry run).
   * Deviation from the seed, whose default silently discards writes made with its own connection.
   * Not allowed with a transaction client: its owner commits.
   * @default true
   */
  commit?: boolean;
  /** Largest serialized payload accepted by `insert`/`update`, in UTF-8 bytes. @default 16 MiB */
  maxPayloadBytes?: number;
  /**
   * Width of the table's `id` column: longer ids are refused before any SQL. Raise it only together
   * with the column (`@db.Char(64)` in your schema and a migration).
   * @default 32 (the seed's `char(32)`)
   */
  maxIdLength?: number;
}

/** The options only the store reads: with an existing `store`, they belong on that store. */
const storeOnlyOptions = ["prisma", "datasourceUrl", "pgPool", "user", "password", "pool", "tableName", "commit", "maxPayloadBytes", "maxIdLength"] as const;

/** For the layers built on a store (lifecycle, adapter): refuses store options next to an existing `store`. */
export function assertNoStoreOptionsBeside(options: PostgresStoreOptions & { store?: unknown }): void {
  if (options.store === undefined) return;
  const extra = storeOnlyOptions.filter((key) => options[key] !== undefined);
  if (extra.length > 0) throw new TypeError(`With \`store\`, set ${extra.join(", ")} on the store instead`);
}

export const storeDefaults = {
  tableName: "sessions",
  commit: true,
  maxPayloadBytes: 16 * 1024 * 1024,
  maxIdLength: 32,
} as const;

export interface NormalizedStoreOptions {
  table: TableName;
  commit: boolean;
  maxPayloadBytes: number;
  maxIdLength: number;
  transaction: TransactionOptions;
}

function positive(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

export function normalizeStoreOptions(options: PostgresStoreOptions): NormalizedStoreOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("PostgresStore options must be an object with `prisma`, `datasourceUrl` or `pgPool`");
  }
  const given = [options.prisma, options.datasourceUrl, options.pgPool].filter((o) => o !== undefined).length;
  if (given !== 1) {
    throw new TypeError("Give exactly one of `prisma` (an existing client), `datasourceUrl` and `pgPool`");
  }
  if (options.datasourceUrl === undefined && (options.user !== undefined || options.password !== undefined || options.pool !== undefined)) {
    throw new TypeError("`user`, `password` and `pool` apply only with `datasourceUrl`");
  }
  const maxPayloadBytes = options.maxPayloadBytes ?? storeDefaults.maxPayloadBytes;
  if (typeof maxPayloadBytes !== "number" || !(maxPayloadBytes > 0)) {
    throw new RangeError(`maxPayloadBytes must be a positive number, got ${String(maxPayloadBytes)}`);
  }
  const maxIdLength = options.maxIdLength ?? storeDefaults.maxIdLength;
  if (!Number.isInteger(maxIdLength) || maxIdLength < 1 || maxIdLength > 10_485_760) {
    throw new RangeError(`maxIdLength must be a positive integer (the id column's width), got ${String(maxIdLength)}`);
  }
  const transaction: TransactionOptions = {};
  const maxWait = positive("maxWait", options.maxWait);
  const timeout = positive("timeout", options.timeout);
  if (maxWait !== undefined) transaction.maxWait = maxWait;
  if (timeout !== undefined) transaction.timeout = timeout;
  if (options.isolationLevel !== undefined) transaction.isolationLevel = options.isolationLevel;
  return {
    table: parseTableName(options.tableName ?? storeDefaults.tableName),
    commit: options.commit ?? storeDefaults.commit,
    maxPayloadBytes,
    maxIdLength,
    transaction,
  };
}
