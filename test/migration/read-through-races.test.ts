// readThrough under concurrency and failure: ending a session (logout, a locked unit's remove, a
// revoke) must not be undone by a request reading the session through at the same moment, nor fail
// when the old table is gone. The interleavings are forced with real row locks held by a separate
// connection, and the waits are seen in pg_stat_activity (never sleeps).
import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { SessionEngine } from "../../src/adapters/web/session-engine.ts";
import { eventually } from "../support/database.ts";
import { CookieClient } from "../support/http.ts";
import { connectPgSimpleStore, startSessionApp, type PeerStore } from "../support/peer-stores.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
let cps: PeerStore;
beforeAll(async () => {
  ctx = await initTest();
  cps = await connectPgSimpleStore(ctx.admin, ctx.url);
});
afterAll(async () => {
  await cps?.close();
  await destroyTest(ctx);
});

/** Logs `user` in on an app running the old store; returns the session id. */
async function loginOnOldApp(peer: PeerStore, user: string): Promise<string> {
  const app = await startSessionApp(peer.store);
  try {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login", { user });
    return (await browser.request("GET", "/me")).body.id;
  } finally {
    await app.close();
  }
}

async function countOf(tableSql: string, column: string, value: string): Promise<number> {
  return (await ctx.admin.query(`SELECT count(*)::int AS n FROM ${tableSql} WHERE ${column} = $1`, [value])).rows[0].n;
}

/** Backends of this file's layers (opened with ctx.url, so with its application_name) waiting for a lock. */
async function waitingForLocks(): Promise<number> {
  const { rows } = await ctx.admin.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = $1",
    [ctx.applicationName],
  );
  return rows[0].n;
}

/** Runs `fn` with a connection of its own in an open transaction (the lock holder), rolled back or committed by `fn`. */
async function withHolder<T>(fn: (holder: pg.PoolClient) => Promise<T>): Promise<T> {
  const holder = await ctx.admin.connect();
  try {
    await holder.query("BEGIN");
    return await fn(holder);
  } finally {
    await holder.query("ROLLBACK").catch(() => undefined);
    holder.release();
  }
}

const oneHour = () => ({ originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000) });

async function ourStore(
  options: Partial<ConstructorParameters<typeof PgSessionStore>[0]> = {},
): Promise<{ store: PgSessionStore; table: string }> {
  const table = await ctx.newTable("rtr");
  const store = new PgSessionStore({
    datasourceUrl: ctx.url,
    tableName: table,
    pruneSessionInterval: false,
    readThrough: { from: "connect-pg-simple", table: cps.table },
    ...options,
  });
  ctx.cleanup(() => store.close());
  return { store, table };
}

function ourEngine(table: string, options: Partial<ConstructorParameters<typeof SessionEngine>[0]> = {}): SessionEngine {
  const engine = new SessionEngine({
    datasourceUrl: ctx.url,
    tableName: table,
    pruneSessionInterval: false,
    readThrough: { from: "connect-pg-simple", table: cps.table },
    ...options,
  });
  ctx.cleanup(() => engine.close());
  return engine;
}

test("a logout while a read is moving the session in: the logout waits for the move and deletes what it wrote", async () => {
  const sid = await loginOnOldApp(cps, "ann");
  const { store, table } = await ourStore();
  await withHolder(async (holder) => {
    // An uncommitted row with the session's key: the read's insert here waits for it.
    await holder.query(`INSERT INTO "${table}" (id, a_session) VALUES ($1, 'placeholder')`, [sid]);
    const reading = store.get(sid);
    await eventually(async () => (await waitingForLocks()) === 1);
    // The read has found the old row and waits to insert. The logout now deletes the old row (waiting
    // for the read, which holds it locked) and then the row here.
    let destroyed = false;
    const destroying = store.destroy(sid).then(() => void (destroyed = true));
    await eventually(async () => destroyed || (await waitingForLocks()) === 2);
    await holder.query("ROLLBACK");
    await Promise.all([reading, destroying]);
  });
  expect(await countOf(`"${table}"`, "id", sid)).toBe(0);
  expect(await countOf(cps.sql, "sid", sid)).toBe(0);
});

test("the web core's remove deletes the old copy first: a read while the logout waits does not bring the session back", async () => {
  const sid = await loginOnOldApp(cps, "bea");
  const table = await ctx.newTable("rtr_web");
  const engine = ourEngine(table);
  expect((await engine.read(sid))?.data).toMatchObject({ user: "bea" }); // moved in
  await withHolder(async (holder) => {
    // Holds the old row against deletion: the logout waits on it, between its two deletes.
    await holder.query(`SELECT 1 FROM ${cps.sql} WHERE sid = $1 FOR KEY SHARE`, [sid]);
    const removing = engine.remove(sid);
    await eventually(async () => (await waitingForLocks()) === 1);
    // A request of the session meanwhile: it reads the row here (still there) or nothing, never moves it in again.
    await engine.read(sid);
    await holder.query("COMMIT");
    await removing;
  });
  expect(await countOf(`"${table}"`, "id", sid)).toBe(0);
  expect(await countOf(cps.sql, "sid", sid)).toBe(0);
  expect(await engine.read(sid)).toBeUndefined();
});

