// `ttl` as a function of the session ("remember me"), connect-redis's way: called on every set and
// touch, its result is the row's lifetime whatever the cookie says; 0 destroys; a bad result is a typed
// error and writes nothing. Through the store API, a real express app over HTTP, and the web core (Hono).
import type { Server } from "node:http";
import express from "express";
import session, { type SessionData } from "express-session";
import { Hono } from "hono";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { honoSession, WebSessions, type SessionEnv } from "../../src/adapters/hono/index.ts";
import { randomId } from "../support/database.ts";
import { baseUrl } from "../support/http.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";
import { sessionIdOf } from "./web/fixture.ts";

declare module "express-session" {
  interface SessionData {
    user?: string;
    rememberMe?: boolean;
  }
}

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

const day = 86_400;
const hour = 3_600;
const T0 = Date.parse("2026-11-25T12:00:00Z");
const rememberMe = (s: Record<string, unknown>) => (s.rememberMe === true ? 30 * day : hour);

async function rowOf(table: string, id: string) {
  const { rows } = await ctx.admin.query<{ a_session: string; expires_at: Date }>(
    `SELECT a_session, expires_at FROM "${table}" WHERE id = $1`,
    [id],
  );
  return rows[0];
}

/** Checks that `write` set the row's expiry to `seconds` after a moment within the call (the real clock). */
async function expectExpirySetBy<T>(table: string, id: () => string, seconds: number, write: () => Promise<T>): Promise<T> {
  const before = Date.now();
  const result = await write();
  const after = Date.now();
  const expiresAt = (await rowOf(table, id()))!.expires_at.getTime();
  expect(expiresAt).toBeGreaterThanOrEqual(before + seconds * 1000);
  expect(expiresAt).toBeLessThanOrEqual(after + seconds * 1000);
  return result;
}

