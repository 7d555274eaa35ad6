import { createHmac, randomUUID } from "node:crypto";
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import Fastify, { type FastifyInstance } from "fastify";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { CookieClient } from "../support/http.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

declare module "fastify" {
  interface Session {
    user?: string;
    loginAt?: Date;
    views?: number;
  }
}

let ctx: TestContext;
let url: string;

beforeAll(async () => {
  ctx = await initTest({ table: "fastify" });
  const store = new PgSessionStore({ prisma: ctx.counting.prisma, tableName: ctx.table, pruneSessionInterval: false });
  ctx.cleanup(() => store.close());
  const app: FastifyInstance = Fastify();
  ctx.cleanup(() => app.close());
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: "a secret with at least thirty-two characters",
    store,
    saveUninitialized: false,
    cookie: { secure: false, maxAge: 3_600_000 },
  });
  app.post("/login", async (request) => {
    request.session.user = (request.body as { user: string }).user;
    request.session.loginAt = new Date("2026-11-25T09:30:00Z");
    return { ok: true };
  });
  app.get("/me", async (request) => ({
    user: request.session.user ?? null,
    loginAtIsDate: request.session.loginAt instanceof Date,
  }));
  app.post("/view", async (request) => {
    request.session.views = (request.session.views ?? 0) + 1;
    return { views: request.session.views };
  });
  app.post("/logout", async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
  url = await app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(() => destroyTest(ctx));

const verb = (sql: string) => sql.trim().split(/\s+/)[0]!.toUpperCase();

test("login → the session persists (Dates included) → logout destroys it", async () => {
  const browser = new CookieClient(url);
  await browser.request("POST", "/login", { user: "ann" });
  expect((await browser.request("GET", "/me")).body).toEqual({ user: "ann", loginAtIsDate: true });
  const sid = decodeURIComponent(browser.cookies.get("sessionId")!).split(".")[0]!;
  expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM "${ctx.table}" WHERE id = $1`, [sid])).rows[0].n).toBe(1);
  await browser.request("POST", "/logout");
  expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM "${ctx.table}" WHERE id = $1`, [sid])).rows[0].n).toBe(0);
  expect((await browser.request("GET", "/me")).body.user).toBeNull();
});

test("fastify saves on every request (rolling); an unchanged session still costs one SELECT only", async () => {
  const browser = new CookieClient(url);
  await browser.request("POST", "/login", { user: "bob" });
  const start = ctx.counting.statements.length;
  await browser.request("GET", "/me");
  expect(ctx.counting.statements.slice(start).map(verb)).toEqual(["SELECT"]);
  const changedStart = ctx.counting.statements.length;
  expect((await browser.request("POST", "/view")).body.views).toBe(1);
  expect(ctx.counting.statements.slice(changedStart).map(verb)).toEqual(["SELECT", "UPDATE"]);
});

test("concurrent first requests each get their own session", async () => {
  const browsers = Array.from({ length: 10 }, () => new CookieClient(url));
  const results = await Promise.all(browsers.map((b) => b.request("POST", "/view")));
  expect(results.map((r) => r.body.views)).toEqual(Array(10).fill(1));
  const sids = browsers.map((b) => decodeURIComponent(b.cookies.get("sessionId")!).split(".")[0]!);
  const { rows } = await ctx.admin.query(`SELECT count(*)::int AS n FROM "${ctx.table}" WHERE id = ANY($1)`, [sids]);
  expect(rows[0].n).toBe(10);
});

test("a signed cookie whose id cannot fit the column (a UUID from another store) starts a new session, not a 500", async () => {
  const browser = new CookieClient(url);
  const uuid = randomUUID();
  const signature = createHmac("sha256", "a secret with at least thirty-two characters").update(uuid).digest("base64").replace(/=+$/, "");
  browser.cookies.set("sessionId", encodeURIComponent(`${uuid}.${signature}`));
  const first = await browser.request("GET", "/me");
  expect(first.status).toBe(200);
  expect(first.body.user).toBeNull();
  expect((await browser.request("POST", "/view")).body).toEqual({ views: 1 });
  const sid = decodeURIComponent(browser.cookies.get("sessionId")!).split(".")[0]!;
  expect(sid).not.toBe(uuid);
  expect((await browser.request("POST", "/view")).body).toEqual({ views: 2 });
  expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM "${ctx.table}" WHERE id = $1`, [sid])).rows[0].n).toBe(1);
});
