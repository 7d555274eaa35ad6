import pg from "pg";
import { PostgresStore, TransactionTimeoutError } from "../../src/index.ts";
import { deferred, randomId, storedRow } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// ctx.admin is the app's pool handed to the stores as `pgPool` (two connections).
let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest({ adminPoolSize: 2 });
});
afterAll(() => destroyTest(ctx));

test("pgPool: the store uses the given node-postgres pool and never ends it", async () => {
  const store = new PostgresStore({ pgPool: ctx.admin });
  const id = randomId();
  await store.insert({ id, serialized: "via pg pool" });
  await store.close();
  expect((await storedRow(ctx.admin, id))?.a_session).toBe("via pg pool");
});

test("transactions honour isolationLevel", async () => {
  const store = new PostgresStore({ pgPool: ctx.admin, isolationLevel: "Serializable" });
  const level = await store.transaction(async (tx) => {
    const rows = await tx.query<{ transaction_isolation: string }>("SHOW transaction_isolation", []);
    return rows[0]!.transaction_isolation;
  });
  expect(level).toBe("serializable");
});

test("no free connection within maxWait is TransactionTimeoutError, and nothing leaks", async () => {
  const single = new pg.Pool({ connectionString: ctx.url, max: 1 });
  const store = new PostgresStore({ pgPool: single, maxWait: 100 });
  const inside = deferred();
  const release = deferred();
  const holder = store.transaction(async () => {
    inside.resolve();
    await release.promise;
  });
  await inside.promise;
  await expect(store.transaction(async () => "never")).rejects.toBeInstanceOf(TransactionTimeoutError);
  release.resolve();
  await holder;
  await expect(store.transaction(async () => "free again")).resolves.toBe("free again");
  await single.end();
});

test("a unit of work that never ends loses its lock at `timeout`: the connection is closed and PostgreSQL rolls back", async () => {
  const store = new PostgresStore({ pgPool: ctx.admin, timeout: 200, maxWait: 5000 });
  const id = randomId();
  await store.insert({ id, serialized: "before" });
  const locked = deferred();
  const stuck = store.transaction(async (tx) => {
    await tx.materialize({ id, serialized: null });
    await tx.update({ id, serialized: "never committed" });
    locked.resolve();
    await new Promise(() => undefined); // a callback that hangs forever
  });
  const outcome = stuck.catch((error: unknown) => error);
  await locked.promise;
  const other = new PostgresStore({ datasourceUrl: ctx.url, timeout: 10_000 });
  try {
    // Waits for the row lock, which the expired transaction's closed connection gives up.
    const seen = await other.transaction(async (tx) => (await tx.materialize({ id, serialized: null })).serialized);
    expect(seen).toBe("before");
  } finally {
    await other.close();
  }
  // Its caller is not left waiting forever either.
  expect(await outcome).toBeInstanceOf(TransactionTimeoutError);
});
