// The framework-neutral web core (prisma-pg-session/web) on Web-standard Request / Headers, against a
// real PostgreSQL, with every statement counted at the driver.
import { createHash } from "node:crypto";
import { inspect } from "node:util";
import { SessionReentryError } from "../../../src/index.ts";
import { UnsavedChangesError, UnsupportedRuntimeError, WebSessions, type WebSessionsOptions } from "../../../src/adapters/web/index.ts";
import { deferred } from "../../support/database.ts";
import { cookieHeader, dataStatements, sessionIdOf, signedCookie, webFixture, type WebFixture } from "./fixture.ts";

interface Data {
  user?: string;
  count?: number;
  at?: Date;
  cart?: { items: string[] };
  flash?: string;
}

const secret = "web core secret, long and random in production";
let fx: WebFixture;
const opened: WebSessions<Data>[] = [];

beforeAll(async () => {
  fx = await webFixture("web");
});
afterAll(async () => {
  for (const sessions of opened) await sessions.close();
  await fx?.close();
});
beforeEach(() => fx.take());

function sessionsWith(options: Partial<WebSessionsOptions> = {}): WebSessions<Data> {
  const sessions = new WebSessions<Data>({
    pgPool: fx.counting.pool,
    tableName: fx.table,
    secret,
    pruneSessionInterval: false,
    cookie: { maxAge: 3600 },
    ...options,
  });
  opened.push(sessions);
  return sessions;
}

const request = (cookie?: string) => new Request("http://app.test/", { headers: cookie === undefined ? {} : { cookie } });

describe("load and commit", () => {
  test("a new session is stored once something is put in it, under express-session's signed cookie", async () => {
    const sessions = sessionsWith();
    const empty = await sessions.load(request());
    expect(empty.isNew).toBe(true);
    expect(await sessions.commit(empty)).toBeUndefined(); // nothing put in it: no row, no cookie
    expect(fx.take()).toEqual([]); // no cookie: no SQL at all

    const session = await sessions.load(request());
    session.data.user = "ann";
    session.data.at = new Date("2026-11-25T09:30:00Z");
    const setCookie = await sessions.commit(session);
    const id = sessionIdOf(setCookie, secret);
    expect(id).toBe(session.id);
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/); // express-session's uid-safe shape: 24 random bytes, base64url
    expect(setCookie).toMatch(/; Max-Age=3600; Path=\/; Expires=[^;]+ GMT; HttpOnly; SameSite=Lax$/);

    const row = await fx.row(id);
    const stored = JSON.parse(row!.a_session);
    // PgSessionStore's format: express's cookie field first, the expiry in expires_at.
    expect(Object.keys(stored.json)[0]).toBe("cookie");
    expect(stored.json.cookie).toEqual({ originalMaxAge: 3_600_000, secure: false, httpOnly: true, path: "/", sameSite: "lax" });
    expect(stored.json.user).toBe("ann");
    expect(Math.abs(row!.expires_at!.getTime() - (Date.now() + 3_600_000))).toBeLessThan(10_000);

    fx.take();
    const again = await sessions.load(request(cookieHeader(setCookie)));
    expect(again.isNew).toBe(false);
    expect(again.id).toBe(id);
    expect(again.data).toEqual({ user: "ann", at: new Date("2026-11-25T09:30:00Z") });
    expect(again.data.at).toBeInstanceOf(Date);
    // Unchanged within touchAfter: the request cost one SELECT, and the cookie is sent again.
    expect(sessionIdOf(await sessions.commit(again), secret)).toBe(id);
    expect(dataStatements(fx.take())).toHaveLength(1);
  });

  test("writes only what changed: nothing, the expiry, or the row", async () => {
    let now = Date.now();
    const sessions = sessionsWith({ now: () => now, touchAfter: 60 });
    const session = await sessions.load(request());
    session.data.cart = { items: [] };
    const setCookie = await sessions.commit(session);
    fx.take();

    const nested = await sessions.load(request(cookieHeader(setCookie)));
    nested.data.cart!.items.push("A1"); // a nested change counts
    await sessions.commit(nested);
    const [read, update] = dataStatements(fx.take());
    expect(read).toMatch(/^SELECT/);
    expect(update).toMatch(/^UPDATE .* SET a_session/);
    expect(JSON.parse((await fx.row(nested.id))!.a_session).json.cart).toEqual({ items: ["A1"] });

    now += 120_000; // past touchAfter: the expiry alone is written
    fx.take();
    const later = await sessions.load(request(cookieHeader(setCookie)));
    await sessions.commit(later);
    const statements = dataStatements(fx.take());
    expect(statements).toHaveLength(2);
    expect(statements[1]).toMatch(/^UPDATE .* SET expires_at/);
  });

  test("accepts a Request, its Headers, the header's text, or nothing", async () => {
    const sessions = sessionsWith();
    const session = await sessions.load(null);
    session.data.user = "bob";
    const header = cookieHeader(await sessions.commit(session));
    for (const source of [
      request(header),
      new Headers({ cookie: header }),
      header,
      { headers: new Headers({ cookie: `other=1; ${header}` }) },
    ]) {
      expect((await sessions.load(source)).data.user).toBe("bob");
    }
  });

  test("the key `cookie` is express-session's: refused in the app's data", async () => {
    const sessions = sessionsWith();
    const session = await sessions.load(request());
    (session.data as Record<string, unknown>)["cookie"] = "mine";
    await expect(sessions.commit(session)).rejects.toThrow(/`cookie` is reserved/);
  });
});