async function expire(table: string, id: string): Promise<void> {
  await ctx.admin.query(`UPDATE "${table}" SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
}

describe("the store API (its clock fixed at T0)", () => {
  async function newStore(ttl: ConstructorParameters<typeof PgSessionStore>[0]["ttl"]) {
    const table = await ctx.newTable("ttl_fn");
    const store = new PgSessionStore({
      prisma: ctx.prisma,
      tableName: table,
      pruneSessionInterval: false,
      touchAfter: 0,
      now: () => T0,
      ttl,
    });
    ctx.cleanup(() => store.close());
    return { store, table };
  }

  // A session as express-session hands it over: its cookie says one hour.
  const sessionOf = (data: Record<string, unknown>) =>
    ({ cookie: { originalMaxAge: hour * 1000, expires: new Date(T0 + hour * 1000), httpOnly: true, path: "/" }, ...data }) as SessionData;

  test("set: the function's lifetime is the row's, over the cookie's expiry", async () => {
    const { store, table } = await newStore(rememberMe);
    const [short, long] = [randomId(), randomId()];
    await store.set(short, sessionOf({ user: "ann" }));
    await store.set(long, sessionOf({ user: "bob", rememberMe: true }));
    expect((await rowOf(table, short))!.expires_at.getTime()).toBe(T0 + hour * 1000);
    expect((await rowOf(table, long))!.expires_at.getTime()).toBe(T0 + 30 * day * 1000);
    await expect(store.get(long)).resolves.toMatchObject({ user: "bob", cookie: { expires: new Date(T0 + 30 * day * 1000) } });
  });

  test("touch calls it too, with the session, and moves only the expiry", async () => {
    const seen: unknown[] = [];
    const { store, table } = await newStore((s) => (seen.push(structuredClone(s)), rememberMe(s)));
    const id = randomId();
    await store.set(id, sessionOf({ user: "ann" }));
    const text = (await rowOf(table, id))!.a_session;
    await store.touch(id, sessionOf({ user: "ann", rememberMe: true }));
    expect(await rowOf(table, id)).toEqual({ a_session: text, expires_at: new Date(T0 + 30 * day * 1000) });
    expect(seen).toEqual([
      expect.objectContaining({ user: "ann", cookie: expect.objectContaining({ originalMaxAge: hour * 1000 }) }),
      expect.objectContaining({ user: "ann", rememberMe: true }),
    ]);
  });

  test("a lifetime of 0 destroys the session", async () => {
    const { store, table } = await newStore((s) => (s.user === undefined ? 0 : hour));
    const id = randomId();
    await store.set(id, sessionOf({ user: "ann" }));
    await store.set(id, sessionOf({}));
    expect(await rowOf(table, id)).toBeUndefined();
    await expect(store.get(id)).resolves.toBeNull();
  });

  test.each([
    ["NaN", Number.NaN, RangeError],
    ["negative", -1, RangeError],
    ["Infinity", Number.POSITIVE_INFINITY, RangeError],
    ["beyond any date", 1e20, RangeError],
    ["a string", "3600", TypeError],
    ["undefined", undefined, TypeError],
    ["null", null, TypeError],
  ])("a function returning %s: set and touch fail with a typed error naming ttl, and write nothing", async (_label, result, type) => {
    const { store, table } = await newStore((s) => (s.broken === true ? (result as number) : hour));
    const id = randomId();
    await store.set(id, sessionOf({ user: "ann" }));
    const stored = await rowOf(table, id);
    for (const write of [
      () => store.set(id, sessionOf({ user: "bob", broken: true })),
      () => store.touch(id, sessionOf({ broken: true })),
    ]) {
      await expect(write()).rejects.toThrow(type);
      await expect(write()).rejects.toThrow(/^ttl\(session\) must return a number of seconds/);
    }
    expect(await rowOf(table, id)).toEqual(stored);
    // express-session passes a callback: the error reaches it.
    const fresh = randomId();
    const error = await new Promise((resolve) => store.set(fresh, sessionOf({ broken: true }), resolve));
    expect(error).toBeInstanceOf(type);
    expect(await rowOf(table, fresh)).toBeUndefined();
  });

  test("the option itself: a function, or a number of seconds ≥ 0 as before", () => {
    expect(() => new PgSessionStore({ prisma: ctx.prisma, ttl: "1h" as unknown as number })).toThrow(/^ttl must be /);
  });
});

describe("a real express app: remember me", () => {
  const secret = "ttl secret";
  let server: Server;
  let url: string;
  let table: string;

  beforeAll(async () => {
    table = await ctx.newTable("ttl_express");
    const store = new PgSessionStore({ prisma: ctx.prisma, tableName: table, pruneSessionInterval: false, ttl: rememberMe });
    const app = express();
    app.use(express.json());
    // A browser-session cookie unless remembered; the row lives as long as the ttl function says.
    app.use(session({ store, secret, resave: false, saveUninitialized: false }));
    app.post("/login", (req, res) => {
      req.session.user = req.body.user;
      req.session.rememberMe = req.body.remember === true;
      if (req.session.rememberMe) req.session.cookie.maxAge = 30 * day * 1000;
      res.json({ ok: true });
    });
    app.get("/me", (req, res) => res.json({ user: req.session.user ?? null }));
    server = await new Promise((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    url = baseUrl(server);
    ctx.cleanup(async () => {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    });
  });

  async function login(remember: boolean): Promise<{ cookie: string; setCookie: string }> {
    const response = await fetch(`${url}/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user: "ann", remember }),
    });
    // express-session saves before it sends the body's last byte: the whole response means the row is written.
    await response.text();
    const setCookie = response.headers.get("set-cookie")!;
    return { cookie: setCookie.split(";")[0]!, setCookie };
  }

  const me = async (cookie: string) => (await (await fetch(`${url}/me`, { headers: { cookie } })).json()) as { user: string | null };

  test("remembered: a 30-day row and a 30-day cookie; otherwise a one-hour row and a browser-session cookie", async () => {
    let long = "";
    const remembered = await expectExpirySetBy(
      table,
      () => long,
      30 * day,
      async () => {
        const result = await login(true);
        long = sessionIdOf(result.setCookie, secret);
        return result;
      },
    );
    // express-session's cookie, which the app set to 30 days: the same lifetime (computed at another moment of the request).
    const cookieExpires = Date.parse(/; Expires=([^;]+)/.exec(remembered.setCookie)![1]!);
    const rowExpires = (await rowOf(table, long))!.expires_at.getTime();
    expect(cookieExpires).toBeGreaterThan(rowExpires - 60_000);
    expect(cookieExpires).toBeLessThanOrEqual(rowExpires + 60_000);
    let short = "";
    const forgotten = await expectExpirySetBy(
      table,
      () => short,
      hour,
      async () => {
        const result = await login(false);
        short = sessionIdOf(result.setCookie, secret);
        return result;
      },
    );
    expect(forgotten.setCookie).not.toMatch(/Expires=/);
    await expect(me(remembered.cookie)).resolves.toEqual({ user: "ann" });
    await expect(me(forgotten.cookie)).resolves.toEqual({ user: "ann" });
  });

  test("once the row's lifetime has passed, the session is gone", async () => {
    const { cookie, setCookie } = await login(false);
    await expire(table, sessionIdOf(setCookie, secret));
    await expect(me(cookie)).resolves.toEqual({ user: null });
  });
});

