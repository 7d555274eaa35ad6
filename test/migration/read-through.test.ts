// readThrough: during a cut-over, sessions written by the real connect-pg-simple or
// @quixo3/prisma-session-store are read through on first use by PgSessionStore (express, over HTTP)
// and by the web core, so nobody is logged out; ending a session here ends its old copy too.
import { createHash, randomBytes } from "node:crypto";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { WebSessions } from "../../src/adapters/web/index.ts";
import { importTargetOf } from "../../src/adapters/express-session/import-sessions.ts";
import { ReadThrough } from "../../src/migration/read-through.ts";
import { sourceTableOf } from "../../src/migration/source-formats.ts";
import { CookieClient } from "../support/http.ts";
import { appSecret, connectPgSimpleStore, prismaSessionStore, startSessionApp, type PeerStore } from "../support/peer-stores.ts";
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

/** Logs `user` in on an app running the old store; returns the browser and its session id. */
async function loginOnOldApp(peer: PeerStore, user: string): Promise<{ browser: CookieClient; sid: string }> {
  const app = await startSessionApp(peer.store);
  try {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login", { user });
    return { browser, sid: (await browser.request("GET", "/me")).body.id };
  } finally {
    await app.close();
  }
}

async function countOf(tableSql: string, column: string, value: string): Promise<number> {
  return (await ctx.admin.query(`SELECT count(*)::int AS n FROM ${tableSql} WHERE ${column} = $1`, [value])).rows[0].n;
}

async function ourStore(
  options: Partial<ConstructorParameters<typeof PgSessionStore>[0]> = {},
): Promise<{ store: PgSessionStore; table: string }> {
  const table = await ctx.newTable("rt");
  const store = new PgSessionStore({
    pgPool: ctx.admin,
    tableName: table,
    pruneSessionInterval: false,
    readThrough: { from: "connect-pg-simple", table: cps.table },
    ...options,
  });
  ctx.cleanup(() => store.close());
  return { store, table };
}

test("express on PgSessionStore: an old cookie stays logged in, its session is written here and left in the old table; logout ends both", async () => {
  const ann = await loginOnOldApp(cps, "ann");
  const { store, table } = await ourStore();
  const app = await startSessionApp(store);
  ctx.cleanup(() => app.close());
  const browser = new CookieClient(app.url, ann.browser.cookies);

  expect((await browser.request("GET", "/me")).body).toEqual({ id: ann.sid, user: "ann", cart: [{ sku: "sku-ann", qty: 2 }], visits: 0 });
  expect(await countOf(`"${table}"`, "id", ann.sid)).toBe(1);
  expect(await countOf(cps.sql, "sid", ann.sid)).toBe(1); // servers still on the old store keep the user too
  expect((await browser.request("POST", "/visit")).body).toEqual({ visits: 1 });
  expect((await browser.request("GET", "/me")).body).toMatchObject({ user: "ann", visits: 1 });

  expect((await browser.request("POST", "/logout")).body).toEqual({ ok: true });
  expect(await countOf(`"${table}"`, "id", ann.sid)).toBe(0);
  expect(await countOf(cps.sql, "sid", ann.sid)).toBe(0);
  // The old cookie again: logged out, not read through a second time.
  const after = new CookieClient(app.url, new Map(ann.browser.cookies));
  expect((await after.request("GET", "/me")).body).toMatchObject({ user: null });
});

test("concurrent first requests of one session all find it; it is written once", async () => {
  const bob = await loginOnOldApp(cps, "bob");
  const { store, table } = await ourStore();
  const app = await startSessionApp(store);
  ctx.cleanup(() => app.close());
  const responses = await Promise.all(
    Array.from({ length: 8 }, () => new CookieClient(app.url, bob.browser.cookies).request("GET", "/me")),
  );
  for (const response of responses) expect(response.body).toMatchObject({ id: bob.sid, user: "bob" });
  expect(await countOf(`"${table}"`, "id", bob.sid)).toBe(1);
});

test("expired and unreadable old sessions are not read through; an unreadable one is reported without its id", async () => {
  const carl = await loginOnOldApp(cps, "carl");
  await ctx.admin.query(`UPDATE ${cps.sql} SET expire = now() - interval '1 second' WHERE sid = $1`, [carl.sid]);
  const corrupt = randomBytes(24).toString("base64url");
  await ctx.admin.query(`INSERT INTO ${cps.sql} (sid, sess, expire) VALUES ($1, '{"user":"mallory"}', now() + interval '1 hour')`, [
    corrupt,
  ]);
  const reports: string[] = [];
  const { store, table } = await ourStore({ logger: { error: (message) => reports.push(message) } });

  expect(await store.get(carl.sid)).toBeNull();
  expect(await store.get(corrupt)).toBeNull();
  expect(await store.get(corrupt)).toBeNull(); // reported once per session, not on every request
  expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n).toBe(0);
  expect(reports).toEqual([
    `prisma-pg-session: readThrough: a session of connect-pg-simple's table ${cps.table} cannot be moved in (its data has no \`cookie\`; express-session loads no session without a cookie object); the request gets a new session`,
  ]);
  // Nothing is deleted from the old table by a read.
  expect(await countOf(cps.sql, "sid", carl.sid)).toBe(1);
});

