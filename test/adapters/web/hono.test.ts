// The Hono middleware (prisma-pg-session/hono) in a real Hono app, served over HTTP by @hono/node-server.
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { honoSession, UnsupportedRuntimeError, WebSessions, type SessionEnv } from "../../../src/adapters/hono/index.ts";
import { CookieClient } from "../../support/http.ts";
import { dataStatements, signedCookie, webFixture, type WebFixture } from "./fixture.ts";

interface Data {
  user?: string;
  count?: number;
  flash?: string;
}

const secret = "hono secret";
let fx: WebFixture;
let server: ServerType;
let url: string;
let sessions: WebSessions<Data>;

beforeAll(async () => {
  fx = await webFixture("hono");
  sessions = new WebSessions<Data>({
    pgPool: fx.counting.pool,
    tableName: fx.table,
    secret,
    pruneSessionInterval: false,
    cookie: { maxAge: 3600 },
    timeout: 20_000,
    maxWait: 20_000,
  });
  const app = new Hono<SessionEnv<Data>>();
  app.use(honoSession(sessions));
  app.get("/me", (c) => {
    const session = c.get("session");
    return c.json({ id: session.id, isNew: session.isNew, data: session.data });
  });
  app.post("/login", async (c) => {
    const session = c.get("session");
    session.rotate(); // session-fixation defence
    session.data.user = ((await c.req.json()) as { user: string }).user;
    // Response.redirect's headers are immutable: the middleware must still get its cookie on.
    return Response.redirect("http://app.test/me", 303);
  });
  app.post("/count", async (c) => {
    const count = await c.get("session").lock((session) => (session.data.count = (session.data.count ?? 0) + 1));
    return c.json({ count });
  });
  app.post("/logout", (c) => {
    c.get("session").destroy();
    return c.json({ ok: true });
  });
  app.post("/fail", (c) => {
    c.get("session").data.user = "never saved";
    throw new Error("handler failed");
  });
  app.onError((error, c) => c.json({ error: error.name, message: error.message }, error instanceof UnsupportedRuntimeError ? 503 : 500));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await sessions?.close();
  await fx?.close();
});

test("c.get('session'): nothing stored for a visitor nothing was put in; login rotates and sets the cookie on a redirect", async () => {
  const browser = new CookieClient(url);
  const first = await browser.request("GET", "/me");
  expect(first.body).toMatchObject({ isNew: true, data: {} });
  expect(browser.cookies.size).toBe(0); // saveUninitialized: false

  const response = await fetch(`${url}/login`, { method: "POST", body: JSON.stringify({ user: "ann" }), redirect: "manual" });
  expect(response.status).toBe(303);
  const [setCookie] = response.headers.getSetCookie();
  expect(setCookie).toMatch(/^connect\.sid=s%3A[^;]+; Max-Age=3600; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
  browser.cookies.set("connect.sid", setCookie!.split(";")[0]!.slice("connect.sid=".length));

  fx.take();
  const me = await browser.request("GET", "/me");
  expect(me.body).toMatchObject({ isNew: false, data: { user: "ann" } });
  expect(dataStatements(fx.take())).toHaveLength(1); // one SELECT; the unchanged session is not written
});

test("concurrent locked increments over HTTP all count", async () => {
  const browser = new CookieClient(url);
  await browser.request("POST", "/count");
  expect(browser.cookies.size).toBe(1);
  const results = await Promise.all(
    Array.from({ length: 20 }, () => new CookieClient(url, new Map(browser.cookies)).request("POST", "/count")),
  );
  expect(results.map((r) => r.body.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  expect((await browser.request("GET", "/me")).body.data.count).toBe(21);
});

test("logout destroys the row and removes the cookie; a failed handler saves nothing", async () => {
  const browser = new CookieClient(url);
  await browser.request("POST", "/count");
  const id = (await browser.request("GET", "/me")).body.id;
  expect(await fx.row(id)).toBeDefined();

  const failed = await browser.request("POST", "/fail");
  expect(failed.status).toBe(500);
  expect((await browser.request("GET", "/me")).body.data).toEqual({ count: 1 });

  const response = await fetch(`${url}/logout`, {
    method: "POST",
    headers: { cookie: `connect.sid=${browser.cookies.get("connect.sid")}` },
  });
  expect(response.headers.getSetCookie()[0]).toMatch(/^connect\.sid=; Max-Age=0;/);
  expect(await fx.row(id)).toBeUndefined();
});

test("bad cookies give a new session over HTTP, never an error and no SQL", async () => {
  fx.take();
  for (const cookie of ["connect.sid=garbage", "connect.sid=s%3Aabc.def", signedCookie("abc", "other secret"), "connect.sid=%"]) {
    const response = await fetch(`${url}/me`, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ isNew: true, data: {} });
  }
  expect(fx.take()).toEqual([]);
});

test("in an Edge runtime the request fails with the typed error naming the fix", async () => {
  const globals = globalThis as { EdgeRuntime?: string };
  globals.EdgeRuntime = "vercel";
  try {
    const response = await fetch(`${url}/me`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe("UnsupportedRuntimeError");
    expect(body.message).toContain('export const runtime = "nodejs"');
  } finally {
    delete globals.EdgeRuntime;
  }
});

test("the middleware can be given options instead of a WebSessions", async () => {
  const app = new Hono<SessionEnv<Data>>();
  const middleware = honoSession<Data>({ pgPool: fx.counting.pool, tableName: fx.table, secret, pruneSessionInterval: false, name: "sid" });
  app.use(middleware);
  app.get("/", (c) => {
    c.get("session").data.user = "zoe";
    return c.text("ok");
  });
  const response = await app.request("/");
  expect(response.headers.getSetCookie()[0]).toMatch(/^sid=s%3A/);
});
