// lockedSession for express 5 + express-session over real HTTP: concurrent read-modify-writes of one
// user's session lose nothing, and express-session's own end-of-request save cannot undo a unit.
// Orderings are forced with gates (deferred promises) and lock waits seen in pg_stat_activity: no
// sleeps, no timing assertions, no randomness.
import type { Server } from "node:http";
import express from "express";
import session, { type SessionOptions } from "express-session";
import type pg from "pg";
import {
  lockedSession,
  PgSessionStore,
  type LockedSessionOptions,
  type PgSessionStoreOptions,
} from "../../src/adapters/express-session/index.ts";
import { superjsonSerializer } from "../../src/index.ts";
import { eventually, someoneWaitsForLock } from "../support/database.ts";
import { baseUrl, CookieClient } from "../support/http.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";
import { createGates, lockOptions, namedPool, storedRowIn, type LockedRouteApp } from "./locked-route-support.ts";

let ctx: TestContext;
let pool: pg.Pool;
beforeAll(async () => {
  ctx = await initTest();
  pool = namedPool(ctx.url);
});
afterAll(async () => {
  await pool?.end();
  await destroyTest(ctx);
});

// Forced orderings: a route stops at a named gate (`reached`) until the test opens it (`release`).
const { gate, stopAt } = createGates();

type App = LockedRouteApp<PgSessionStore>;

interface AppOptions {
  session?: Partial<SessionOptions>;
  store?: Partial<PgSessionStoreOptions>;
  locked?: LockedSessionOptions;
  /** Through Prisma's counting client (statements recorded) instead of the named pg pool. */
  counting?: boolean;
}

async function startApp(options: AppOptions = {}): Promise<App> {
  const table = await ctx.newTable("locked_express");
  const store = new PgSessionStore({
    ...(options.counting ? { prisma: ctx.counting.prisma } : { pgPool: pool }),
    tableName: table,
    pruneSessionInterval: false,
    ...options.store,
  });
  const locked = lockedSession<{ count?: number; note?: string; at?: Date; [key: string]: unknown }>(store, {
    ...lockOptions,
    ...options.locked,
  });
  const errors: Error[] = [];
  const unitRuns = { count: 0 };
  const app = express();
  app.use(express.json());
  app.use(
    session({ store, secret: "test secret", resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 }, ...options.session }),
  );
  app.post("/login", (req, res) => {
    req.session.user = "ann";
    res.json({ ok: true });
  });
  app.get("/count", (req, res) => {
    res.json({ count: req.session.count ?? null, note: req.session.note ?? null, atIsDate: req.session.at instanceof Date });
  });
  // The helper: one locked read-modify-write. Gates: before the unit, inside it (lock held), after it.
  app.post("/locked/increment", async (req, res) => {
    await stopAt(req.query["before"]);
    const count = await locked(req, async (data) => {
      unitRuns.count += 1;
      await stopAt(req.query["inside"]);
      data.count = (data.count ?? 0) + 1;
      return data.count;
    });
    // A cookie-only change after the unit (express-session's own touch() makes one now and then:
    // originalMaxAge drifts by a millisecond) is no reason to write the session's data back.
    if (req.query["cookie"] !== undefined) req.session.cookie.maxAge = 7_200_000;
    await stopAt(req.query["after"]);
    res.json({ count, sessionCount: req.session.count });
  });
  // The control: express-session's usual read-modify-write of the in-memory copy.
  app.post("/plain/increment", async (req, res) => {
    const seen = req.session.count ?? 0;
    await stopAt(req.query["between"]);
    req.session.count = seen + 1;
    res.json({ count: req.session.count });
  });
  app.post("/locked/read", async (req, res) => {
    res.json({ count: await locked(req, (data) => data.count ?? null) });
  });
  app.post("/locked/stamp", async (req, res) => {
    await locked(req, (data) => {
      data.at = new Date("2026-11-25T09:30:00Z");
      data.count = (data.count ?? 0) + 1;
    });
    req.session.note = "changed after the unit";
    res.json({ ok: true });
  });
  app.post("/locked/misuse/:kind", async (req, res) => {
    const kind = req.params.kind;
    let kept: Record<string, unknown> | undefined;
    await locked(req, async (data) => {
      kept = data;
      data.count = 1000;
      if (kind === "session") req.session.count = 99;
      if (kind === "cookie") (data as Record<string, unknown>)["cookie"] = { path: "/evil" };
      if (kind === "reserved") (data as Record<string, unknown>)["regenerate"] = 1;
      if (kind === "throws") throw new Error("boom");
      if (kind === "nested") await locked(req, (inner) => inner.count);
    });
    if (kind === "after") kept!["count"] = 5;
    res.json({ ok: true });
  });
  // Changes to req.session before a unit that no save has written yet.
  app.post("/locked/pending/:when", async (req, res) => {
    if (req.params.when === "before") req.session.note = "set before the unit";
    await locked(req, (data) => void (data.count = (data.count ?? 0) + 1));
    if (req.params.when === "between") {
      req.session.note = "set between two units";
      await locked(req, (data) => void (data.count = (data.count ?? 0) + 1));
    }
    res.json({ count: req.session.count, note: req.session.note ?? null });
  });
  app.post("/logout", (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.json({ ok: true }))));
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    errors.push(err);
    if (res.headersSent) return;
    res.status(500).json({ error: err.name, message: err.message });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: baseUrl(server),
    store,
    table,
    errors,
    unitRuns,
    close: async () => {
      await new Promise((r) => server.close(r));
      await store.close();
    },
  };
}

