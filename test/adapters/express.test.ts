import { createHmac, randomUUID } from "node:crypto";
import type { Server } from "node:http";
import express from "express";
import session from "express-session";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { InvalidSessionIdError } from "../../src/index.ts";
import { eventually } from "../support/database.ts";
import { baseUrl, CookieClient } from "../support/http.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

declare module "express-session" {
  interface SessionData {
    user?: string;
    loginAt?: Date;
    views?: number;
  }
}

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

const defaultMaxAge = 3_600_000;

interface App {
  url: string;
  store: PgSessionStore;
  table: string;
  clock: { offset: number };
  errors: Error[];
  close(): Promise<void>;
}

async function startApp(options: { touchAfter?: number; genid?: () => string; maxAge?: number } = {}): Promise<App> {
  const table = await ctx.newTable("express");
  const clock = { offset: 0 };
  const errors: Error[] = [];
  const store = new PgSessionStore({
    prisma: ctx.counting.prisma,
    tableName: table,
    pruneSessionInterval: false,
    now: () => Date.now() + clock.offset,
    ...(options.touchAfter === undefined ? {} : { touchAfter: options.touchAfter }),
  });
  const app = express();
  app.use(express.json());
  app.use(
    session({
      store,
      secret: "test secret",
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: options.maxAge ?? defaultMaxAge },
      ...(options.genid ? { genid: options.genid } : {}),
    }),
  );
  app.post("/login", (req, res) => {
    req.session.user = req.body.user;
    req.session.loginAt = new Date("2026-11-25T09:30:00Z");
    res.json({ ok: true });
  });
  app.get("/me", (req, res) => {
    res.json({ user: req.session.user ?? null, loginAtIsDate: req.session.loginAt instanceof Date, views: req.session.views ?? 0 });
  });
  app.post("/view", (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.json({ views: req.session.views });
  });
  app.post("/logout", (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.json({ ok: true }))));
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    errors.push(err);
    if (res.headersSent) return; // express-session reports a failed save after the response
    res.status(500).json({ error: err.name, message: err.message });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: baseUrl(server),
    store,
    table,
    clock,
    errors,
    close: async () => {
      await new Promise((r) => server.close(r));
      await store.close();
    },
  };
}

function statementsDuring<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const start = ctx.counting.statements.length;
  return work().then((result) => ({ result, statements: ctx.counting.statements.slice(start) }));
}

const verb = (sql: string) => sql.trim().split(/\s+/)[0]!.toUpperCase();

test("login → the session persists across requests (Dates included) → logout destroys it", async () => {
  const app = await startApp();
  try {
    const browser = new CookieClient(app.url);
    expect((await browser.request("GET", "/me")).body).toEqual({ user: null, loginAtIsDate: false, views: 0 });
    await browser.request("POST", "/login", { user: "ann" });
    expect((await browser.request("GET", "/me")).body).toEqual({ user: "ann", loginAtIsDate: true, views: 0 });
    expect(await app.store.length()).toBe(1);
    const [sid] = (await app.store.ids())!;
    await browser.request("POST", "/logout");
    const { rows } = await ctx.admin.query(`SELECT count(*)::int AS n FROM "${app.table}" WHERE id = $1`, [sid]);
    expect(rows[0].n).toBe(0);
    expect((await browser.request("GET", "/me")).body.user).toBeNull();
  } finally {
    await app.close();
  }
});

test("statements per request: unchanged = 1 (SELECT), changed = 2 (SELECT + UPDATE)", async () => {
  const app = await startApp();
  try {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login", { user: "ann" });
    const unchanged = await statementsDuring(() => browser.request("GET", "/me"));
    expect(unchanged.statements.map(verb)).toEqual(["SELECT"]);
    const changed = await statementsDuring(() => browser.request("POST", "/view"));
    expect(changed.statements.map(verb)).toEqual(["SELECT", "UPDATE"]);
    expect(changed.result.body.views).toBe(1);
  } finally {
    await app.close();
  }
});

