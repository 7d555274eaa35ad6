// An express app (express + express-session + PgSessionStore) and the web core on one table with one
// secret: one browser, one session, whichever app serves the request.
import type { Server } from "node:http";
import express from "express";
import session from "express-session";
import { PgSessionStore } from "../../../src/adapters/express-session/index.ts";
import { WebSessions } from "../../../src/adapters/web/index.ts";
import { baseUrl, CookieClient } from "../../support/http.ts";
import { webFixture, type WebFixture } from "./fixture.ts";

declare module "express-session" {
  interface SessionData {
    user?: string;
    count?: number;
    flash?: string;
    since?: Date;
  }
}

interface Data {
  user?: string;
  count?: number;
  flash?: string;
  since?: Date;
}

const secret = "one secret for both apps";
let fx: WebFixture;
let server: Server;
let store: PgSessionStore;
let web: WebSessions<Data>;
let expressUrl: string;

beforeAll(async () => {
  fx = await webFixture("webx");
  store = new PgSessionStore({ pgPool: fx.counting.pool, tableName: fx.table, pruneSessionInterval: false });
  web = new WebSessions<Data>({
    pgPool: fx.counting.pool,
    tableName: fx.table,
    secret,
    pruneSessionInterval: false,
    cookie: { maxAge: 3600 },
  });
  const app = express();
  app.use(express.json());
  app.use(session({ store, secret, resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  app.post("/login", (req, res) => {
    req.session.user = req.body.user;
    req.session.since = new Date("2026-11-25T09:30:00Z");
    res.json({ ok: true });
  });
  app.get("/me", (req, res) =>
    res.json({
      id: req.sessionID,
      user: req.session.user ?? null,
      count: req.session.count ?? null,
      flash: req.session.flash ?? null,
      sinceIsDate: req.session.since instanceof Date,
    }),
  );
  app.post("/count", (req, res) => {
    req.session.count = (req.session.count ?? 0) + 10;
    res.json({ count: req.session.count });
  });
  app.post("/logout", (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.json({ ok: true }))));
  server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  expressUrl = baseUrl(server);
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await web?.close();
  await store?.close();
  await fx?.close();
});

/** The browser's Cookie header for the web core's requests. */
function cookieOf(browser: CookieClient): string {
  return [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
}

/** A request to the web side: load, change, commit, and the browser keeps the cookie, as it would. */
async function viaWeb(browser: CookieClient, change: (data: Data, session: Awaited<ReturnType<typeof web.load>>) => void | Promise<void>) {
  const session = await web.load(new Request("http://app.test/", { headers: { cookie: cookieOf(browser) } }));
  await change(session.data, session);
  const setCookie = await web.commit(session);
  if (setCookie !== undefined) {
    const [pair] = setCookie.split(";");
    const at = pair!.indexOf("=");
    browser.cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
  }
  return session;
}

test("a session started in express is read and changed by the web core, and express sees the change", async () => {
  const browser = new CookieClient(expressUrl);
  await browser.request("POST", "/login", { user: "ann" });
  const expressId = (await browser.request("GET", "/me")).body.id;

  const seen = await viaWeb(browser, (data) => {
    expect(data).toEqual({ user: "ann", since: new Date("2026-11-25T09:30:00Z") }); // express's cookie field is not the app's data
    data.count = 1;
  });
  expect(seen.id).toBe(expressId);
  expect(seen.isNew).toBe(false);

  const me = (await browser.request("GET", "/me")).body;
  expect(me).toEqual({ id: expressId, user: "ann", count: 1, flash: null, sinceIsDate: true });
  expect((await browser.request("POST", "/count")).body.count).toBe(11);
  await viaWeb(browser, (data) => expect(data.count).toBe(11));
});

test("a session started by the web core is express's too", async () => {
  const browser = new CookieClient(expressUrl);
  const started = await viaWeb(browser, (data) => {
    data.user = "bob";
    data.since = new Date("2026-11-25T10:00:00Z");
  });
  const me = (await browser.request("GET", "/me")).body;
  expect(me).toEqual({ id: started.id, user: "bob", count: null, flash: null, sinceIsDate: true });
  await browser.request("POST", "/count");
  await viaWeb(browser, (data) => expect(data).toEqual({ user: "bob", since: new Date("2026-11-25T10:00:00Z"), count: 10 }));
});

test("rotation in the web core: express follows the new id, the old cookie opens nothing", async () => {
  const browser = new CookieClient(expressUrl);
  await browser.request("POST", "/login", { user: "cy" });
  const oldCookie = new Map(browser.cookies);
  const oldId = (await browser.request("GET", "/me")).body.id;
  const rotated = await viaWeb(browser, (data, s) => {
    s.rotate();
    data.flash = "welcome back";
  });
  expect(rotated.id).not.toBe(oldId);
  expect((await browser.request("GET", "/me")).body).toMatchObject({ id: rotated.id, user: "cy", flash: "welcome back" });
  expect((await new CookieClient(expressUrl, oldCookie).request("GET", "/me")).body.user).toBeNull();
});

test("a locked unit of the web core on express's session; logout in express ends it for both", async () => {
  const browser = new CookieClient(expressUrl);
  await browser.request("POST", "/login", { user: "di" });
  await browser.request("POST", "/count");
  const sessions = await Promise.all(
    Array.from({ length: 5 }, () => web.load(new Request("http://app.test/", { headers: { cookie: cookieOf(browser) } }))),
  );
  await Promise.all(sessions.map((s) => s.lock((locked) => void (locked.data.count! += 1))));
  expect((await browser.request("GET", "/me")).body.count).toBe(15);

  await browser.request("POST", "/logout");
  const after = await web.load(new Request("http://app.test/", { headers: { cookie: cookieOf(browser) } }));
  expect(after.isNew).toBe(true);
  expect(after.data).toEqual({});
});

test("a logout in the web core ends the session in express", async () => {
  const browser = new CookieClient(expressUrl);
  await browser.request("POST", "/login", { user: "eve" });
  const session = await web.load(new Request("http://app.test/", { headers: { cookie: cookieOf(browser) } }));
  await web.destroy(session);
  expect((await browser.request("GET", "/me")).body.user).toBeNull();
});