declare module "express-session" {
  interface SessionData {
    count?: number;
    note?: string;
    at?: Date;
  }
}

const sidOf = (browser: CookieClient) => decodeURIComponent(browser.cookies.get("connect.sid")!).slice(2).split(".")[0]!;

const storedRow = (app: App, id: string) => storedRowIn(ctx.admin, app.table, id);

const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);

describe.each([
  { name: "resave: false, saveUninitialized: false", session: { resave: false, saveUninitialized: false } },
  { name: "resave: true, saveUninitialized: true", session: { resave: true, saveUninitialized: true } },
  { name: "rolling, saveUninitialized: true", session: { resave: false, saveUninitialized: true, rolling: true } },
  { name: "through Prisma (interactive transactions)", session: {}, counting: true },
])("express-session ($name)", ({ session: sessionOptions, counting }) => {
  let app: App;
  beforeAll(async () => {
    app = await startApp({ session: sessionOptions, counting: counting === true });
  });
  afterAll(() => app.close());

  test("20 concurrent locked increments with one cookie end at exactly 20, each seeing a different count", async () => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    const loggedIn = (await storedRow(app, sidOf(browser)))!;
    const responses = await Promise.all(oneToTwenty.map(() => browser.request("POST", "/locked/increment")));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(responses.map((r) => r.body.count).sort((a, b) => a - b)).toEqual(oneToTwenty);
    // After its unit, each request's req.session held what it committed.
    expect(responses.every((r) => r.body.sessionCount === r.body.count)).toBe(true);
    expect((await browser.request("GET", "/count")).body.count).toBe(20);
    const row = await storedRow(app, sidOf(browser));
    // The cookie as the framework stored it at login (its originalMaxAge may be 3599999: express-session's
    // touch() reads the clock twice), the data as the units left it.
    expect(row?.data).toEqual({ ...loggedIn.data, count: 20 });
    expect(row?.data["cookie"]).toMatchObject({ path: "/", httpOnly: true });
    expect(app.errors).toEqual([]);
  });

  test("control: 20 concurrent plain req.session.count++ requests end at no more than 20", async () => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    const responses = await Promise.all(oneToTwenty.map(() => browser.request("POST", "/plain/increment")));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const { count } = (await browser.request("GET", "/count")).body;
    expect(count).toBeGreaterThanOrEqual(1);
    expect(count).toBeLessThanOrEqual(20);
  });

  test.each(["", "&cookie=1"])(
    "a request whose unit committed first cannot undo a later unit with its end-of-request save (%s)",
    async (extra) => {
      const browser = new CookieClient(app.url);
      await browser.request("POST", "/login");
      const tag = `late-${String(counting)}-${String(sessionOptions.resave)}-${String(sessionOptions.rolling)}-${extra.length}`;
      // A commits count 1, then stops before responding (before express-session's save).
      const a = browser.request("POST", `/locked/increment?after=${tag}${extra}`);
      await gate(tag).reached.promise;
      // B commits count 2 and finishes.
      expect((await browser.request("POST", "/locked/increment")).body).toEqual({ count: 2, sessionCount: 2 });
      // A ends: its req.session holds count 1, and its save must not write it back.
      gate(tag).release.resolve();
      expect((await a).body).toEqual({ count: 1, sessionCount: 1 });
      expect((await browser.request("GET", "/count")).body.count).toBe(2);
      expect((await storedRow(app, sidOf(browser)))?.data["count"]).toBe(2);
      expect(app.errors).toEqual([]);
    },
  );
});