test("a locked unit's remove deletes the old copy in the unit's transaction: rolled back with it, committed with it", async () => {
  const sid = await loginOnOldApp(cps, "cid");
  const table = await ctx.newTable("rtr_lock");
  const engine = ourEngine(table);
  expect((await engine.read(sid))?.data).toMatchObject({ user: "cid" });
  await expect(
    engine.locked(sid, async (writes) => {
      await writes.remove(sid);
      throw new Error("changed my mind");
    }),
  ).rejects.toThrow("changed my mind");
  expect(await countOf(`"${table}"`, "id", sid)).toBe(1);
  expect(await countOf(cps.sql, "sid", sid)).toBe(1);

  await engine.locked(sid, (writes) => writes.remove(sid));
  expect(await countOf(`"${table}"`, "id", sid)).toBe(0);
  expect(await countOf(cps.sql, "sid", sid)).toBe(0);
});

test("the old table dropped while readThrough is configured: logouts still end sessions here, unknown cookies are no session, reported once", async () => {
  const own = await connectPgSimpleStore(ctx.admin, ctx.url);
  ctx.cleanup(() => own.close());
  const dan = await loginOnOldApp(own, "dan");
  const eve = await loginOnOldApp(own, "eve");
  const reports: string[] = [];
  const logger = { error: (message: string) => void reports.push(message) };
  const { store, table } = await ourStore({ logger, readThrough: { from: "connect-pg-simple", table: own.table } });
  expect(await store.get(dan)).toMatchObject({ user: "dan" });
  await ctx.admin.query(`DROP TABLE ${own.sql}`);

  await store.destroy(dan);
  expect(await countOf(`"${table}"`, "id", dan)).toBe(0);
  expect(await store.get(eve)).toBeNull();
  expect(await store.get(randomBytes(24).toString("base64url"))).toBeNull();
  await store.destroy(eve);
  expect(reports).toEqual([
    expect.stringMatching(/^prisma-pg-session: readThrough: connect-pg-simple's table .* cannot be read .*\(reported once\)$/),
  ]);

  // The web core's locked remove, in its transaction: the failed statement on the old table does not abort it.
  const webReports: string[] = [];
  const engine = ourEngine(table, {
    logger: { error: (message) => void webReports.push(message) },
    readThrough: { from: "connect-pg-simple", table: own.table },
  });
  await store.set(eve, { cookie: oneHour(), user: "eve" } as never);
  await engine.locked(eve, (writes) => writes.remove(eve));
  expect(await countOf(`"${table}"`, "id", eve)).toBe(0);
  await engine.remove(eve);
  expect(webReports).toHaveLength(1);
});

test("with hashIds: true, revoking a user's sessions ends their old copies too (their keys computed in SQL)", async () => {
  const first = await loginOnOldApp(cps, "ivy");
  const second = await loginOnOldApp(cps, "ivy");
  const third = await loginOnOldApp(cps, "ivy");
  const { store, table } = await ourStore({ hashIds: true, userId: (session) => session["user"] as string });
  for (const sid of [first, second, third]) expect(await store.get(sid)).toMatchObject({ user: "ivy" });
  const keyOf = (sid: string) => createHash("sha256").update(sid).digest().subarray(0, 24).toString("base64url");
  expect(await countOf(`"${table}"`, "id", keyOf(first))).toBe(1);

  const page = await store.userSessions("ivy", { current: first });
  const handle = page.sessions.find((session) => session.current)!.handle;
  expect(await store.revokeUserSession("ivy", handle)).toBe(true);
  expect(await countOf(cps.sql, "sid", first)).toBe(0);
  expect(await countOf(cps.sql, "sid", second)).toBe(1);
  expect(await store.get(first)).toBeNull();

  expect(await store.revokeUserSessions("ivy")).toBe(2);
  for (const sid of [second, third]) {
    expect(await countOf(cps.sql, "sid", sid)).toBe(0);
    expect(await store.get(sid)).toBeNull();
  }
});

test("readThrough with HMAC hashIds is refused before any store is opened", async () => {
  const table = await ctx.newTable("rtr_hmac");
  const options = {
    tableName: table,
    pruneSessionInterval: false as const,
    hashIds: { secret: "s3cret" },
    readThrough: { from: "connect-pg-simple" as const },
  };
  expect(() => new PgSessionStore({ pgPool: ctx.admin, ...options })).toThrow(/readThrough cannot be combined with hashIds: \{ secret \}/);
  expect(() => new SessionEngine({ pgPool: ctx.admin, ...options })).toThrow(TypeError);
});