test("with touchAfter 0, touch updates only the expiry and leaves the payload as it was", async () => {
  const app = await startApp({ touchAfter: 0 });
  try {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login", { user: "ann" });
    const before = (await ctx.admin.query(`SELECT a_session, expires_at FROM "${app.table}"`)).rows[0];
    app.clock.offset = 0;
    // express-session computes the cookie's expiry from the wall clock: once that clock has passed the
    // instant the stored expiry was computed at, the next request's expiry is a later one.
    await eventually(async () => Date.now() + defaultMaxAge > before.expires_at.getTime());
    const { statements } = await statementsDuring(() => browser.request("GET", "/me"));
    expect(statements.map(verb)).toEqual(["SELECT", "UPDATE"]);
    expect(statements[1]).toMatch(/SET expires_at = /);
    expect(statements[1]).not.toMatch(/a_session =/);
    const after = (await ctx.admin.query(`SELECT a_session, expires_at FROM "${app.table}"`)).rows[0];
    expect(after.a_session).toBe(before.a_session);
    expect(after.expires_at.getTime()).toBeGreaterThan(before.expires_at.getTime());
  } finally {
    await app.close();
  }
});

test("an expired session is never returned, even before pruning (controllable clock)", async () => {
  const app = await startApp({ maxAge: 60_000 });
  try {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/login", { user: "ann" });
    expect((await browser.request("GET", "/me")).body.user).toBe("ann");
    app.clock.offset = 61_000;
    expect((await browser.request("GET", "/me")).body.user).toBeNull();
    const { rows } = await ctx.admin.query(`SELECT count(*)::int AS n FROM "${app.table}"`);
    expect(rows[0].n).toBe(1); // still stored: only the query's expiry filter hid it
    expect(await app.store.prune()).toBe(1);
  } finally {
    await app.close();
  }
});

test("concurrent first requests each get their own stored session", async () => {
  const app = await startApp();
  try {
    const browsers = Array.from({ length: 20 }, () => new CookieClient(app.url));
    const results = await Promise.all(browsers.map((b) => b.request("POST", "/view")));
    expect(results.map((r) => r.body.views)).toEqual(Array(20).fill(1));
    expect(new Set(browsers.map((b) => b.cookies.get("connect.sid"))).size).toBe(20);
    expect(await app.store.length()).toBe(20);
  } finally {
    await app.close();
  }
});

// express-session's signed cookie for a session id, as cookie-signature makes it.
const signedCookie = (sid: string, secret: string) =>
  encodeURIComponent(`s:${sid}.${createHmac("sha256", secret).update(sid).digest("base64").replace(/=+$/, "")}`);

test("a signed cookie whose id cannot fit the column (a UUID from another store) starts a new session, not a 500", async () => {
  const app = await startApp();
  try {
    const browser = new CookieClient(app.url);
    const uuid = randomUUID(); // 36 characters: what apps moving from another store with a custom genid carry
    browser.cookies.set("connect.sid", signedCookie(uuid, "test secret"));
    const first = await browser.request("GET", "/me");
    expect(first.status).toBe(200);
    expect(first.body.user).toBeNull();
    expect((await browser.request("POST", "/view")).body).toEqual({ views: 1 });
    expect(decodeURIComponent(browser.cookies.get("connect.sid")!)).not.toContain(uuid);
    expect((await browser.request("POST", "/view")).body).toEqual({ views: 2 });
    expect(app.errors).toEqual([]);
    expect(await app.store.length()).toBe(1);
  } finally {
    await app.close();
  }
});

test("writes keep refusing an id longer than the column (custom genid) with InvalidSessionIdError", async () => {
  const app = await startApp({ genid: () => "x".repeat(40) });
  try {
    const browser = new CookieClient(app.url);
    await browser.request("POST", "/view");
    // express-session reports a failed save to the error handler (after the response is written).
    await eventually(async () => app.errors.length > 0);
    expect(app.errors[0]).toBeInstanceOf(InvalidSessionIdError);
    expect(app.errors[0]!.message).toMatch(/holds 32 .*widen the column in your Prisma schema/);
    expect(await app.store.length()).toBe(0);
    await expect(app.store.set("x".repeat(40), { cookie: { originalMaxAge: 60_000 } } as never)).rejects.toBeInstanceOf(
      InvalidSessionIdError,
    );
    await expect(app.store.touch("x".repeat(40), { cookie: { originalMaxAge: 60_000 } } as never)).rejects.toBeInstanceOf(
      InvalidSessionIdError,
    );
    await expect(app.store.destroy("x".repeat(40))).rejects.toBeInstanceOf(InvalidSessionIdError);
    // A lookup of that id is "no session": the next request is served (and its save refused again).
    const next = await browser.request("GET", "/me");
    expect(next.status).toBe(200);
    expect(next.body.user).toBeNull();
  } finally {
    await app.close();
  }
});