describe("one express-session app (resave: false, saveUninitialized: false)", () => {
  let app: App;
  beforeAll(async () => {
    // touchAfter an hour: the end-of-request touch is skipped, so the stored expiry shows what the unit did to it.
    app = await startApp({ store: { touchAfter: 3600 }, counting: true });
  });
  afterAll(() => app.close());

  test("control: a plain read-modify-write overlapping a locked one loses it (forced order, always)", async () => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    const a = browser.request("POST", "/plain/increment?between=plain-loses");
    await gate("plain-loses").reached.promise; // A read count 0
    expect((await browser.request("POST", "/locked/increment")).body.count).toBe(1);
    gate("plain-loses").release.resolve(); // A writes 0 + 1 over B's 1
    expect((await a).body.count).toBe(1);
    expect((await browser.request("GET", "/count")).body.count).toBe(1);
  });

  test("a second unit waits for the row lock the first holds, then sees its commit", async () => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    const unlocked = await startApp({ store: { touchAfter: 3600 } }); // named connections, to see the lock wait
    try {
      const viaPool = new CookieClient(unlocked.url);
      await viaPool.request("POST", "/login");
      const a = viaPool.request("POST", "/locked/increment?inside=holder");
      await gate("holder").reached.promise; // A holds the row lock
      const b = viaPool.request("POST", "/locked/increment");
      await eventually(() => someoneWaitsForLock(ctx.admin, ctx.applicationName)); // B waits for it
      gate("holder").release.resolve();
      expect((await a).body.count).toBe(1);
      expect((await b).body.count).toBe(2);
    } finally {
      await unlocked.close();
    }
  });

  test("the store's format: the cookie and expires_at are kept, the data changes; Dates survive", async () => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    const before = (await storedRow(app, sidOf(browser)))!;
    expect((await browser.request("POST", "/locked/increment")).body.count).toBe(1);
    const after = (await storedRow(app, sidOf(browser)))!;
    expect(after.expiresAt).toEqual(before.expiresAt);
    expect(after.data["cookie"]).toEqual(before.data["cookie"]);
    expect(after.data).toEqual({ ...before.data, count: 1 });
    // Changes made after the unit are saved by express-session as usual.
    await browser.request("POST", "/locked/stamp");
    expect((await browser.request("GET", "/count")).body).toEqual({ count: 2, note: "changed after the unit", atIsDate: true });
  });

  test("a unit that changes nothing writes nothing (no UPDATE), and the request stays at its SELECTs", async () => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    await browser.request("POST", "/locked/increment");
    const start = ctx.counting.statements.length;
    expect((await browser.request("POST", "/locked/read")).body.count).toBe(1);
    const statements = ctx.counting.statements.slice(start).map((s) => s.trim().split(/\s+/)[0]!.toUpperCase());
    expect(statements).not.toContain("UPDATE");
    expect(statements).not.toContain("INSERT");
    expect(statements.filter((s) => s === "SELECT")).toHaveLength(2); // express-session's get, the unit's FOR UPDATE
  });

  test("a new visitor's session is saved by express-session first, then locked; the cookie is set", async () => {
    const browser = new CookieClient(app.url);
    expect((await browser.request("POST", "/locked/increment")).body).toEqual({ count: 1, sessionCount: 1 });
    expect(browser.cookies.has("connect.sid")).toBe(true);
    expect((await storedRow(app, sidOf(browser)))?.data["count"]).toBe(1);
    expect((await browser.request("POST", "/locked/increment")).body.count).toBe(2);
    // Concurrent first requests of different visitors: each its own new session.
    const visitors = Array.from({ length: 5 }, () => new CookieClient(app.url));
    const first = await Promise.all(visitors.map((v) => v.request("POST", "/locked/increment")));
    expect(first.map((r) => r.body.count)).toEqual([1, 1, 1, 1, 1]);
    expect(new Set(visitors.map(sidOf)).size).toBe(5);
  });

  test("a session destroyed while the request runs: SessionNotFoundError, and it stays destroyed", async () => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    const sid = sidOf(browser);
    const runs = app.unitRuns.count;
    const request = browser.request("POST", "/locked/increment?before=gone");
    await gate("gone").reached.promise; // express-session has read the session
    await new CookieClient(app.url, browser.cookies).request("POST", "/logout"); // another tab logs out
    gate("gone").release.resolve();
    const response = await request;
    expect(response.status).toBe(500);
    expect(response.body.error).toBe("SessionNotFoundError");
    expect(app.unitRuns.count).toBe(runs); // fn never ran
    expect(await storedRow(app, sid)).toBeUndefined(); // not resurrected by express-session's save
    expect((await browser.request("GET", "/count")).body.count).toBeNull();
    app.errors.length = 0;
  });

  test.each([
    ["session", "TypeError"],
    ["cookie", "ReadOnlyFieldError"],
    ["reserved", "ReadOnlyFieldError"],
    ["throws", "Error"],
    ["nested", "SessionReentryError"],
  ])("misuse inside the unit (%s) raises %s and writes nothing", async (kind, error) => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    await browser.request("POST", "/locked/increment");
    const before = (await storedRow(app, sidOf(browser)))!;
    const response = await browser.request("POST", `/locked/misuse/${kind}`);
    expect(response.status).toBe(500);
    expect(response.body.error).toBe(error);
    expect(await storedRow(app, sidOf(browser))).toEqual(before);
    expect((await browser.request("GET", "/count")).body.count).toBe(1);
    app.errors.length = 0;
  });

  test("a change to req.session between two units is refused by the second (nothing lost: express-session saves it)", async () => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    const response = await browser.request("POST", "/locked/pending/between");
    expect(response.status).toBe(500);
    expect(response.body.error).toBe("TypeError");
    expect(response.body.message).toMatch(/changes that are not saved yet/);
    expect((await browser.request("GET", "/count")).body).toMatchObject({ count: 1, note: "set between two units" });
    app.errors.length = 0;
  });

  test("a new visitor's changes made before the first unit are kept (saved with the new session)", async () => {
    const browser = new CookieClient(app.url);
    expect((await browser.request("POST", "/locked/pending/before")).body).toEqual({ count: 1, note: "set before the unit" });
    expect((await browser.request("GET", "/count")).body).toMatchObject({ count: 1, note: "set before the unit" });
  });

  test("the unit's data refuses writes once the unit has ended (SessionClosedError), after committing", async () => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    const response = await browser.request("POST", "/locked/misuse/after");
    expect(response.body.error).toBe("SessionClosedError");
    expect((await browser.request("GET", "/count")).body.count).toBe(1000);
    app.errors.length = 0;
  });
});