describe("the web core through Hono: the cookie's Max-Age is the row's lifetime", () => {
  interface Data {
    user?: string;
    rememberMe?: boolean | "broken";
  }
  const secret = "hono ttl secret";
  let app: Hono<SessionEnv<Data>>;
  let table: string;

  beforeAll(async () => {
    table = await ctx.newTable("ttl_hono");
    const sessions = new WebSessions<Data>({
      prisma: ctx.prisma,
      tableName: table,
      secret,
      pruneSessionInterval: false,
      cookie: { maxAge: 600 }, // the ttl function wins over it
      ttl: (data) => (data.rememberMe === "broken" ? Number.NaN : rememberMe(data)),
    });
    ctx.cleanup(() => sessions.close());
    app = new Hono<SessionEnv<Data>>();
    app.use(honoSession(sessions));
    app.post("/login", async (c) => {
      const body = (await c.req.json()) as Data;
      const s = c.get("session");
      s.rotate();
      Object.assign(s.data, body);
      return c.json({ ok: true });
    });
    app.get("/me", (c) => c.json({ user: c.get("session").data.user ?? null }));
    app.onError((error, c) => c.json({ error: error.name, message: error.message }, 500));
  });

  async function post(path: string, body: Data, cookie = "") {
    const response = await app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify(body),
    });
    return { response, setCookie: response.headers.get("set-cookie") ?? "", json: (await response.json()) as Record<string, unknown> };
  }

  test.each([
    ["remembered", true, 30 * day],
    ["not remembered", false, hour],
  ])("%s: row and cookie get the function's lifetime", async (_label, remember, seconds) => {
    let id = "";
    const { setCookie } = await expectExpirySetBy(
      table,
      () => id,
      seconds,
      async () => {
        const result = await post("/login", { user: "ann", rememberMe: remember });
        id = sessionIdOf(result.setCookie, secret);
        return result;
      },
    );
    expect(setCookie).toContain(`; Max-Age=${seconds};`);
    // An express app reading the row sees the same lifetime in the session's cookie.
    expect(JSON.parse((await rowOf(table, id))!.a_session).json.cookie.originalMaxAge).toBe(seconds * 1000);
  });

  test("a bad result: the request fails with the typed error, and the row is as it was", async () => {
    const { setCookie } = await post("/login", { user: "ann" });
    const id = sessionIdOf(setCookie, secret);
    const stored = await rowOf(table, id);
    const { response, json } = await post("/login", { rememberMe: "broken" }, setCookie.split(";")[0]!);
    expect(response.status).toBe(500);
    expect(json).toEqual({ error: "RangeError", message: "ttl(data) must return a number of seconds from 0 to 100000000000, got NaN" });
    expect(await rowOf(table, id)).toEqual(stored);
  });

  test("once the row's lifetime has passed, the cookie names no session", async () => {
    const { setCookie } = await post("/login", { user: "ann" });
    await expire(table, sessionIdOf(setCookie, secret));
    const response = await app.request("/me", { headers: { cookie: setCookie.split(";")[0]! } });
    expect(((await response.json()) as { user: string | null }).user).toBeNull();
  });
});

describe("the web core: a ttl function's lifetime is taken as the cookie can carry it", () => {
  const secret = "web ttl rounding secret";
  let sessions: WebSessions<{ user?: string; lifetime?: number }>;
  let table: string;

  beforeAll(async () => {
    table = await ctx.newTable("ttl_web_round");
    sessions = new WebSessions<{ user?: string; lifetime?: number }>({
      prisma: ctx.prisma,
      tableName: table,
      secret,
      pruneSessionInterval: false,
      ttl: (data) => data.lifetime ?? hour,
    });
    ctx.cleanup(() => sessions.close());
  });

  /** A stored session, then a commit of it with `lifetime`: the Set-Cookie and the row after it. */
  async function commitWith(lifetime: number) {
    const fresh = await sessions.load(null);
    fresh.data.user = "ann";
    const cookie = (await sessions.commit(fresh))!.split(";")[0]!;
    const id = sessionIdOf(cookie, secret);
    const session = await sessions.load(cookie);
    session.data.lifetime = lifetime;
    const before = Date.now();
    const setCookie = await sessions.commit(session);
    const after = Date.now();
    return { id, setCookie: setCookie ?? "", row: await rowOf(table, id), before, after };
  }

  test.each([0.4, 0.999])("a result under 1 s (%s) ends the session: no row, and the cookie is cleared", async (lifetime) => {
    const { row, setCookie } = await commitWith(lifetime);
    expect(row).toBeUndefined();
    expect(setCookie).toMatch(/^connect\.sid=;/);
    expect(setCookie).toContain("Max-Age=0");
  });

  test("a fractional result is whole seconds, rounded down, for row and cookie alike", async () => {
    const { row, setCookie, before, after } = await commitWith(90.7);
    expect(setCookie).toContain("; Max-Age=90;");
    expect(row!.expires_at.getTime()).toBeGreaterThanOrEqual(before + 90_000);
    expect(row!.expires_at.getTime()).toBeLessThanOrEqual(after + 90_000);
    expect(JSON.parse(row!.a_session).json.cookie.originalMaxAge).toBe(90_000);
  });

  test("a result over 400 days is 400 days, the most browsers keep a cookie: the row ends with it", async () => {
    const maxCookie = 400 * day;
    const { row, setCookie, before, after } = await commitWith(5 * 365 * day);
    expect(setCookie).toContain(`; Max-Age=${maxCookie};`);
    expect(row!.expires_at.getTime()).toBeGreaterThanOrEqual(before + maxCookie * 1000);
    expect(row!.expires_at.getTime()).toBeLessThanOrEqual(after + maxCookie * 1000);
  });
});