describe("bad input gives a fresh session, never an error, and no lookup of a chosen id", () => {
  const victim = "Vd0pD1Y4rJ3hmXYoj9vGWnzAbCdEfGhI"; // a well-formed id an attacker would like to ride or fix

  test.each([
    ["no cookie header", undefined],
    ["an empty header", ""],
    ["another cookie only", "theme=dark"],
    ["malformed header", "connect.sid"],
    ["malformed value", "connect.sid=%E0%A4%A"],
    ["an unsigned id", `connect.sid=${victim}`],
    ["a signed-looking value without signature", `connect.sid=s%3A${victim}`],
    ["a wrong signature", `connect.sid=s%3A${victim}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`],
    ["signed with an unknown secret", signedCookie(victim, "not our secret")],
    ["signed, but an id longer than the id column", signedCookie("a".repeat(33), secret)],
    ["signed, but an id with a space", signedCookie("abc def", secret)],
    ["signed, but a non-ASCII id", signedCookie("séance", secret)],
    ["signed, but empty", signedCookie("", secret)],
    ["a huge header", `connect.sid=${"x".repeat(70_000)}`],
  ])("%s: no SQL, a new id", async (_case, header) => {
    const sessions = sessionsWith();
    fx.take();
    const session = await sessions.load(header === undefined ? request() : request(header));
    expect(fx.take()).toEqual([]);
    expect(session.isNew).toBe(true);
    expect(session.id).not.toBe(victim);
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(session.data).toEqual({});
  });

  test("a cookie for a session that is gone (or expired) gives a new session with a new id", async () => {
    let now = Date.now();
    const sessions = sessionsWith({ now: () => now });
    fx.take();
    const gone = await sessions.load(request(signedCookie(victim, secret)));
    expect(dataStatements(fx.take())).toHaveLength(1); // one lookup of an id we signed
    expect(gone.isNew).toBe(true);
    expect(gone.id).not.toBe(victim);
    gone.data.user = "mallory";
    expect(sessionIdOf(await sessions.commit(gone), secret)).toBe(gone.id);
    expect(await fx.row(victim)).toBeUndefined(); // never stored under the supplied id

    const live = await sessions.load(request());
    live.data.user = "ann";
    const header = cookieHeader(await sessions.commit(live));
    now += 3_600_001; // past maxAge
    const expired = await sessions.load(request(header));
    expect(expired.isNew).toBe(true);
    expect(expired.id).not.toBe(live.id);
    expect(expired.data).toEqual({});
  });
});