test("with hashIds: the unit locks the hashed row; 20 concurrent increments end at 20", async () => {
  const hashIds = { secret: "a hashing secret" };
  const app = await startApp({ store: { hashIds } });
  try {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    await Promise.all(oneToTwenty.map(() => browser.request("POST", "/locked/increment")));
    expect((await browser.request("GET", "/count")).body.count).toBe(20);
    expect(await storedRow(app, sidOf(browser))).toBeUndefined(); // the table holds the hash, not the id
    const [key] = await app.store.ids();
    const { rows } = await ctx.admin.query(`SELECT a_session FROM "${app.table}" WHERE id = $1`, [key]);
    expect(superjsonSerializer.deserialize(rows[0].a_session)).toMatchObject({ count: 20 });
  } finally {
    await app.close();
  }
});

test("an id that fails validation (a custom genid too long for the column) never reaches SQL", async () => {
  const app = await startApp({ session: { genid: () => "f".repeat(40) }, counting: true });
  try {
    const start = ctx.counting.statements.length;
    const response = await new CookieClient(app.url).request("POST", "/locked/increment");
    expect(response.status).toBe(500);
    expect(response.body.error).toBe("InvalidSessionIdError");
    expect(app.unitRuns.count).toBe(0);
    expect(ctx.counting.statements.slice(start).filter((s) => s.includes(app.table))).toEqual([]);
  } finally {
    await app.close();
  }
});

test("bad arguments: another store's request, no session middleware, options", async () => {
  const app = await startApp();
  const other = new PgSessionStore({ pgPool: pool, tableName: app.table, pruneSessionInterval: false });
  try {
    const locked = lockedSession(other);
    await expect(locked({ session: {}, sessionID: "abc", sessionStore: app.store }, () => 1)).rejects.toThrow(/another store/);
    await expect(locked({}, () => 1)).rejects.toThrow(TypeError);
    expect(() => lockedSession(other, { ttl: 5 } as LockedSessionOptions)).toThrow(/does not use the option ttl/);
    expect(() => lockedSession({} as PgSessionStore)).toThrow(/PgSessionStore/);
    expect(() => lockedSession(other, { lockTimeout: 0 })).toThrow(RangeError);
  } finally {
    await other.close();
    await app.close();
  }
});
