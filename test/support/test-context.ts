import type pg from "pg";
import { PostgresStore, type PostgresStoreOptions } from "../../src/index.ts";
import {
  adminPool,
  countingClient,
  createTable,
  newPrismaClient,
  randomId,
  testDatabaseUrl,
  type CountingClient,
  type TestPrismaClient,
} from "./database.ts";

// One test file's database setup and teardown, after kysely's `initTest` / `destroyTest`
// (kysely/test/node/src/test-setup.ts): one function opens what a file needs and returns it as one
// object, one function closes all of it.
//
//   let ctx: TestContext;
//   beforeAll(async () => {
//     ctx = await initTest({ table: "fastify" });
//   });
//   afterAll(() => destroyTest(ctx));

/** The options of `ctx.store`: everything but the connection (this file's database) and the table (`ctx.table`). */
export type TestStoreOptions = Omit<PostgresStoreOptions, "prisma" | "datasourceUrl" | "pgPool" | "tableName">;

export interface TestOptions {
  /** Makes a table of the file's own, `<prefix>_<random>` (the migrations, renamed), as `ctx.table`. */
  table?: string;
  /** Connections of `ctx.admin`. @default 4 */
  adminPoolSize?: number;
  /** Opens `ctx.store`: a PostgresStore on connections of its own (datasourceUrl) to `ctx.table`, with these options. */
  store?: TestStoreOptions | true;
}

export interface TestContext {
  /**
   * This file's database URL (through PgBouncer in the `pgbouncer` project), with `applicationName`:
   * what is opened with it (ctx.store, ctx.prisma, a manager or store of the file's) is told apart
   * from other test files' connections in pg_stat_activity.
   */
  readonly url: string;
  /** The `application_name` in `url`, unique to this context. */
  readonly applicationName: string;
  /** A plain node-postgres pool, for arranging and checking rows behind the library's back. */
  readonly admin: pg.Pool;
  /** The table the file works on: its own (`options.table`) or the migrated `sessions`. */
  readonly table: string;
  /** A PrismaClient whose connections record every statement they send (opened on first use). */
  readonly counting: CountingClient;
  /** A plain PrismaClient (opened on first use). */
  readonly prisma: TestPrismaClient;
  /** The store `options.store` asked for. */
  readonly store: PostgresStore;
  /** Another table of the file's own, `<prefix>_<random>` (never dropped: the run's database is). */
  newTable(prefix?: string): Promise<string>;
  /**
   * Has `destroyTest` run `step` (close a manager, an adapter, a server...): steps run last registered
   * first, every one even when another fails, and before the connections above are closed.
   */
  cleanup(step: () => unknown): void;
}

/** Opens what a test file needs (see TestOptions); `destroyTest` closes it. */
export async function initTest(options: TestOptions = {}): Promise<TestContext> {
  const context = new FileContext(adminPool(options.adminPoolSize));
  try {
    if (options.table !== undefined) context.table = await context.newTable(options.table);
    if (options.store !== undefined)
      context.openStore(options.table === undefined ? undefined : context.table, options.store === true ? {} : options.store);
  } catch (error) {
    await context.destroy().catch(() => undefined);
    throw error;
  }
  return context;
}

/** Closes everything `initTest` opened and runs every `ctx.cleanup` step. Does nothing without a context (its `initTest` failed). */
export async function destroyTest(ctx: TestContext | undefined): Promise<void> {
  if (ctx === undefined) return;
  if (!(ctx instanceof FileContext)) throw new TypeError("destroyTest takes what initTest returned");
  await ctx.destroy();
}

class FileContext implements TestContext {
  readonly applicationName = `test_${randomId().slice(0, 12)}`;
  readonly url = withApplicationName(testDatabaseUrl(), this.applicationName);
  table = "sessions";
  readonly #steps: Array<() => unknown> = [];
  #counting: CountingClient | undefined;
  #prisma: TestPrismaClient | undefined;
  #store: PostgresStore | undefined;

  constructor(readonly admin: pg.Pool) {}

  get counting(): CountingClient {
    return (this.#counting ??= countingClient());
  }

  get prisma(): TestPrismaClient {
    return (this.#prisma ??= newPrismaClient(this.url));
  }

  get store(): PostgresStore {
    if (this.#store === undefined) throw new Error("this file's initTest() was not asked for a store (options.store)");
    return this.#store;
  }

  openStore(tableName: string | undefined, options: TestStoreOptions): void {
    this.#store = new PostgresStore({ datasourceUrl: this.url, ...(tableName === undefined ? {} : { tableName }), ...options });
  }

  newTable(prefix?: string): Promise<string> {
    return createTable(this.admin, prefix);
  }

  cleanup(step: () => unknown): void {
    this.#steps.push(step);
  }

  async destroy(): Promise<void> {
    const failures: unknown[] = [];
    const run = async (step: () => unknown) => {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    };
    while (this.#steps.length > 0) await run(this.#steps.pop()!);
    const [store, counting, prisma] = [this.#store, this.#counting, this.#prisma];
    if (store !== undefined) await run(() => store.close());
    if (counting !== undefined) await run(() => counting.close());
    if (prisma !== undefined) await run(() => prisma.$disconnect());
    await run(() => this.admin.end());
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, "destroyTest: several teardown steps failed");
  }
}

function withApplicationName(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set("application_name", name);
  return url.toString();
}
