import type { Server } from "node:http";
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import express from "express";
import session from "express-session";
import Fastify from "fastify";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { WebSessions } from "../../src/adapters/web/index.ts";
import { baseUrl, CookieClient } from "../support/http.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// One cookie rule on every entry: of two cookies of the session's name (a sibling subdomain can plant
// one), the first sent is the session. (The Next.js entry, which reads cookies through Next.js, is
// tested in next/next-sessions.test.ts.)

declare module "express-session" {
  interface SessionData {
    user?: string;
  }
}
declare module "fastify" {
  interface Session {
    user?: string;
  }
}

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

/** GET /me with exactly this Cookie header. */
async function me(url: string, cookie: string): Promise<unknown> {
  const response = await fetch(`${url}/me`, { headers: { cookie } });
  return ((await response.json()) as { user: unknown }).user;
}

async function expressApp(): Promise<{ url: string; name: string }> {
  const store = new PgSessionStore({ prisma: ctx.counting.prisma, tableName: await ctx.newTable("dup"), pruneSessionInterval: false });
  ctx.cleanup(() => store.close());
  const app = express();
  app.use(express.json());
  app.use(session({ store, secret: "test secret", resave: false, saveUninitialized: false }));
  app.post("/login", (req, res) => {
    req.session.user = req.body.user;
    res.json({ ok: true });
  });
  app.get("/me", (req, res) => res.json({ user: req.session.user ?? null }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  ctx.cleanup(() => new Promise((resolve) => server.close(resolve)));
  return { url: baseUrl(server), name: "connect.sid" };
}

async function fastifyApp(): Promise<{ url: string; name: string }> {
  const store = new PgSessionStore({ prisma: ctx.counting.prisma, tableName: await ctx.newTable("dup"), pruneSessionInterval: false });
  ctx.cleanup(() => store.close());
  const app = Fastify();
  ctx.cleanup(() => app.close());
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret: "a secret with at least thirty-two characters", store, cookie: { secure: false } });
  app.post("/login", async (request) => {
    request.session.user = (request.body as { user: string }).user;
    return { ok: true };
  });
  app.get("/me", async (request) => ({ user: request.session.user ?? null }));
  return { url: await app.listen({ port: 0, host: "127.0.0.1" }), name: "sessionId" };
}

test.each([
  ["express-session", expressApp],
  ["@fastify/session", fastifyApp],
])("%s: the first of two session cookies is the session", async (_name, start) => {
  const { url, name } = await start();
  const [ann, mallory] = [new CookieClient(url), new CookieClient(url)];
  await ann.request("POST", "/login", { user: "ann" });
  await mallory.request("POST", "/login", { user: "mallory" });
  const [a, m] = [ann.cookies.get(name)!, mallory.cookies.get(name)!];
  expect(await me(url, `${name}=${a}; ${name}=${m}`)).toBe("ann");
  expect(await me(url, `${name}=${m}; other=1; ${name}=${a}`)).toBe("mallory");
});

test("the web core (Hono, React Router): the first of two session cookies is the session", async () => {
  const sessions = new WebSessions<{ user?: string }>({
    prisma: ctx.counting.prisma,
    tableName: await ctx.newTable("dup"),
    secret: "web secret",
    pruneSessionInterval: false,
  });
  ctx.cleanup(() => sessions.close());
  const loginAs = async (user: string) => {
    const session = await sessions.load(undefined);
    session.data.user = user;
    return (await sessions.commit(session))!.split(";")[0]!;
  };
  const [ann, mallory] = [await loginAs("ann"), await loginAs("mallory")];
  expect((await sessions.load(`${ann}; ${mallory}`)).data).toEqual({ user: "ann" });
  expect((await sessions.load(`${mallory}; x=1; ${ann}`)).data).toEqual({ user: "mallory" });
});
