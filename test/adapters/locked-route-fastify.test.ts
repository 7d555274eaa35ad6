// lockedSession for fastify 5 + @fastify/session + @fastify/cookie over real HTTP: concurrent
// read-modify-writes of one user's session lose nothing, and @fastify/session's own save (on every
// request by default: `rolling`) cannot undo a unit. Orderings are forced with gates (deferred promises)
// and lock waits seen in pg_stat_activity: no sleeps, no timing assertions, no randomness.
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import Fastify from "fastify";
import type pg from "pg";
import { lockedSession, PgSessionStore, type LockedSessionOptions, type PgSessionStoreOptions } from "../../src/adapters/fastify/index.ts";
import { eventually, someoneWaitsForLock } from "../support/database.ts";
import { CookieClient } from "../support/http.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";
import { createGates, lockOptions, namedPool, storedRowIn, type LockedRouteApp } from "./locked-route-support.ts";

declare module "fastify" {
  interface Session {
    user?: string;
    count?: number;
    note?: string;
  }
}

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
  session?: { rolling?: boolean; saveUninitialized?: boolean };
  store?: Partial<PgSessionStoreOptions>;
  locked?: LockedSessionOptions;
  /** Through Prisma's counting client (statements recorded) instead of the named pg pool. */
  counting?: boolean;
}

const secret = "a secret with at least thirty-two characters";

async function startApp(options: AppOptions = {}): Promise<App> {
  const table = await ctx.newTable("locked_fastify");
  const store = new PgSessionStore({
    ...(options.counting ? { prisma: ctx.counting.prisma } : { pgPool: pool }),
    tableName: table,
    pruneSessionInterval: false,
    ...options.store,
  });
  const locked = lockedSession<{ count?: number; [key: string]: unknown }>(store, { ...lockOptions, ...options.locked });
  const errors: Error[] = [];
  const unitRuns = { count: 0 };
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret, store, cookie: { secure: false, maxAge: 3_600_000 }, ...options.session });
  app.setErrorHandler((error: Error, _request, reply) => {
    errors.push(error);
    void reply.status(500).send({ error: error.name, message: error.message });
  });
  type Query = Record<string, string | undefined>;
  app.post("/login", async (request) => {
    request.session.user = "ann";
    return { ok: true };
  });
  app.get("/count", async (request) => ({ count: request.session.count ?? null, note: request.session.note ?? null }));
  // The helper: one locked read-modify-write. Gates: before the unit, inside it (lock held), after it.
  app.post("/locked/increment", async (request) => {
    const query = request.query as Query;
    await stopAt(query["before"]);
    const count = await locked(request, async (data) => {
      unitRuns.count += 1;
      await stopAt(query["inside"]);
      data.count = (data.count ?? 0) + 1;
      return data.count;
    });
    // A cookie-only change after the unit is no reason to write the session's data back.
    if (query["cookie"] !== undefined) request.session.options({ maxAge: 7_200_000 });
    await stopAt(query["after"]);
    return { count, sessionCount: request.session.count };
  });
  // The control: @fastify/session's usual read-modify-write of the in-memory copy.
  app.post("/plain/increment", async (request) => {
    const seen = request.session.count ?? 0;
    await stopAt((request.query as Query)["between"]);
    request.session.count = seen + 1;
    return { count: request.session.count };
  });
  app.post("/locked/read", async (request) => ({ count: await locked(request, (data) => data.count ?? null) }));
  app.post("/locked/note", async (request) => {
    await locked(request, (data) => {
      data.count = (data.count ?? 0) + 1;
    });
    request.session.note = "changed after the unit";
    return { ok: true };
  });
  app.post("/locked/misuse/:kind", async (request) => {
    const { kind } = request.params as { kind: string };
    let kept: Record<string, unknown> | undefined;
    await locked(request, async (data) => {
      kept = data;
      data.count = 1000;
      if (kind === "session") request.session.count = 99;
      if (kind === "cookie") data["cookie"] = { path: "/evil" };
      if (kind === "reserved") data["sessionId"] = "someone else";
      if (kind === "throws") throw new Error("boom");
      if (kind === "nested") await locked(request, (inner) => inner.count);
    });
    if (kind === "after") kept!["count"] = 5;
    return { ok: true };
  });
  // Changes to request.session before a unit that no save has written yet.
  app.post("/locked/pending/:when", async (request) => {
    const { when } = request.params as { when: string };
    if (when === "before") request.session.note = "set before the unit";
    await locked(request, (data) => void (data.count = (data.count ?? 0) + 1));
    if (when === "between") {
      request.session.note = "set between two units";
      await locked(request, (data) => void (data.count = (data.count ?? 0) + 1));
    }
    return { count: request.session.count, note: request.session.note ?? null };
  });
  app.post("/logout", async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url,
    store,
    table,
    errors,
    unitRuns,
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

const sidOf = (browser: CookieClient) => decodeURIComponent(browser.cookies.get("sessionId")!).split(".")[0]!;

const storedRow = (app: App, id: string) => storedRowIn(ctx.admin, app.table, id);

const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);

