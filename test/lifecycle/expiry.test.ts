// SessionManager's `ttl`: a sliding idle lifetime (a number, or a function of the data: "remember me"),
// set by create and every open (an unchanged one writes the expiry alone, past `touchAfter`), checked by
// every read; `read` is a peek and does not extend. Unset, rows never expire and an unchanged open
// writes nothing (Apache::Session's behaviour).
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { SessionManager, SessionNotFoundError, type SessionData } from "../../src/index.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest({ table: "expiry" });
});
afterAll(() => destroyTest(ctx));

const day = 86_400;
const hour = 3_600;

interface Data extends SessionData {
  user?: string;
  rememberMe?: boolean;
  views?: number;
}

const rememberMe = (data: Data) => (data.rememberMe === true ? 30 * day : hour);

function manager(
  options: { ttl?: number | ((data: Data) => number); tableName?: string; absoluteTimeout?: number; touchAfter?: number } = {},
) {
  const made = new SessionManager<Data>({ prisma: ctx.prisma, tableName: ctx.table, ...options });
  ctx.cleanup(() => made.close());
  return made;
}

async function rowOf(id: string, table = ctx.table) {
  const { rows } = await ctx.admin.query<{ a_session: string; expires_at: Date | null }>(
    `SELECT a_session, expires_at FROM "${table}" WHERE id = $1`,
    [id],
  );
  return rows[0];
}

/** Runs `write` and checks that it set the expiry to `seconds` after a moment within the call. */
async function expectExpirySetBy(id: () => string, seconds: number, write: () => Promise<unknown>): Promise<void> {
  const before = Date.now();
  await write();
  const after = Date.now();
  const expiresAt = (await rowOf(id()))!.expires_at!.getTime();
  expect(expiresAt).toBeGreaterThanOrEqual(before + seconds * 1000);
  expect(expiresAt).toBeLessThanOrEqual(after + seconds * 1000);
}

/** The row's version (xmin: it changes with every UPDATE, not with a FOR UPDATE lock), text and activity columns. */
async function versionOf(id: string) {
  const { rows } = await ctx.admin.query<{ xmin: string; a_session: string; expires_at: Date | null; last_active_at: Date | null }>(
    `SELECT xmin::text AS xmin, a_session, expires_at, last_active_at FROM "${ctx.table}" WHERE id = $1`,
    [id],
  );
  return rows[0]!;
}

/** Moves the row's expiry to `seconds` from now (the database's clock). */
async function expireIn(id: string, seconds: number): Promise<void> {
  await ctx.admin.query(`UPDATE "${ctx.table}" SET expires_at = now() + make_interval(secs => $2) WHERE id = $1`, [id, seconds]);
}