describe("cookie options and secrets", () => {
  test("secret rotation: an old secret still verifies, the first one signs", async () => {
    const before = sessionsWith({ secret: "old secret" });
    const session = await before.load(request());
    session.data.user = "ann";
    const header = cookieHeader(await before.commit(session));

    const after = sessionsWith({ secret: ["new secret", "old secret"] });
    const loaded = await after.load(request(header));
    expect(loaded.data.user).toBe("ann");
    expect(sessionIdOf(await after.commit(loaded), "new secret")).toBe(session.id);
    expect((await sessionsWith({ secret: "new secret" }).load(request(header))).isNew).toBe(true);
  });

  test("attributes as set; a browser-session cookie is kept server-side for ttl", async () => {
    const sessions = sessionsWith({
      name: "sid",
      ttl: 600,
      cookie: { secure: true, sameSite: "strict", path: "/app", domain: "app.test", httpOnly: false },
    });
    const session = await sessions.load(request());
    session.data.user = "ann";
    const setCookie = await sessions.commit(session);
    expect(setCookie).toMatch(/^sid=s%3A[^;]+; Domain=app\.test; Path=\/app; Secure; SameSite=Strict$/);
    const row = await fx.row(sessionIdOf(setCookie, secret, "sid"));
    expect(Math.abs(row!.expires_at!.getTime() - (Date.now() + 600_000))).toBeLessThan(10_000);
    expect(JSON.parse(row!.a_session).json.cookie).toEqual({
      originalMaxAge: null,
      expires: null,
      secure: true,
      httpOnly: false,
      domain: "app.test",
      path: "/app",
      sameSite: "strict",
    });
  });

  test("saveUninitialized stores a new empty session; a destroyed one still removes the cookie", async () => {
    const sessions = sessionsWith({ saveUninitialized: true });
    const session = await sessions.load(request());
    const setCookie = await sessions.commit(session);
    expect(await fx.row(sessionIdOf(setCookie, secret))).toBeDefined();
    const loaded = await sessions.load(request(cookieHeader(setCookie)));
    expect(await sessions.destroy(loaded)).toMatch(/^connect\.sid=;/);
    expect(await fx.row(session.id)).toBeUndefined();
  });

  test("the secrets never show in the object (logs)", () => {
    const sessions = sessionsWith({ secret: ["first secret", "second secret"] });
    const printed = inspect(sessions, { depth: 10, getters: true }) + JSON.stringify(sessions.cookie);
    expect(printed).not.toContain('secret"');
    expect(printed).not.toMatch(/first secret|second secret/);
    expect(sessions.cookie).toMatchObject({ name: "connect.sid", maxAge: 3600, httpOnly: true, sameSite: "lax", path: "/" });
  });

  test("options are checked, naming the mistake", () => {
    const base = { pgPool: fx.counting.pool, tableName: fx.table, secret, pruneSessionInterval: false } as const;
    expect(() => new WebSessions({ ...base, cookie: { maxAge: 86_400_000 } })).toThrow(/seconds.*Milliseconds.*86400/s);
    expect(() => new WebSessions({ ...base, cookie: { sameSite: "none" } })).toThrow(/secure: true/);
    expect(() => new WebSessions({ ...base, cookie: { maxAge: 60, expires: new Date() } })).toThrow(/not both/);
    expect(() => new WebSessions({ ...base, secret: [] })).toThrow(/secret must be/);
    expect(() => new WebSessions({ ...base, rolling: true } as unknown as WebSessionsOptions)).toThrow(/does not use the option rolling/);
    expect(() => new WebSessions({ ...base, name: "bad name;" })).toThrow(TypeError);
  });
});

