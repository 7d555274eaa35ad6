import { createServer, type Server } from "node:net";
import {
  DatabaseCause,
  SessionDatabaseError,
  DuplicateSessionIdError,
  isSessionStoreError,
  LockTimeoutError,
  PostgresStore,
  SessionStoreError,
  StoreUnavailableError,
  TableNotFoundError,
  TransactionTimeoutError,
} from "../../src/index.ts";
import pg from "pg";
import { adminPool, deferred, newPrismaClient, randomId } from "../support/database.ts";
import { migrationScriptsFor } from "../support/migrations.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest({ store: true });
});
afterAll(() => destroyTest(ctx));

test("a missing table says to run the migrations", async () => {
  const missing = new PostgresStore({ datasourceUrl: ctx.url, tableName: "no_such_table" });
  try {
    const error = await missing.materialize({ id: randomId(), serialized: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TableNotFoundError);
    expect((error as Error).message).toMatch(/table no_such_table does not exist: run `npx prisma migrate deploy`/);
    expect(error).toMatchObject({ table: "no_such_table" });
  } finally {
    await missing.close();
  }
});

test("a server that refuses connections is StoreUnavailableError, quickly", async () => {
  // Bind then close a port so nothing listens on it.
  const probe: Server = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  const down = new PostgresStore({ datasourceUrl: `postgresql://postgres@127.0.0.1:${port}/db` });
  try {
    const error = await down.insert({ id: randomId(), serialized: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(isSessionStoreError(error, "StoreUnavailableError")).toBe(true);
  } finally {
    await down.close();
  }
});

test("a server that only reads (a standby before its promotion: SQLSTATE 25006) is StoreUnavailableError on every write path", async () => {
  // A read-only server, as a standby is: a database of its own whose every transaction is read-only
  // (set on the database, not by a startup parameter, so that it works through PgBouncer too).
  const name = `ro_${randomId().slice(0, 12)}`;
  const admin = adminPool(1);
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(ctx.url);
  url.pathname = `/${name}`;
  const readOnlyUrl = url.toString();
  await admin.query(`ALTER DATABASE "${name}" SET default_transaction_read_only = on`);
  // The table, in the one transaction that asks to write.
  const table = `ro_${randomId().slice(0, 12)}`;
  const setup = new pg.Client({ connectionString: readOnlyUrl });
  await setup.connect();
  await setup.query("BEGIN READ WRITE");
  for (const sql of migrationScriptsFor(table)) await setup.query(sql);
  await setup.query("COMMIT");
  await setup.end();
  const store = new PostgresStore({ datasourceUrl: readOnlyUrl, tableName: table });
  const prisma = newPrismaClient(readOnlyUrl);
  try {
    for (const target of [store, new PostgresStore({ prisma, tableName: table })]) {
      const id = randomId();
      const failures = await Promise.all([
        target.insert({ id, serialized: "x" }).catch((e: unknown) => e),
        target.writeRow({ kind: "upsert", id, text: "x", expiresAt: new Date(Date.now() + 60_000) }).catch((e: unknown) => e),
        target.transaction((tx) => tx.update({ id, serialized: "y" })).catch((e: unknown) => e),
      ]);
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(StoreUnavailableError);
        expect(failure).toMatchObject({ code: "ERR_STORE_UNAVAILABLE", cause: { code: "25006" } });
      }
    }
  } finally {
    await store.close();
    await prisma.$disconnect();
    await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    await admin.end();
  }
});

test("a database that does not exist is StoreUnavailableError", async () => {
  const url = new URL(ctx.url);
  url.pathname = "/no_such_database_here";
  const down = new PostgresStore({ datasourceUrl: url.toString() });
  try {
    await expect(down.remove({ id: randomId() })).rejects.toBeInstanceOf(StoreUnavailableError);
  } finally {
    await down.close();
  }
});

test("waiting longer than lock_timeout is LockTimeoutError naming the session", async () => {
  const id = randomId();
  await ctx.store.insert({ id, serialized: "x" });
  const locked = deferred();
  const release = deferred();
  const holder = ctx.store.transaction(async (tx) => {
    await tx.materialize({ id, serialized: null });
    locked.resolve();
    await release.promise;
  });
  await locked.promise;
  try {
    const error = await ctx.store
      .transaction(async (tx) => {
        await tx.execute("SET LOCAL lock_timeout = '50ms'", []);
        await tx.materialize({ id, serialized: null });
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error).toMatchObject({ sessionId: id });
  } finally {
    release.resolve();
    await holder;
  }
});

test("a transaction outliving `timeout` is TransactionTimeoutError and is rolled back", async () => {
  const id = randomId();
  const error = await ctx.store
    .transaction(
      async (tx) => {
        await tx.insert({ id, serialized: "x" });
        await tx.execute("SELECT pg_sleep(0.3)", []);
        await tx.update({ id, serialized: "y" });
      },
      { timeout: 100 },
    )
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TransactionTimeoutError);
  await expect(ctx.store.remove({ id })).resolves.toBe(0);
});

test("errors have one base class, a literal name, a code, and a cause that tells the SQLSTATE without the driver's detail", async () => {
  const id = randomId();
  await ctx.store.insert({ id, serialized: "x" });
  const error = await ctx.store.insert({ id, serialized: "x" }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SessionStoreError);
  expect(isSessionStoreError(error)).toBe(true);
  expect(isSessionStoreError(error, "DuplicateSessionIdError")).toBe(true);
  expect(isSessionStoreError(error, "SessionNotFoundError")).toBe(false);
  expect(isSessionStoreError(new Error("plain"))).toBe(false);
  expect(error).toMatchObject({ code: "ERR_DUPLICATE_SESSION_ID" });
  // The driver's SQLSTATE and sentence, not its error: PostgreSQL's detail quotes the key (`Key (id)=(...)`).
  expect((error as Error).cause).toBeInstanceOf(DatabaseCause);
  expect((error as Error).cause).toMatchObject({ code: "23505" });
  expect(JSON.stringify({ ...(error as object), cause: { ...((error as Error).cause as object) } })).not.toContain("Key (id)");
  // Through a PrismaClient handle alike.
  const prisma = newPrismaClient();
  try {
    const viaPrisma = await new PostgresStore({ prisma }).insert({ id, serialized: "x" }).catch((e: unknown) => e);
    expect(viaPrisma).toBeInstanceOf(DuplicateSessionIdError);
    expect((viaPrisma as Error).cause).toMatchObject({ name: "DatabaseCause", code: "23505" });
  } finally {
    await prisma.$disconnect();
  }
});

test("a typed error keeps the caller's frames in its stack (async stack traces are not cut at the driver)", async () => {
  async function applicationCodeThatLoadsASession(): Promise<unknown> {
    return ctx.store.materialize({ id: randomId(), serialized: null });
  }
  const error = (await applicationCodeThatLoadsASession().catch((e: unknown) => e)) as Error;
  expect(error.name).toBe("SessionNotFoundError");
  expect(error.stack).toContain("applicationCodeThatLoadsASession");
  const dbError = (await (async function applicationCodeThatInserts() {
    const id = randomId();
    await ctx.store.insert({ id, serialized: "x" });
    return ctx.store.insert({ id, serialized: "x" });
  })().catch((e: unknown) => e)) as Error;
  expect(dbError.name).toBe("DuplicateSessionIdError");
  expect(dbError.stack).toContain("applicationCodeThatInserts");
});

test("a unique violation is DuplicateSessionIdError only on the sessions table's id, not on another table or index", async () => {
  const other = `other_${randomId().slice(0, 12)}`;
  const id = randomId();
  await ctx.store.execute(`CREATE TABLE "${other}" (id char(32) PRIMARY KEY)`, []);
  const prisma = newPrismaClient();
  try {
    for (const viaStore of [ctx.store, new PostgresStore({ prisma })]) {
      await viaStore.execute(`INSERT INTO "${other}" (id) VALUES ($1)`, [id]).catch(() => undefined);
      const duplicate = await viaStore.execute(`INSERT INTO "${other}" (id) VALUES ($1)`, [id], id).catch((e: unknown) => e);
      // Not a duplicate session id: a database error, typed, with its SQLSTATE.
      expect(duplicate).not.toBeInstanceOf(DuplicateSessionIdError);
      expect(duplicate).toBeInstanceOf(SessionDatabaseError);
      expect(duplicate).toMatchObject({ code: "ERR_SESSION_DATABASE", sqlState: "23505" });
      expect(String(duplicate)).toMatch(/duplicate key|Unique constraint/i);
      // The same violation on the sessions table is a duplicate session id.
      await viaStore.insert({ id, serialized: "x" }).catch(() => undefined);
      await expect(viaStore.insert({ id, serialized: "x" })).rejects.toBeInstanceOf(DuplicateSessionIdError);
    }
  } finally {
    await prisma.$disconnect();
    await ctx.store.execute(`DROP TABLE "${other}"`, []);
  }
});

test("a catalog conflict (CREATE TABLE behind another's uncommitted CREATE TABLE) is not DuplicateSessionIdError", async () => {
  const name = `cat_${randomId().slice(0, 12)}`;
  const first = adminPool();
  const firstClient = await first.connect();
  const racer = new PostgresStore({ datasourceUrl: ctx.url });
  try {
    // The second CREATE waits on the first one's catalog row; when that commits, it fails with a unique
    // violation on pg_type's index (23505): a catalog conflict, not a duplicate session id.
    await firstClient.query("BEGIN");
    await firstClient.query(`CREATE TABLE "${name}" (id int PRIMARY KEY)`);
    const second = racer.execute(`CREATE TABLE IF NOT EXISTS "${name}" (id int PRIMARY KEY)`, []).then(
      () => undefined,
      (error: unknown) => error,
    );
    await waitForLockWait(first, name);
    await firstClient.query("COMMIT");
    const failure = await second;
    expect(failure).not.toBeInstanceOf(DuplicateSessionIdError);
    expect(failure).toMatchObject({ sqlState: "23505" });
  } finally {
    firstClient.release();
    await first.query(`DROP TABLE IF EXISTS "${name}"`);
    await first.end();
    await racer.close();
  }
});

/** Returns once a statement naming `table` waits for a lock (no fixed sleep). */
async function waitForLockWait(pool: pg.Pool, table: string): Promise<void> {
  for (;;) {
    const { rows } = await pool.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND position($1 in query) > 0",
      [table],
    );
    if (rows[0].n > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
