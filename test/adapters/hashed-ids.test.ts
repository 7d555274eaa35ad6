import { createHash, createHmac } from "node:crypto";
import type { SessionData } from "express-session";
import { PgSessionStore, type PgSessionStoreOptions } from "../../src/adapters/express-session/index.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

const T0 = Date.parse("2026-11-25T12:00:00Z");
const session = (data: Record<string, unknown>) =>
  ({ cookie: { originalMaxAge: 60_000, expires: new Date(T0 + 60_000) }, ...data }) as unknown as SessionData;
// express-session's default id shape: 32 characters of base64url.
const sid = "Qm9vZ2llIHdvb2dpZSBzZXNzaW9uIGlk";

/** A store on `table` hashing its ids (hashIds: true unless given), its clock at T0 unless given. */
function hashedStore(table: string, options: Partial<PgSessionStoreOptions> = {}): PgSessionStore {
  return new PgSessionStore({
    prisma: ctx.counting.prisma,
    tableName: table,
    hashIds: true,
    pruneSessionInterval: false,
    now: () => T0,
    ...options,
  });
}

async function storedIds(table: string): Promise<string[]> {
  return (await ctx.admin.query(`SELECT id::text AS id FROM "${table}"`)).rows.map((r) => r.id);
}

test("hashIds: true stores a SHA-256 of the id, never the id; everything still works in one statement", async () => {
  const table = await ctx.newTable("hashed");
  const store = hashedStore(table);
  await store.set(sid, session({ user: "ann" }));
  const expected = createHash("sha256").update(sid).digest().subarray(0, 24).toString("base64url");
  expect(await storedIds(table)).toEqual([expected]);
  expect(JSON.stringify((await ctx.admin.query(`SELECT * FROM "${table}"`)).rows)).not.toContain(sid);

  const start = ctx.counting.statements.length;
  await expect(store.get(sid)).resolves.toMatchObject({ user: "ann" });
  expect(ctx.counting.statements.length - start).toBe(1);
  await store.touch(sid, session({ user: "ann" }));
  await store.destroy(sid);
  expect(await storedIds(table)).toEqual([]);
});

test("a keyed hash (HMAC) differs from the plain one, and another key finds nothing", async () => {
  const table = await ctx.newTable("hashed");
  const keyed = hashedStore(table, { hashIds: { secret: "k1" } });
  await keyed.set(sid, session({ user: "bob" }));
  expect(await storedIds(table)).toEqual([createHmac("sha256", "k1").update(sid).digest().subarray(0, 24).toString("base64url")]);
  const otherKey = hashedStore(table, { hashIds: { secret: "k2" } });
  await expect(otherKey.get(sid)).resolves.toBeNull();
  await expect(keyed.get(sid)).resolves.toMatchObject({ user: "bob" });
});

test("pruning works on hashed rows in one statement per batch", async () => {
  const table = await ctx.newTable("hashed");
  let now = T0;
  const store = hashedStore(table, { now: () => now });
  await store.set(sid, session({}));
  now = T0 + 120_000;
  const start = ctx.counting.statements.length;
  await expect(store.prune()).resolves.toBe(1);
  expect(ctx.counting.statements.length - start).toBe(1);
});

test("ids longer than the column are fine when hashed; a bad hashIds option is a TypeError", async () => {
  const table = await ctx.newTable("hashed");
  const store = hashedStore(table);
  const long = "x".repeat(100);
  await store.set(long, session({ long: true }));
  await expect(store.get(long)).resolves.toMatchObject({ long: true });
  expect(() => new PgSessionStore({ prisma: ctx.counting.prisma, hashIds: { secret: "" } })).toThrow(TypeError);
});

test("destroy accepts the ids that ids() and all() list (the stored keys), and still takes session ids", async () => {
  const table = await ctx.newTable("hashed");
  const store = hashedStore(table);
  const sids = ["Zmlyc3Qgc2Vzc2lvbiBpZCBvZiBhbm4x", "c2Vjb25kIHNlc3Npb24gaWQgb2YgYm9i", "dGhpcmQgc2Vzc2lvbiBpZCBvZiBjYXJs"];
  for (const [i, s] of sids.entries()) await store.set(s, session({ n: i }));

  const listed = await store.ids();
  expect(listed).toHaveLength(3);
  expect(listed).not.toContain(sids[0]); // the table holds no session id
  const first = listed[0]!;
  await store.destroy(first);
  expect(await storedIds(table)).not.toContain(first);
  expect(await store.length()).toBe(2);

  const viaAll = (await store.all()).find((s) => (s as unknown as { n: number }).n === 1)!;
  await store.destroy(viaAll.id);
  expect(await store.length()).toBe(1);

  // A session id still works, and a listed key opens no session (get, set and touch take ids only).
  const [last] = await store.ids();
  await expect(store.get(last!)).resolves.toBeNull();
  await store.destroy(sids[2]!);
  expect(await storedIds(table)).toEqual([]);
});