describe("rotate and destroy", () => {
  test("rotate: a new id with the same data; the old id stops working", async () => {
    const sessions = sessionsWith();
    const session = await sessions.load(request());
    session.data.user = "ann";
    const oldHeader = cookieHeader(await sessions.commit(session));
    const oldId = session.id;

    const login = await sessions.load(request(oldHeader));
    login.rotate();
    login.data.flash = "welcome";
    const newId = sessionIdOf(await sessions.commit(login), secret);
    expect(newId).not.toBe(oldId);
    expect(await fx.row(oldId)).toBeUndefined();
    expect((await sessions.load(request(oldHeader))).isNew).toBe(true);
    expect((await sessions.load(request(signedCookie(newId, secret)))).data).toEqual({ user: "ann", flash: "welcome" });
  });

  test("destroy: the row goes and the cookie is removed; data put in afterwards starts a new session", async () => {
    const sessions = sessionsWith();
    const session = await sessions.load(request());
    session.data.user = "ann";
    const header = cookieHeader(await sessions.commit(session));

    const logout = await sessions.load(request(header));
    const clearing = await sessions.destroy(logout);
    expect(clearing).toMatch(/^connect\.sid=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/);
    expect(await fx.row(session.id)).toBeUndefined();

    const again = await sessions.load(request(header));
    again.destroy();
    again.data.flash = "bye";
    const fresh = sessionIdOf(await sessions.commit(again), secret);
    expect(fresh).not.toBe(session.id);
    expect((await sessions.load(request(signedCookie(fresh, secret)))).data).toEqual({ flash: "bye" });
  });

  test("a session destroyed elsewhere while a request ran stays gone", async () => {
    const sessions = sessionsWith();
    const session = await sessions.load(request());
    session.data.count = 1;
    const header = cookieHeader(await sessions.commit(session));
    const late = await sessions.load(request(header));
    await sessions.destroy(await sessions.load(request(header))); // a logout in another tab
    late.data.count = 2;
    expect(await sessions.commit(late)).toMatch(/^connect\.sid=;/);
    expect(await fx.row(session.id)).toBeUndefined();
  });
});

