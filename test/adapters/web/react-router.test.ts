// React Router session storage (prisma-pg-session/react-router): through its SessionStorage API, and
// through a real React Router request handler (createRequestHandler with a server build of resource
// routes), against a real PostgreSQL; and shared with a real express-session app.
import type { Server } from "node:http";
import express from "express";
import session from "express-session";
import { createRequestHandler, type ServerBuild } from "react-router";
import { PgSessionStore } from "../../../src/adapters/express-session/index.ts";
import {
  createPgSessionStorage,
  UnsavedChangesError,
  UnsupportedRuntimeError,
  type PgSessionStorage,
} from "../../../src/adapters/react-router/index.ts";
import { SessionNotFoundError, SessionReentryError } from "../../../src/index.ts";
import { deferred } from "../../support/database.ts";
import { baseUrl, CookieClient } from "../../support/http.ts";
import { cookieHeader, dataStatements, sessionIdOf, signedCookie, webFixture, type WebFixture } from "./fixture.ts";

interface Data {
  user: string;
  count: number;
}
interface Flash {
  message: string;
}

const secret = "react router secret";
let fx: WebFixture;
let storage: PgSessionStorage<Data, Flash>;

beforeAll(async () => {
  fx = await webFixture("rr");
  storage = createPgSessionStorage<Data, Flash>({
    pgPool: fx.counting.pool,
    tableName: fx.table,
    pruneSessionInterval: false,
    timeout: 20_000,
    maxWait: 20_000,
    cookie: { secrets: [secret], maxAge: 3600, secure: true },
  });
});
afterAll(async () => {
  await storage?.close();
  await fx?.close();
});
beforeEach(() => fx.take());