describe.each([
  { name: "defaults: rolling, saveUninitialized", session: {} },
  { name: "rolling: false, saveUninitialized: false", session: { rolling: false, saveUninitialized: false } },
  { name: "through Prisma (interactive transactions)", session: {}, counting: true },
])("@fastify/session ($name)", ({ session: sessionOptions, counting }) => {
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
    expect(responses.every((r) => r.body.sessionCount === r.body.count)).toBe(true);
    expect((await browser.request("GET", "/count")).body.count).toBe(20);
    const row = await storedRow(app, sidOf(browser));
    // The cookie as the framework stored it at login (its originalMaxAge may be 3599999: express-session's
    // touch() reads the clock twice), the data as the units left it.
    expect(row?.data).toEqual({ ...loggedIn.data, count: 20 });
    expect(row?.data["cookie"]).toMatchObject({ path: "/", httpOnly: true });
    expect(app.errors).toEqual([]);
  });

  test("control: 20 concurrent plain request.session.count++ requests end at no more than 20", async () => {
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
      const tag = `late-${String(counting)}-${String(sessionOptions.rolling)}-${extra.length}`;
      // A commits count 1, then stops before responding (before @fastify/session's save in onSend).
      const a = browser.request("POST", `/locked/increment?after=${tag}${extra}`);
      await gate(tag).reached.promise;
      // B commits count 2 and finishes.
      expect((await browser.request("POST", "/locked/increment")).body).toEqual({ count: 2, sessionCount: 2 });
      // A ends: its request.session holds count 1, and its save must not write it back.
      gate(tag).release.resolve();
      expect((await a).body).toEqual({ count: 1, sessionCount: 1 });
      expect((await browser.request("GET", "/count")).body.count).toBe(2);
      expect((await storedRow(app, sidOf(browser)))?.data["count"]).toBe(2);
      expect(app.errors).toEqual([]);
    },
  );
});