describe("the locked unit of work", () => {
  async function counterSession(sessions: WebSessions<Data>): Promise<string> {
    const session = await sessions.load(request());
    session.data.count = 0;
    return cookieHeader(await sessions.commit(session));
  }

  test("two concurrent increments end at 2 (and without the lock at 1: the test can fail)", async () => {
    const sessions = sessionsWith();

    // Both requests read the session before either writes: the lost update, without the lock.
    const unlocked = await counterSession(sessions);
    const [a, b] = await Promise.all([sessions.load(request(unlocked)), sessions.load(request(unlocked))]);
    a.data.count! += 1;
    b.data.count! += 1;
    await Promise.all([sessions.commit(a), sessions.commit(b)]);
    expect((await sessions.load(request(unlocked))).data.count).toBe(1);

    // The same two requests, their increments in lock(): the second waits for the first's row lock.
    const header = await counterSession(sessions);
    const [c, d] = await Promise.all([sessions.load(request(header)), sessions.load(request(header))]);
    const inside = deferred();
    const first = c.lock(async (session) => {
      session.data.count! += 1;
      await inside.promise; // hold the lock while the other request asks for it
    });
    const second = d.lock(async (session) => {
      session.data.count! += 1;
    });
    await new Promise((r) => setTimeout(r, 50));
    inside.resolve();
    await Promise.all([first, second]);
    // The framework's copies hold what was committed, so the commits after the units write no data back.
    expect([c.data.count, d.data.count].sort()).toEqual([1, 2]);
    fx.take();
    await Promise.all([sessions.commit(c), sessions.commit(d)]);
    expect(fx.take().filter((s) => /SET a_session/.test(s))).toEqual([]);
    expect((await sessions.load(request(header))).data.count).toBe(2);
  });

  test("100 concurrent locked increments end at 100", async () => {
    const sessions = sessionsWith({ timeout: 20_000, maxWait: 20_000 });
    const header = await counterSession(sessions);
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        const session = await sessions.load(request(header));
        await session.lock((s) => {
          s.data.count! += 1;
        });
        await sessions.commit(session);
      }),
    );
    expect((await sessions.load(request(header))).data.count).toBe(100);
  });

  test("one transaction: BEGIN, SELECT ... FOR UPDATE, UPDATE, COMMIT", async () => {
    const sessions = sessionsWith();
    const header = await counterSession(sessions);
    const session = await sessions.load(request(header));
    fx.take();
    expect(await session.lock((s) => (s.data.count = 41 + 1))).toBe(42);
    const statements = fx.take();
    expect(statements[0]).toMatch(/^BEGIN/);
    expect(statements[1]).toMatch(/FOR UPDATE$/);
    expect(statements[2]).toMatch(/^UPDATE .* SET a_session/);
    expect(statements[3]).toMatch(/^COMMIT/);
    expect(statements).toHaveLength(4);
  });

  test("if fn throws, nothing is written and the session holds the stored state", async () => {
    const sessions = sessionsWith();
    const header = await counterSession(sessions);
    const session = await sessions.load(request(header));
    const id = session.id;
    await expect(
      session.lock((s) => {
        s.data.count = 99;
        s.rotate();
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(session.data.count).toBe(0);
    expect(session.id).toBe(id);
    expect((await sessions.load(request(header))).data.count).toBe(0);
  });

  test("rotate and destroy inside the unit are carried out in its transaction", async () => {
    const sessions = sessionsWith();
    const header = await counterSession(sessions);
    const session = await sessions.load(request(header));
    const oldId = session.id;
    await session.lock((s) => {
      s.data.user = "ann";
      s.rotate();
    });
    expect(await fx.row(oldId)).toBeUndefined();
    expect(JSON.parse((await fx.row(session.id))!.a_session).json.user).toBe("ann");
    expect(sessionIdOf(await sessions.commit(session), secret)).toBe(session.id);

    const rotatedId = session.id;
    await session.lock((s) => s.destroy());
    expect(await fx.row(rotatedId)).toBeUndefined();
    expect(await sessions.commit(session)).toMatch(/^connect\.sid=;/);
  });

  test("changes made before lock() are refused, not silently dropped; no commit or lock inside a lock", async () => {
    const sessions = sessionsWith();
    const header = await counterSession(sessions);
    const session = await sessions.load(request(header));
    session.data.count = 5;
    await expect(session.lock(() => undefined)).rejects.toBeInstanceOf(UnsavedChangesError);
    await sessions.commit(session);
    await expect(session.lock(() => sessions.commit(session))).rejects.toBeInstanceOf(SessionReentryError);
    await expect(session.lock(() => session.lock(() => undefined))).rejects.toBeInstanceOf(SessionReentryError);
    expect((await sessions.load(request(header))).data.count).toBe(5);
  });

  test("a new session has nothing to lock: fn runs on it and commit stores it", async () => {
    const sessions = sessionsWith();
    const session = await sessions.load(request());
    fx.take();
    await session.lock((s) => (s.data.count = 1));
    expect(fx.take()).toEqual([]);
    const setCookie = await sessions.commit(session);
    expect((await sessions.load(request(cookieHeader(setCookie)))).data.count).toBe(1);
  });

  test("a session gone before the lock becomes a new one", async () => {
    const sessions = sessionsWith();
    const header = await counterSession(sessions);
    const session = await sessions.load(request(header));
    const oldId = session.id;
    await sessions.destroy(await sessions.load(request(header)));
    await session.lock((s) => (s.data.count = 7));
    expect(session.id).not.toBe(oldId);
    expect(session.isNew).toBe(true);
    const setCookie = await sessions.commit(session);
    expect(sessionIdOf(setCookie, secret)).toBe(session.id);
    expect(await fx.row(oldId)).toBeUndefined();
  });
});

test("hashIds: the table holds the hash of the id, not the id", async () => {
  const sessions = sessionsWith({ hashIds: true });
  const session = await sessions.load(request());
  session.data.user = "ann";
  const header = cookieHeader(await sessions.commit(session));
  expect(await fx.row(session.id)).toBeUndefined();
  expect(await fx.row(createHash("sha256").update(session.id).digest().subarray(0, 24).toString("base64url"))).toBeDefined();
  expect((await sessions.load(request(header))).data.user).toBe("ann");
  const loaded = await sessions.load(request(header));
  await loaded.lock((s) => (s.data.count = 3));
  expect((await sessions.load(request(header))).data.count).toBe(3);
});

test("in an Edge runtime: a typed error naming the fix at first use, before any SQL", async () => {
  const sessions = sessionsWith();
  const globals = globalThis as { EdgeRuntime?: string };
  globals.EdgeRuntime = "edge-runtime";
  try {
    fx.take();
    const error = await sessions.load(request(signedCookie("Vd0pD1Y4rJ3hmXYoj9vGWnzAbCdEfGhI", secret))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedRuntimeError);
    expect((error as Error).message).toContain('export const runtime = "nodejs"');
    expect(fx.take()).toEqual([]);
  } finally {
    delete globals.EdgeRuntime;
  }
});
