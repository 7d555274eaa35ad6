// The Next.js helpers (prisma-pg-session/next) against a real PostgreSQL, with `cookies()` from
// next/headers standing in for a request: Next.js' own RequestCookies / ResponseCookies (the classes its
// `cookies()` is made of), the request's cookies read through the response's as in a Server Action or
// Route Handler. The built app (test/examples/next.test.ts) runs the same helpers in a real `next start`.
import { AsyncLocalStorage } from "node:async_hooks";
import { jest } from "@jest/globals";
import { RequestCookies, ResponseCookies } from "next/dist/compiled/@edge-runtime/cookies/index.js";
import type { WebSessions as WebSessionsType, SessionCookieOptions } from "../../../src/adapters/next/index.ts";
import { cookieHeader, dataStatements, sessionIdOf, signedCookie, webFixture, type WebFixture } from "../web/fixture.ts";

/** One request as Next.js' `cookies()` sees it in a Server Action or Route Handler. */
interface FakeRequest {
  /** The request's headers, as Next.js' `headers()` gives them. */
  headers: Headers;
  store: { get(name: string): { value: string } | undefined; set(...args: unknown[]): unknown };
  /** The Set-Cookie headers of the response so far. */
  setCookies(): string[];
  /** Runs `fn` as (part of) this request: its `cookies()` calls get this request's cookies. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  calls: number;
}

// The request scope, as Next.js keeps it (in an AsyncLocalStorage): concurrent requests each see their own.
const scope = new AsyncLocalStorage<FakeRequest>();

function request(cookie?: string): FakeRequest {
  const headers = new Headers(cookie === undefined ? {} : { cookie });
  const incoming = new RequestCookies(headers);
  const responseHeaders = new Headers();
  const outgoing = new ResponseCookies(responseHeaders);
  const fake: FakeRequest = {
    headers,
    // What the request set is what its later reads see (Next.js' MutableRequestCookiesAdapter).
    store: {
      get: (name) => outgoing.get(name) ?? incoming.get(name),
      set: (...args) => outgoing.set(...(args as Parameters<ResponseCookies["set"]>)),
    },
    setCookies: () => responseHeaders.getSetCookie(),
    run: (fn) => scope.run(fake, fn),
    calls: 0,
  };
  return fake;
}

jest.unstable_mockModule("next/headers.js", () => ({
  cookies: async () => {
    const current = scope.getStore();
    if (current === undefined) throw new Error("`cookies` was called outside a request scope");
    current.calls += 1;
    return current.store;
  },
  headers: async () => {
    const current = scope.getStore();
    if (current === undefined) throw new Error("`headers` was called outside a request scope");
    return current.headers;
  },
}));

const { createNextSessions, WebSessions, UnsupportedRuntimeError } = await import("../../../src/adapters/next/index.ts");
const { parseSetCookie } = await import("../../../src/adapters/next/set-cookie.ts");

interface Data {
  user?: string;
  count?: number;
}

const secret = "next secret";
let fx: WebFixture;
const opened: WebSessionsType<any>[] = [];

beforeAll(async () => {
  fx = await webFixture("next");
});
afterAll(async () => {
  for (const sessions of opened) await sessions.close();
  await fx?.close();
});
beforeEach(() => fx.take());

function webSessions(cookie: SessionCookieOptions = { maxAge: 3600 }): WebSessionsType<Data> {
  const sessions = new WebSessions<Data>({
    pgPool: fx.counting.pool,
    tableName: fx.table,
    secret,
    pruneSessionInterval: false,
    cookie,
    timeout: 20_000,
    maxWait: 20_000,
  });
  opened.push(sessions);
  return sessions;
}

/** The one Set-Cookie of the response. */
function onlySetCookie(req: FakeRequest): string {
  const all = req.setCookies();
  expect(all).toHaveLength(1);
  return all[0]!;
}

describe("get, save, lock, destroy through cookies()", () => {
  /** A request that logs `user` in (and sets `data`); its cookie, for the next requests. */
  async function login(next: ReturnType<typeof createNextSessions<Data>>, data: Data): Promise<{ cookie: string; id: string }> {
    const req = request();
    const id = await req.run(async () => {
      const session = await next.get();
      session.rotate();
      Object.assign(session.data, data);
      await next.save(session);
      return session.id;
    });
    const setCookie = onlySetCookie(req);
    expect(sessionIdOf(setCookie, secret)).toBe(id);
    return { cookie: cookieHeader(setCookie), id };
  }

  test("a login in one request, the session in the next; nothing stored nor set for an empty one", async () => {
    const next = createNextSessions<Data>(webSessions());
    const first = request();
    await first.run(async () => {
      const empty = await next.get();
      expect(empty.isNew).toBe(true);
      await next.save(empty);
    });
    expect(first.setCookies()).toEqual([]);
    expect(fx.take()).toEqual([]); // no cookie: no SQL

    const req = request();
    const id = await req.run(async () => {
      const session = await next.get();
      session.rotate();
      session.data.user = "ann";
      await next.save(session);
      // Read again in the same request (a Server Action, then the page it renders again): the new session.
      expect((await next.get()).data).toEqual({ user: "ann" });
      return session.id;
    });
    const setCookie = onlySetCookie(req);
    expect(sessionIdOf(setCookie, secret)).toBe(id);
    // Next.js' serializer, express-session's value: `s:` + id + signature, URL-encoded.
    expect(setCookie).toMatch(
      /^connect\.sid=s%3A[A-Za-z0-9_-]{32}\.[A-Za-z0-9%]+; Path=\/; Expires=[^;]+ GMT; Max-Age=3600; HttpOnly; SameSite=lax$/,
    );

    fx.take();
    const again = await request(cookieHeader(setCookie)).run(() => next.get());
    expect(again.isNew).toBe(false);
    expect(again.id).toBe(id);
    expect(again.data).toEqual({ user: "ann" });
    expect(dataStatements(fx.take())).toHaveLength(1); // one SELECT
  });

  test("of duplicate cookies the first is the session, as on every entry (a planted second cookie is ignored)", async () => {
    const next = createNextSessions<Data>(webSessions());
    const ann = await login(next, { user: "ann" });
    const mallory = await login(next, { user: "mallory" });
    const planted = mallory.cookie.replace(/^connect\.sid=/, "");
    const both = `${ann.cookie}; other=1; connect.sid=${planted}`;
    expect((await request(both).run(() => next.get())).data).toEqual({ user: "ann" });
    // The other order: the first (mallory's here) wins too, whatever Next.js' cookies() keeps.
    expect((await request(`${mallory.cookie}; ${ann.cookie}`).run(() => next.get())).data).toEqual({ user: "mallory" });
  });

  test("lock: concurrent increments of one session all count; the result is fn's; each response sets the cookie", async () => {
    const next = createNextSessions<Data>(webSessions());
    const { cookie, id } = await login(next, { count: 0 });
    const requests = Array.from({ length: 10 }, () => request(cookie));
    const counts = await Promise.all(requests.map((req) => req.run(() => next.lock((s) => (s.data.count = (s.data.count ?? 0) + 1)))));
    expect([...counts].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const req of requests) expect(sessionIdOf(onlySetCookie(req), secret)).toBe(id);
    expect((await request(cookie).run(() => next.get())).data.count).toBe(10);
  });

  test("lock: when fn throws, nothing is written and no cookie is set", async () => {
    const next = createNextSessions<Data>(webSessions());
    const { cookie } = await login(next, { count: 5 });
    const failing = request(cookie);
    await expect(
      failing.run(() =>
        next.lock((s) => {
          s.data.count = 6;
          throw new Error("no");
        }),
      ),
    ).rejects.toThrow("no");
    expect(failing.setCookies()).toEqual([]);
    expect((await request(cookie).run(() => next.get())).data.count).toBe(5);
  });

  test("destroy: the row is deleted and the cookie removed with the cookie's own attributes", async () => {
    const next = createNextSessions<Data>(webSessions({ maxAge: 3600, domain: "app.test", path: "/app" }));
    const { cookie, id } = await login(next, { user: "bob" });
    expect(await fx.row(id)).toBeDefined();

    const logout = request(cookie);
    await logout.run(async () => {
      await next.destroy();
      expect((await next.get()).isNew).toBe(true); // the rest of the request sees the cookie gone
    });
    expect(onlySetCookie(logout)).toBe(
      "connect.sid=; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Domain=app.test; HttpOnly; SameSite=lax",
    );
    expect(await fx.row(id)).toBeUndefined();
    expect((await request(cookie).run(() => next.get())).isNew).toBe(true);
  });

  test("a bad cookie (unsigned, another secret's, malformed) gives a new session without SQL, and sets none", async () => {
    const next = createNextSessions<Data>(webSessions());
    const { id } = await login(next, { user: "eve's target" });
    fx.take();
    for (const bad of [
      `connect.sid=${encodeURIComponent(`s:${id}`)}`,
      signedCookie(id, "another secret"),
      `connect.sid=${id}`,
      "connect.sid=%E0%A4%A",
      "connect.sid=",
    ]) {
      const req = request(bad);
      await req.run(async () => {
        const fresh = await next.get();
        expect(fresh.isNew).toBe(true);
        expect(fresh.id).not.toBe(id);
        expect(fresh.data).toEqual({});
        await next.save(fresh);
      });
      expect(req.setCookies()).toEqual([]);
    }
    expect(fx.take()).toEqual([]);
    expect(await fx.row(id)).toBeDefined();
  });

  test("save outside a request: cookies() throws before anything is written", async () => {
    const next = createNextSessions<Data>(webSessions());
    const session = await request().run(() => next.get());
    session.data.user = "nobody";
    await expect(next.save(session)).rejects.toThrow("outside a request scope");
    expect(fx.take()).toEqual([]);
  });
});

describe("the Set-Cookie Next.js sends is the web core's", () => {
  const configs: SessionCookieOptions[] = [
    {},
    { maxAge: 86_400 },
    { maxAge: 600, secure: true, sameSite: "strict", domain: "example.com", path: "/shop", priority: "high" },
    { maxAge: 600, secure: true, sameSite: "none", partitioned: true, priority: "low", httpOnly: false },
    { expires: new Date("2031-05-06T07:08:09Z"), sameSite: false },
  ];

  /** Name, value and attributes of a Set-Cookie, case and order aside; Expires to the second. */
  function normalized(setCookie: string) {
    const [pair, ...attributes] = setCookie.split("; ");
    return {
      pair,
      attributes: attributes
        .map((a) => {
          const [key, value] = a.split("=");
          if (key!.toLowerCase() === "expires") return `expires=${Math.round(new Date(value!).getTime() / 1000)}`;
          return value === undefined ? key!.toLowerCase() : `${key!.toLowerCase()}=${value.toLowerCase()}`;
        })
        .sort(),
    };
  }

  test.each(configs.map((cookie) => [JSON.stringify(cookie), cookie] as const))("cookie %s", async (_, cookie) => {
    const sessions = webSessions(cookie);
    for (const clear of [false, true]) {
      const session = await sessions.load(undefined);
      session.data.user = "ann";
      let core = (await sessions.commit(session))!;
      if (clear) core = await sessions.destroy(session);
      const headers = new Headers();
      const { name, value, options } = parseSetCookie(core);
      new ResponseCookies(headers).set(name, value, options);
      const [sent] = headers.getSetCookie();
      const a = normalized(core);
      const b = normalized(sent!);
      expect(b.pair).toBe(a.pair);
      // Next.js recomputes Expires from Max-Age at set(): allow the second that may tick meanwhile.
      const withoutExpires = (list: string[]) => list.filter((x) => !x.startsWith("expires="));
      expect(withoutExpires(b.attributes)).toEqual(withoutExpires(a.attributes));
      const expires = (list: string[]) => list.find((x) => x.startsWith("expires="))?.slice(8);
      if (expires(a.attributes) === undefined)
        expect(expires(b.attributes)).toBeUndefined(); // a browser-session cookie
      else expect(Math.abs(Number(expires(b.attributes)) - Number(expires(a.attributes)))).toBeLessThanOrEqual(1);
    }
  });

  test("an attribute the core does not write is refused, not dropped", () => {
    expect(() => parseSetCookie("connect.sid=x; Path=/; SameParty")).toThrow("Unexpected attribute in the session's Set-Cookie: sameparty");
    expect(() => parseSetCookie("; Path=/")).toThrow("no name=value pair");
    expect(() => parseSetCookie("connect.sid=secret-value; SameSite=sideways")).toThrow("SameSite");
    expect(() => parseSetCookie("connect.sid=secret-value; Max-Age=soon")).not.toThrow(/secret-value/);
  });
});

describe("options", () => {
  test("a function is called at the first use only, once; close() closes what it made", async () => {
    let calls = 0;
    const next = createNextSessions<Data>(() => {
      calls += 1;
      return { pgPool: fx.counting.pool, tableName: fx.table, secret, pruneSessionInterval: false };
    });
    expect(calls).toBe(0);
    await request().run(async () => {
      await next.get();
      await next.get();
    });
    expect(calls).toBe(1);
    expect(next.sessions).toBeInstanceOf(WebSessions);
    await next.close();
    expect(() => next.sessions.store.readRow("x".repeat(32))).toThrow("The session store is closed");
  });

  test("a given WebSessions is used as it is and left open", async () => {
    const sessions = webSessions();
    const next = createNextSessions(sessions);
    expect(next.sessions).toBe(sessions);
    await next.close();
    expect((await request().run(() => next.get())).isNew).toBe(true);
  });

  test("options are checked at once; a function's result at the first use", async () => {
    expect(() => createNextSessions({ secret: "" } as never)).toThrow(TypeError);
    expect(() => createNextSessions(null as never)).toThrow("createNextSessions takes");
    const lazy = createNextSessions(() => 42 as never);
    await expect(request().run(() => lazy.get())).rejects.toThrow("must return a WebSessions or its options");
  });
});

test('in the Edge runtime every helper throws UnsupportedRuntimeError naming `export const runtime = "nodejs"`, before cookies() or the database', async () => {
  let made = 0;
  const next = createNextSessions<Data>(() => {
    made += 1;
    return { pgPool: fx.counting.pool, tableName: fx.table, secret, pruneSessionInterval: false };
  });
  const session = await request().run(() => next.get());
  const req = request();
  fx.take();
  const globals = globalThis as { EdgeRuntime?: string };
  globals.EdgeRuntime = "edge-runtime";
  try {
    const attempts: [string, () => Promise<unknown>][] = [
      ["get", () => next.get()],
      ["save", () => next.save(session)],
      ["lock", () => next.lock(() => 1)],
      ["destroy", () => next.destroy()],
      ["destroy(session)", () => next.destroy(session)],
    ];
    for (const [, attempt] of attempts) {
      const error = await req.run(attempt).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnsupportedRuntimeError);
      expect((error as Error).message).toContain('export const runtime = "nodejs"');
      expect((error as InstanceType<typeof UnsupportedRuntimeError>).runtime).toBe("edge-runtime");
    }
  } finally {
    delete globals.EdgeRuntime;
  }
  expect(req.calls).toBe(0);
  expect(made).toBe(1);
  expect(fx.take()).toEqual([]);
});
