import { deferred, eventually, randomId, someoneWaitsForLock, storedRow } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest({ store: { pool: { max: 20 }, maxWait: 20_000, timeout: 20_000 } });
});
afterAll(() => destroyTest(ctx));

test("materialize holds the row lock until the transaction ends; a second one waits, then sees the commit", async () => {
  const id = randomId();
  await ctx.store.insert({ id, serialized: "0" });
  const locked = deferred();
  const release = deferred();
  const order: string[] = [];

  const first = ctx.store.transaction(async (tx) => {
    await tx.materialize({ id, serialized: null });
    order.push("first locked");
    locked.resolve();
    await release.promise;
    await tx.update({ id, serialized: "1" });
    order.push("first commits");
  });
  await locked.promise;

  const second = ctx.store.transaction(async (tx) => {
    const record = await tx.materialize({ id, serialized: null });
    order.push(`second read ${record.serialized}`);
  });
  // The second transaction is provably blocked on the lock (PostgreSQL says so), not merely slow.
  await eventually(() => someoneWaitsForLock(ctx.admin, ctx.applicationName));
  expect(order).toEqual(["first locked"]);

  release.resolve();
  await Promise.all([first, second]);
  expect(order).toEqual(["first locked", "first commits", "second read 1"]);
});

test("a lock on one id does not block another id", async () => {
  const a = randomId();
  const b = randomId();
  await ctx.store.insert({ id: a, serialized: "a" });
  await ctx.store.insert({ id: b, serialized: "b" });
  const locked = deferred();
  const release = deferred();
  const holder = ctx.store.transaction(async (tx) => {
    await tx.materialize({ id: a, serialized: null });
    locked.resolve();
    await release.promise;
  });
  await locked.promise;
  // Completes while `a` is still locked: if it waited, this await would never return.
  const other = await ctx.store.transaction(async (tx) => {
    const record = await tx.materialize({ id: b, serialized: null });
    await tx.update({ id: b, serialized: "b2" });
    return record.serialized;
  });
  expect(other).toBe("b");
  release.resolve();
  await holder;
});

test("100 concurrent read-modify-write transactions on one record lose no increment", async () => {
  const id = randomId();
  await ctx.store.insert({ id, serialized: "0" });
  await Promise.all(
    Array.from({ length: 100 }, () =>
      ctx.store.transaction(async (tx) => {
        const record = await tx.materialize({ id, serialized: null });
        await tx.update({ id, serialized: String(Number(record.serialized) + 1) });
      }),
    ),
  );
  expect((await storedRow(ctx.admin, id))?.a_session).toBe("100");
});

test("a throw inside the transaction rolls back its writes and reaches the caller", async () => {
  const id = randomId();
  await ctx.store.insert({ id, serialized: "kept" });
  const boom = new Error("boom");
  await expect(
    ctx.store.transaction(async (tx) => {
      await tx.update({ id, serialized: "lost" });
      await tx.insert({ id: randomId(), serialized: "lost too" });
      throw boom;
    }),
  ).rejects.toBe(boom);
  expect((await storedRow(ctx.admin, id))?.a_session).toBe("kept");
});