describe("one @fastify/session app (defaults: rolling, saveUninitialized)", () => {
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
    const named = await startApp({ store: { touchAfter: 3600 } }); // named connections, to see the lock wait
    try {
      const browser = new CookieClient(named.url);
      await browser.request("POST", "/login");
      const a = browser.request("POST", "/locked/increment?inside=holder");
      await gate("holder").reached.promise; // A holds the row lock
      const b = browser.request("POST", "/locked/increment");
      await eventually(() => someoneWaitsForLock(ctx.admin, ctx.applicationName)); // B waits for it
      gate("holder").release.resolve();
      expect((await a).body.count).toBe(1);
      expect((await b).body.count).toBe(2);
    } finally {
      await named.close();
    }
  });

  test("the store's format: the cookie and expires_at are kept, the data changes", async () => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    const before = (await storedRow(app, sidOf(browser)))!;
    expect((await browser.request("POST", "/locked/increment")).body.count).toBe(1);
    const after = (await storedRow(app, sidOf(browser)))!;
    expect(after.expiresAt).toEqual(before.expiresAt);
    expect(after.data["cookie"]).toEqual(before.data["cookie"]);
    expect(after.data).toEqual({ ...before.data, count: 1 });
    // Changes made after the unit are saved by @fastify/session as usual.
    await browser.request("POST", "/locked/note");
    expect((await browser.request("GET", "/count")).body).toEqual({ count: 2, note: "changed after the unit" });
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
    expect(statements.filter((s) => s === "SELECT")).toHaveLength(2); // @fastify/session's get, the unit's FOR UPDATE
  });

  test("a new visitor's session is saved by @fastify/session first, then locked; the cookie is set", async () => {
    const browser = new CookieClient(app.url);
    expect((await browser.request("POST", "/locked/increment")).body).toEqual({ count: 1, sessionCount: 1 });
    expect(browser.cookies.has("sessionId")).toBe(true);
    expect((await storedRow(app, sidOf(browser)))?.data["count"]).toBe(1);
    expect((await browser.request("POST", "/locked/increment")).body.count).toBe(2);
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
    await gate("gone").reached.promise; // @fastify/session has read the session
    await new CookieClient(app.url, browser.cookies).request("POST", "/logout"); // another tab logs out
    gate("gone").release.resolve();
    const response = await request;
    expect(response.status).toBe(500);
    expect(response.body.error).toBe("SessionNotFoundError");
    expect(app.unitRuns.count).toBe(runs); // fn never ran
    expect(await storedRow(app, sid)).toBeUndefined(); // not resurrected by @fastify/session's (rolling) save
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

  test.each([
    ["before the first unit", "before", 0],
    ["between two units", "between", 1],
  ])("a change to request.session %s is refused (nothing lost: @fastify/session saves it)", async (_, when, count) => {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login");
    const response = await browser.request("POST", `/locked/pending/${when}`);
    expect(response.status).toBe(500);
    expect(response.body.error).toBe("TypeError");
    expect(response.body.message).toMatch(/changes that are not saved yet/);
    expect((await browser.request("GET", "/count")).body).toEqual({
      count: count === 0 ? null : count,
      note: `set ${when === "before" ? "before the unit" : "between two units"}`,
    });
    app.errors.length = 0;
  });

  test("a new visitor's changes made before the first unit are kept (saved with the new session)", async () => {
    const browser = new CookieClient(app.url);
    expect((await browser.request("POST", "/locked/pending/before")).body).toEqual({ count: 1, note: "set before the unit" });
    expect((await browser.request("GET", "/count")).body).toEqual({ count: 1, note: "set before the unit" });
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
  } finally {
    await app.close();
  }
});

test("an id that fails validation (a custom idGenerator too long for the column) never reaches SQL", async () => {
  const table = await ctx.newTable("locked_fastify");
  const store = new PgSessionStore({ prisma: ctx.counting.prisma, tableName: table, pruneSessionInterval: false });
  const locked = lockedSession(store);
  const app = Fastify();
  let runs = 0;
  try {
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret,
      store,
      saveUninitialized: false,
      idGenerator: () => "f".repeat(40),
      cookie: { secure: false },
    });
    app.post("/locked", async (request) => locked(request, () => ++runs));
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    const start = ctx.counting.statements.length;
    const response = await new CookieClient(url).request("POST", "/locked");
    expect(response.status).toBe(500);
    expect(response.body.message).toMatch(/^Invalid session ID: 40 characters/); // InvalidSessionIdError, through fastify's default handler
    expect(runs).toBe(0);
    expect(ctx.counting.statements.slice(start).filter((s) => s.includes(table))).toEqual([]);
  } finally {
    await app.close();
    await store.close();
  }
});

test("a destroyed session, or a request outside the session plugin, is refused clearly", async () => {
  const app = await startApp();
  try {
    const locked = lockedSession(app.store);
    await expect(locked({ session: null, sessionStore: app.store }, () => 1)).rejects.toMatchObject({ name: "SessionNotFoundError" });
    await expect(locked({ session: {} }, () => 1)).rejects.toThrow(/register @fastify\/cookie and @fastify\/session/);
    const other = new PgSessionStore({ pgPool: pool, tableName: app.table, pruneSessionInterval: false });
    try {
      await expect(lockedSession(other)({ session: { sessionId: "abc", save() {} }, sessionStore: app.store }, () => 1)).rejects.toThrow(
        /another store/,
      );
    } finally {
      await other.close();
    }
  } finally {
    await app.close();
  }
});