describe("the SessionStorage API", () => {
  test("getSession / commitSession / flash: express-session's cookie, PgSessionStore's row", async () => {
    const fresh = await storage.getSession(null);
    expect(fresh.id).toBe("");
    fresh.set("user", "ann");
    fresh.flash("message", "welcome");
    const setCookie = await storage.commitSession(fresh);
    expect(setCookie).toMatch(/^connect\.sid=s%3A[^;]+; Max-Age=3600; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    const id = sessionIdOf(setCookie, secret);
    const row = JSON.parse((await fx.row(id))!.a_session);
    expect(row.json).toEqual({
      cookie: { originalMaxAge: 3_600_000, secure: true, httpOnly: true, path: "/", sameSite: "lax" },
      user: "ann",
      __flash_message__: "welcome",
    });

    const next = await storage.getSession(cookieHeader(setCookie));
    expect(next.id).toBe(id);
    expect(next.get("user")).toBe("ann");
    expect(next.get("message")).toBe("welcome"); // a flash is read once
    await storage.commitSession(next);
    const after = await storage.getSession(cookieHeader(setCookie));
    expect(after.get("message")).toBeUndefined();
    expect(after.get("user")).toBe("ann");
  });

  test("an unchanged session costs one SELECT and is not written", async () => {
    const created = await storage.getSession(null);
    created.set("user", "bob");
    const header = cookieHeader(await storage.commitSession(created));
    fx.take();
    const same = await storage.getSession(header);
    expect(sessionIdOf(await storage.commitSession(same), secret)).toBe(same.id);
    expect(dataStatements(fx.take())).toHaveLength(1);
  });

  test("bad cookies: a new session, no SQL; a gone session: a new one, never the supplied id", async () => {
    for (const header of [
      "connect.sid=abc",
      "connect.sid=s%3Aabc.def",
      signedCookie("abc", "another secret"),
      signedCookie("x".repeat(40), secret),
      "connect.sid=%%",
    ]) {
      expect((await storage.getSession(header)).id).toBe("");
    }
    expect(fx.take()).toEqual([]);

    const supplied = "Vd0pD1Y4rJ3hmXYoj9vGWnzAbCdEfGhI";
    const gone = await storage.getSession(signedCookie(supplied, secret));
    expect(dataStatements(fx.take())).toHaveLength(1);
    expect(gone.id).toBe(""); // createSessionStorage alone would keep the supplied id and update it
    gone.set("user", "mallory");
    const id = sessionIdOf(await storage.commitSession(gone), secret);
    expect(id).not.toBe(supplied);
    expect(await fx.row(supplied)).toBeUndefined();
  });

  test("destroySession deletes the row and removes the cookie", async () => {
    const created = await storage.getSession(null);
    created.set("user", "cy");
    const header = cookieHeader(await storage.commitSession(created));
    const loaded = await storage.getSession(header);
    expect(await storage.destroySession(loaded)).toMatch(
      /^connect\.sid=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(await fx.row(loaded.id)).toBeUndefined();
    expect((await storage.getSession(header)).id).toBe("");
  });

  test("rotateSession: same data under a new id once committed; the old id stops working", async () => {
    const created = await storage.getSession(null);
    created.set("user", "di");
    created.flash("message", "hello");
    const oldHeader = cookieHeader(await storage.commitSession(created));
    const login = await storage.getSession(oldHeader);
    const rotated = storage.rotateSession(login);
    expect(rotated.id).toBe("");
    expect((await storage.getSession(oldHeader)).get("user")).toBe("di"); // not committed yet: the old id works
    const newId = sessionIdOf(await storage.commitSession(rotated), secret);
    expect(newId).not.toBe(login.id);
    expect(await fx.row(login.id)).toBeUndefined();
    const loaded = await storage.getSession(signedCookie(newId, secret));
    expect(loaded.get("user")).toBe("di");
    expect(loaded.get("message")).toBe("hello");
  });

  test("lockSession: refreshed under the lock, written in its transaction, and the storage's copy stays consistent", async () => {
    const created = await storage.getSession(null);
    created.set("count", 0);
    const header = cookieHeader(await storage.commitSession(created));
    const [a, b] = await Promise.all([storage.getSession(header), storage.getSession(header)]);
    const hold = deferred();
    const first = storage.lockSession(a, async (s) => {
      s.set("count", s.get("count")! + 1);
      await hold.promise;
    });
    const second = storage.lockSession(b, (s) => s.set("count", s.get("count")! + 1));
    await new Promise((r) => setTimeout(r, 50));
    hold.resolve();
    await Promise.all([first, second]);
    expect([a.get("count"), b.get("count")].sort()).toEqual([1, 2]);
    fx.take();
    await Promise.all([storage.commitSession(a), storage.commitSession(b)]);
    expect(fx.take().filter((s) => /SET a_session/.test(s))).toEqual([]); // no stale copy written back
    expect((await storage.getSession(header)).get("count")).toBe(2);

    const c = await storage.getSession(header);
    c.set("count", 10);
    await expect(storage.lockSession(c, () => undefined)).rejects.toBeInstanceOf(UnsavedChangesError);
    const d = await storage.getSession(header);
    await expect(storage.lockSession(d, (s) => storage.commitSession(s))).rejects.toBeInstanceOf(SessionReentryError);
    await expect(
      storage.lockSession(d, (s) => {
        s.set("count", 99);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(d.get("count")).toBe(2);
    await storage.destroySession(await storage.getSession(header));
    await expect(storage.lockSession(d, () => undefined)).rejects.toBeInstanceOf(SessionNotFoundError);
  });

  test("options: secrets are required, maxAge is in seconds, unknown options are refused", () => {
    const base = { pgPool: fx.counting.pool, tableName: fx.table, pruneSessionInterval: false } as const;
    expect(() => createPgSessionStorage({ ...base, cookie: { secrets: [] } })).toThrow(/cookie\.secrets must be/);
    expect(() => createPgSessionStorage({ ...base, cookie: { secrets: [secret], maxAge: 86_400_000 } })).toThrow(/seconds/);
    expect(() => createPgSessionStorage({ ...base, cookie: { secrets: [secret] }, secret } as never)).toThrow(
      /does not use the option secret/,
    );
  });

  test("in an Edge runtime: the typed error naming the fix, before any SQL", async () => {
    const globals = globalThis as { EdgeRuntime?: string };
    globals.EdgeRuntime = "edge-runtime";
    try {
      await expect(storage.getSession(signedCookie("Vd0pD1Y4rJ3hmXYoj9vGWnzAbCdEfGhI", secret))).rejects.toThrow(UnsupportedRuntimeError);
      await expect(storage.getSession(null)).rejects.toThrow(/export const runtime = "nodejs"/);
      expect(fx.take()).toEqual([]);
    } finally {
      delete globals.EdgeRuntime;
    }
  });
});

describe("through React Router's request handler", () => {
  // A server build of resource routes (modules with a loader / action and no component), as React
  // Router's compiler emits them: the handler runs their loaders and actions on real Requests.
  function handlerFor(
    modules: Record<
      string,
      { loader?: (args: { request: Request }) => Promise<Response>; action?: (args: { request: Request }) => Promise<Response> }
    >,
  ) {
    const routes: ServerBuild["routes"] = { root: { id: "root", path: "", module: { default: () => null } as never } };
    for (const [path, module] of Object.entries(modules))
      routes[`routes/${path}`] = { id: `routes/${path}`, parentId: "root", path, module: module as never };
    const build = {
      entry: { module: { default: () => new Response("document") } },
      routes,
      assets: { entry: { imports: [], module: "" }, routes: {}, url: "", version: "1" },
      publicPath: "/",
      assetsBuildDirectory: "",
      future: {},
      ssr: true,
      isSpaMode: false,
      prerender: [],
      routeDiscovery: { mode: "lazy", manifestPath: "/__manifest" },
    } as unknown as ServerBuild;
    return createRequestHandler(build, "production");
  }

  // Both requests of a pair have read the session before either goes on.
  function gate(size: number) {
    let arrived = 0;
    const open = deferred();
    return async () => {
      if (++arrived === size) open.resolve();
      await open.promise;
    };
  }

  test("sessions across requests; concurrent locked increments all count, unlocked ones are lost", async () => {
    const unlockedGate = gate(2);
    const handler = handlerFor({
      login: {
        action: async ({ request }) => {
          const session = storage.rotateSession(await storage.getSession(request.headers.get("Cookie")));
          session.set("user", ((await request.formData()).get("user") as string) ?? "");
          session.set("count", 0);
          return new Response(null, { status: 204, headers: { "Set-Cookie": await storage.commitSession(session) } });
        },
      },
      me: {
        loader: async ({ request }) => {
          const session = await storage.getSession(request.headers.get("Cookie"));
          return Response.json({ user: session.get("user") ?? null, count: session.get("count") ?? null });
        },
      },
      count: {
        action: async ({ request }) => {
          const session = await storage.getSession(request.headers.get("Cookie"));
          await storage.lockSession(session, (s) => s.set("count", (s.get("count") ?? 0) + 1));
          return Response.json({ count: session.get("count") }, { headers: { "Set-Cookie": await storage.commitSession(session) } });
        },
      },
      "count-unlocked": {
        action: async ({ request }) => {
          const session = await storage.getSession(request.headers.get("Cookie"));
          await unlockedGate();
          session.set("count", (session.get("count") ?? 0) + 1);
          return Response.json({ count: session.get("count") }, { headers: { "Set-Cookie": await storage.commitSession(session) } });
        },
      },
    });

    const login = await handler(new Request("http://app.test/login", { method: "POST", body: new URLSearchParams({ user: "ann" }) }));
    expect(login.status).toBe(204);
    const cookie = cookieHeader(login.headers.get("Set-Cookie")!);
    const post = (path: string) => handler(new Request(`http://app.test/${path}`, { method: "POST", headers: { cookie } }));

    await Promise.all([post("count-unlocked"), post("count-unlocked")]);
    expect(await (await handler(new Request("http://app.test/me", { headers: { cookie } }))).json()).toEqual({ user: "ann", count: 1 });

    const counts = await Promise.all(
      Array.from({ length: 10 }, async () => ((await (await post("count")).json()) as { count: number }).count),
    );
    expect(counts.sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(await (await handler(new Request("http://app.test/me", { headers: { cookie } }))).json()).toEqual({ user: "ann", count: 11 });
  });
});

test("shared with an express-session app: one browser, one session", async () => {
  const store = new PgSessionStore({ pgPool: fx.counting.pool, tableName: fx.table, pruneSessionInterval: false });
  const app = express();
  app.use(session({ store, secret, resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  app.post("/login", (req, res) => {
    (req.session as unknown as Record<string, unknown>)["user"] = "eve";
    res.json({ ok: true });
  });
  app.get("/me", (req, res) => res.json({ id: req.sessionID, ...(req.session as unknown as Record<string, unknown>) }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  try {
    const browser = new CookieClient(baseUrl(server));
    await browser.request("POST", "/login");
    const header = `connect.sid=${browser.cookies.get("connect.sid")}`;
    const rr = await storage.getSession(header);
    expect(rr.get("user")).toBe("eve");
    expect(rr.has("cookie" as never)).toBe(false);
    rr.set("count", 5);
    await storage.commitSession(rr);
    expect((await browser.request("GET", "/me")).body).toMatchObject({ id: rr.id, user: "eve", count: 5 });
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  }
});