test("a row written here meanwhile is never overwritten by the old one", async () => {
  const dan = await loginOnOldApp(cps, "dan");
  const { store } = await ourStore();
  await store.set(dan.sid, {
    cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000) },
    user: "dan, since the cut-over",
  } as never);
  // The lookup racing with that write: it finds the old row, its insert does nothing, and it returns the row here.
  const readThrough = new ReadThrough({
    source: sourceTableOf("connect-pg-simple", cps.table),
    target: importTargetOf(store),
    keys: "sid",
    now: Date.now,
    report: (message) => console.error(message),
  });
  const row = await readThrough.take(dan.sid);
  expect(row?.a_session).toContain("dan, since the cut-over");
  expect(await store.get(dan.sid)).toMatchObject({ user: "dan, since the cut-over" });
});

test("with userId, the owner is stored on the way in, and revoking the user's sessions ends the old copies too", async () => {
  const eve = await loginOnOldApp(cps, "eve");
  const { store } = await ourStore({ userId: (session) => session["user"] as string });
  expect(await store.get(eve.sid)).toMatchObject({ user: "eve" });
  expect(await store.countUserSessions("eve")).toBe(1);
  expect(await store.revokeUserSessions("eve")).toBe(1);
  expect(await countOf(cps.sql, "sid", eve.sid)).toBe(0);
  expect(await store.get(eve.sid)).toBeNull();
});

test("the web core, from prisma-session-store, with hashIds: the old cookie loads the session; destroying it ends both copies", async () => {
  const pss = await prismaSessionStore(ctx.admin, ctx.url);
  ctx.cleanup(() => pss.close());
  const fay = await loginOnOldApp(pss, "fay");
  const table = await ctx.newTable("rt_web");
  const web = new WebSessions<{ user?: string; cart?: unknown }>({
    pgPool: ctx.admin,
    tableName: table,
    secret: appSecret,
    hashIds: true,
    pruneSessionInterval: false,
    readThrough: { from: "prisma-session-store", table: pss.table },
  });
  ctx.cleanup(() => web.close());
  const cookie = [...fay.browser.cookies].map(([name, value]) => `${name}=${value}`).join("; ");

  const session = await web.load(cookie);
  expect({ id: session.id, isNew: session.isNew, data: session.data }).toEqual({
    id: fay.sid,
    isNew: false,
    data: { user: "fay", cart: [{ sku: "sku-fay", qty: 2 }] },
  });
  const key = createHash("sha256").update(fay.sid).digest().subarray(0, 24).toString("base64url");
  expect(await countOf(`"${table}"`, "id", key)).toBe(1);

  await web.destroy(session);
  expect(await countOf(`"${table}"`, "id", key)).toBe(0);
  expect(await countOf(pss.sql, "sid", fay.sid)).toBe(0);
  expect((await web.load(cookie)).isNew).toBe(true);
});

test("clear() ends every session, the old store's copies too", async () => {
  const own = await connectPgSimpleStore(ctx.admin, ctx.url);
  ctx.cleanup(() => own.close());
  const gus = await loginOnOldApp(own, "gus");
  const hal = await loginOnOldApp(own, "hal");
  const { store } = await ourStore({ readThrough: { from: "connect-pg-simple", table: own.table } });
  expect(await store.get(gus.sid)).toMatchObject({ user: "gus" });
  await store.clear();
  expect(await store.get(gus.sid)).toBeNull();
  expect(await store.get(hal.sid)).toBeNull();
  expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM ${own.sql}`)).rows[0].n).toBe(0);
});

test("bad readThrough options are TypeErrors, before any SQL", async () => {
  const table = await ctx.newTable("rt_opts");
  const make = (readThrough: unknown) => () =>
    new PgSessionStore({ pgPool: ctx.admin, tableName: table, pruneSessionInterval: false, readThrough: readThrough as never });
  expect(make("connect-pg-simple")).toThrow(/readThrough must be \{ from/);
  expect(make({ from: "redis" })).toThrow(/readThrough.from must be one of "connect-pg-simple", "prisma-session-store", got "redis"/);
  expect(make({ from: "connect-pg-simple", tabel: "x" })).toThrow(/readThrough: unknown option tabel/);
  expect(make({ from: "connect-pg-simple", table: "x; drop" })).toThrow(/readThrough.table must be an SQL identifier/);
  expect(make({ from: "connect-pg-simple", table })).toThrow(/are both/);
});