async function expire(id: string, table = ctx.table): Promise<void> {
  await ctx.admin.query(`UPDATE "${table}" SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
}

describe("without ttl: rows never expire, as Apache::Session's", () => {
  test("an open that changes nothing writes nothing, as before ttl existed", async () => {
    const sessions = manager();
    const { id } = await sessions.create({ user: "ann" });
    const before = await versionOf(id);
    await sessions.open(id, (s) => s.data.user);
    expect(await versionOf(id)).toEqual(before);
  });

  test("touchAfter without ttl is refused (it would do nothing)", () => {
    expect(() => new SessionManager({ prisma: ctx.prisma, touchAfter: 60 })).toThrow(TypeError);
    expect(() => new SessionManager({ prisma: ctx.prisma, touchAfter: 60 })).toThrow(/^touchAfter applies to the expiry that ttl gives/);
  });

  test("create and save leave expires_at NULL, and an expiry set by someone else is not the manager's concern", async () => {
    const sessions = manager();
    const { id } = await sessions.create({ user: "ann" });
    expect((await rowOf(id))!.expires_at).toBeNull();
    await sessions.open(id, (s) => void (s.data.views = 1));
    expect((await rowOf(id))!.expires_at).toBeNull();
    await expire(id);
    await expect(sessions.read(id)).resolves.toMatchObject({ data: { views: 1 } });
    await sessions.open(id, (s) => void (s.data.views = 2));
    expect((await rowOf(id))!.expires_at!.getTime()).toBeLessThan(Date.now());
  });
});

describe("ttl as a number: a sliding idle lifetime", () => {
  test("create sets now + ttl; a save moves it; read, a peek, does not", async () => {
    const sessions = manager({ ttl: hour });
    let id = "";
    await expectExpirySetBy(
      () => id,
      hour,
      async () => (id = (await sessions.create({ user: "ann" })).id),
    );
    // read is not activity: push the expiry back, read, and the row is as it was.
    await expireIn(id, 10 * 60);
    const pushedBack = await versionOf(id);
    await sessions.read(id);
    expect(await versionOf(id)).toEqual(pushedBack);
    await expectExpirySetBy(
      () => id,
      hour,
      () => sessions.open(id, (s) => void (s.data.views = 1)),
    );
  });

  test("an open that changes nothing, near the end of life, extends the expiry alone", async () => {
    const sessions = manager({ ttl: hour });
    const { id } = await sessions.create({ user: "ann" });
    await expireIn(id, 5);
    const stored = await versionOf(id);
    await expectExpirySetBy(
      () => id,
      hour,
      () => sessions.open(id, (s) => s.data.user),
    );
    const touched = await versionOf(id);
    expect(touched.a_session).toBe(stored.a_session);
    expect(touched.last_active_at!.getTime()).toBeGreaterThan(stored.last_active_at!.getTime());
    // An active user whose data never changes stays logged in past the first ttl.
    await expect(sessions.read(id)).resolves.toMatchObject({ data: { user: "ann" } });
  });

  test("an open that changes nothing, early in life, writes nothing (within touchAfter: min(60 s, ttl / 10))", async () => {
    const sessions = manager({ ttl: hour });
    const { id } = await sessions.create({ user: "ann" });
    const stored = await versionOf(id);
    await sessions.open(id, (s) => s.data.user);
    await sessions.open(id, () => undefined);
    expect(await versionOf(id)).toEqual(stored);
    // 30 s behind the new expiry: still within the default window of 60 s.
    await expireIn(id, hour - 30);
    const behind = await versionOf(id);
    await sessions.open(id, (s) => s.data.user);
    expect(await versionOf(id)).toEqual(behind);
    // 5 minutes behind: past it, so the expiry is written.
    await expireIn(id, hour - 300);
    await expectExpirySetBy(
      () => id,
      hour,
      () => sessions.open(id, (s) => s.data.user),
    );
  });

  test("touchAfter sets the window: 0 writes the expiry at every open, a larger one skips more", async () => {
    const every = manager({ ttl: hour, touchAfter: 0 });
    const { id } = await every.create({ user: "ann" });
    const stored = await versionOf(id);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await expectExpirySetBy(
      () => id,
      hour,
      () => every.open(id, (s) => s.data.user),
    );
    expect((await versionOf(id)).xmin).not.toBe(stored.xmin);

    const lazy = manager({ ttl: hour, touchAfter: hour / 2 });
    await expireIn(id, hour - 20 * 60); // 20 minutes behind: within 30
    const behind = await versionOf(id);
    await lazy.open(id, (s) => s.data.user);
    expect(await versionOf(id)).toEqual(behind);
    await expireIn(id, hour - 40 * 60); // 40 minutes behind: past 30
    await expectExpirySetBy(
      () => id,
      hour,
      () => lazy.open(id, (s) => s.data.user),
    );
  });

  test("an open whose function throws extends nothing", async () => {
    const sessions = manager({ ttl: hour });
    const { id } = await sessions.create({ user: "ann" });
    await expireIn(id, 5);
    const stored = await versionOf(id);
    await expect(
      sessions.open(id, () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await versionOf(id)).toEqual(stored);
  });

  test.each([
    ["-1", -1, RangeError],
    ["NaN", Number.NaN, RangeError],
    ['"60"', "60", RangeError],
  ])("touchAfter %s is refused at construction", (_label, touchAfter, type) => {
    const construct = () => new SessionManager({ prisma: ctx.prisma, ttl: hour, touchAfter: touchAfter as number });
    expect(construct).toThrow(type);
    expect(construct).toThrow(/^touchAfter must be a number of seconds ≥ 0/);
  });

  test("idLength is checked against the id column's width from the options, before the store (and its pool) is built", () => {
    // idLength's bound is the id column's width, known from the options without building the store.
    const construct = () => new SessionManager({ datasourceUrl: "postgresql://nobody@127.0.0.1:1/none", maxIdLength: 20, idLength: 32 });
    expect(construct).toThrow(RangeError);
    expect(construct).toThrow(/to the id column's width \(20\), got 32/);
  });

  test("rotate keeps the expiry, as it keeps the creation time", async () => {
    const sessions = manager({ ttl: hour });
    const { id } = await sessions.create({ user: "ann" });
    const expiresAt = (await rowOf(id))!.expires_at!.getTime();
    const newId = await sessions.rotate(id);
    expect((await rowOf(newId))!.expires_at!.getTime()).toBe(expiresAt);
  });

  test.each([
    ["0", 0, RangeError],
    ["-5", -5, RangeError],
    ["NaN", Number.NaN, RangeError],
    ["Infinity", Number.POSITIVE_INFINITY, RangeError],
    ['"1h"', "1h", TypeError],
  ])("ttl option %s is refused at construction, naming ttl", (_label, ttl, type) => {
    const construct = () => new SessionManager({ prisma: ctx.prisma, ttl: ttl as number });
    expect(construct).toThrow(type);
    expect(construct).toThrow(/^ttl must be /);
  });
});

describe("ttl as a function of the data: remember me", () => {
  test("each session gets its own lifetime at create, and a save recomputes it from the saved data", async () => {
    const sessions = manager({ ttl: rememberMe });
    let short = "";
    let long = "";
    await expectExpirySetBy(
      () => short,
      hour,
      async () => (short = (await sessions.create({ user: "ann" })).id),
    );
    await expectExpirySetBy(
      () => long,
      30 * day,
      async () => (long = (await sessions.create({ user: "bob", rememberMe: true })).id),
    );
    // Ticking "remember me" later: the save that stores it gives the long lifetime.
    await expectExpirySetBy(
      () => short,
      30 * day,
      () => sessions.open(short, (s) => void (s.data.rememberMe = true)),
    );
  });

  test("an unchanged open recomputes the lifetime from the data: a longer one is written, a 0 ends the session", async () => {
    let lifetime = hour;
    const sessions = manager({ ttl: () => lifetime });
    const { id } = await sessions.create({ user: "ann" });
    lifetime = 30 * day;
    await expectExpirySetBy(
      () => id,
      30 * day,
      () => sessions.open(id, (s) => s.data.user),
    );
    lifetime = 0;
    await sessions.open(id, (s) => s.data.user);
    expect(await rowOf(id)).toBeUndefined();
  });

  test("the function sees the data as stored, _session_id included", async () => {
    const seen: Array<Record<string, unknown>> = [];
    const sessions = manager({ ttl: (data) => (seen.push({ ...data }), hour) });
    const { id } = await sessions.create({ user: "ann" });
    await sessions.open(id, (s) => void (s.data.views = 3));
    expect(seen).toEqual([
      { user: "ann", _session_id: id },
      { user: "ann", views: 3, _session_id: id },
    ]);
  });

  test("a lifetime of 0 at a save ends the session; at create it is a RangeError and nothing is stored", async () => {
    const sessions = manager({ ttl: (data) => (data.user === undefined ? 0 : hour) });
    const { id } = await sessions.create({ user: "ann" });
    await sessions.open(id, (s) => void delete s.data.user);
    expect(await rowOf(id)).toBeUndefined();
    const { rows: before } = await ctx.admin.query(`SELECT count(*)::int AS n FROM "${ctx.table}"`);
    await expect(sessions.create({})).rejects.toThrow(RangeError);
    await expect(sessions.create({})).rejects.toThrow(/^ttl\(data\) gave a new session no lifetime \(under 1 ms\)/);
    const { rows: after } = await ctx.admin.query(`SELECT count(*)::int AS n FROM "${ctx.table}"`);
    expect(after[0].n).toBe(before[0].n);
  });

  test.each([
    ["NaN", Number.NaN, RangeError],
    ["negative", -1, RangeError],
    ["infinite", Number.POSITIVE_INFINITY, RangeError],
    ["beyond any date", 1e20, RangeError],
    ["a string", "3600", TypeError],
    ["undefined", undefined, TypeError],
  ])("a function returning %s: a typed error naming ttl, and nothing written", async (_label, result, type) => {
    let bad = false;
    const sessions = manager({ ttl: () => (bad ? (result as number) : hour) });
    const { id } = await sessions.create({ user: "ann" });
    const stored = await rowOf(id);
    bad = true;
    const save = sessions.open(id, (s) => void (s.data.views = 1));
    await expect(save).rejects.toThrow(type);
    await expect(save).rejects.toThrow(/^ttl\(data\) must return a number of seconds/);
    expect(await rowOf(id)).toEqual(stored);
    const { rows: before } = await ctx.admin.query(`SELECT count(*)::int AS n FROM "${ctx.table}"`);
    await expect(sessions.create({ user: "bob" })).rejects.toThrow(type);
    const { rows: after } = await ctx.admin.query(`SELECT count(*)::int AS n FROM "${ctx.table}"`);
    expect(after[0].n).toBe(before[0].n);
  });
});

describe("an expired session is a missing one", () => {
  test("read, open and rotate raise SessionNotFoundError; open's function never runs; the row waits for prune", async () => {
    const sessions = manager({ ttl: rememberMe });
    const { id } = await sessions.create({ user: "ann" });
    await expire(id);
    await expect(sessions.read(id)).rejects.toThrow(SessionNotFoundError);
    await expect(sessions.read(id)).rejects.toThrow(/has expired/);
    let ran = false;
    await expect(sessions.open(id, () => void (ran = true))).rejects.toThrow(SessionNotFoundError);
    expect(ran).toBe(false);
    await expect(sessions.rotate(id)).rejects.toThrow(SessionNotFoundError);
    expect(await rowOf(id)).toBeDefined();
  });

  test("listings and counts leave it out", async () => {
    const sessions = manager({ ttl: hour });
    const user = `user-${Date.now()}-${Math.random()}`;
    const live = await sessions.create({}, { userId: user });
    const gone = await sessions.create({}, { userId: user });
    await expire(gone.id);
    await expect(sessions.countUserSessions(user)).resolves.toBe(1);
    expect((await sessions.userSessions(user, { current: live.id })).sessions.map((s) => s.current)).toEqual([true]);
  });

  test("the manager's prune and the adapter's delete expired rows, and only those", async () => {
    const table = await ctx.newTable("expiry_prune");
    const sessions = manager({ ttl: hour, tableName: table });
    const live = await sessions.create({ user: "ann" });
    const [first, second] = [await sessions.create({ user: "bob" }), await sessions.create({ user: "cy" })];
    await expire(first.id, table);
    await expect(sessions.prune()).resolves.toBe(1);
    expect(await rowOf(first.id, table)).toBeUndefined();
    await expire(second.id, table);
    const adapter = new PgSessionStore({ prisma: ctx.prisma, tableName: table, pruneSessionInterval: false });
    ctx.cleanup(() => adapter.close());
    await expect(adapter.prune()).resolves.toBe(1);
    expect(await rowOf(second.id, table)).toBeUndefined();
    await expect(sessions.read(live.id)).resolves.toMatchObject({ data: { user: "ann" } });
  });
});
