import { createHash } from "node:crypto";
import type { SessionData } from "express-session";
import { PgSessionStore, type PgSessionStoreOptions } from "../../src/adapters/express-session/index.ts";
import { apacheSessionSerializer, CorruptPayloadError, InvalidSessionIdError, NonJsonPayloadError } from "../../src/index.ts";
import { randomId, userColumnsOf } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

const hour = 3_600_000;
const T0 = Date.parse("2026-11-25T12:00:00Z");

type Data = { user?: string; device?: { userAgent?: string; ip?: string }; n?: number; profile?: { email: string } };

/** An adapter on a table of its own, its clock at T0, deriving the user from `session.user`. */
async function newStore(extra: Partial<PgSessionStoreOptions> = {}) {
  const table = await ctx.newTable("usess");
  const clock = { now: T0 };
  const store = new PgSessionStore({
    prisma: ctx.counting.prisma,
    tableName: table,
    pruneSessionInterval: false,
    now: () => clock.now,
    userId: (session) => session["user"],
    device: (session) => session["device"],
    ...extra,
  });
  ctx.cleanup(() => store.close());
  return { store, table, clock };
}

function sessionOf(data: Data, clock: { now: number }): SessionData {
  return {
    cookie: { originalMaxAge: hour, expires: new Date(clock.now + hour), httpOnly: true, path: "/" },
    ...data,
  } as unknown as SessionData;
}

const rowOf = (table: string, id: string) => userColumnsOf(ctx.admin, table, id);

function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const start = ctx.counting.statements.length;
  return work().then(() => ctx.counting.statements.slice(start));
}

const storedKeyOf = (sid: string) => createHash("sha256").update(sid).digest().subarray(0, 24).toString("base64url");

test("a handle is the first 128 bits of SHA-256 of the stored key, also for keys with backslashes and quotes; revoking by it works", async () => {
  const { store, clock } = await newStore();
  const sids = ["plain-id-0001", "back\\slash\\id", "quote'and\"double", "ends-with\\"];
  for (const sid of sids) await store.set(sid, sessionOf({ user: "han" }, clock));
  const { sessions } = await store.userSessions("han");
  const expected = sids.map((sid) => createHash("sha256").update(sid).digest("hex").slice(0, 32));
  expect(sessions.map((s) => s.handle).sort()).toEqual([...expected].sort());
  for (const handle of expected) expect(await store.revokeUserSession("han", handle)).toBe(true);
  expect(await store.countUserSessions("han")).toBe(0);
});

describe("userId and device", () => {
  test("every write stores the session's user; logging out (no user) clears it; the device is kept until given again", async () => {
    const { store, table, clock } = await newStore();
    const sid = randomId();
    await store.set(sid, sessionOf({ user: "ann", device: { userAgent: "Firefox/130", ip: "192.0.2.1" } }, clock));
    expect(await rowOf(table, sid)).toMatchObject({
      user_id: "ann",
      user_agent: "Firefox/130",
      ip: "192.0.2.1",
      created_at: new Date(T0),
      last_active_at: new Date(T0),
    });
    clock.now = T0 + 5_000;
    await store.set(sid, sessionOf({ user: "ann", n: 1 }, clock)); // no device this time: the stored one stays
    expect(await rowOf(table, sid)).toMatchObject({
      user_id: "ann",
      user_agent: "Firefox/130",
      created_at: new Date(T0),
      last_active_at: new Date(T0 + 5_000),
    });
    await store.set(sid, sessionOf({ n: 2 }, clock));
    expect((await rowOf(table, sid)).user_id).toBeNull();
    expect(await store.countUserSessions("ann")).toBe(0);
  });

  test("without userId the adapter leaves user_id as it is (another layer's, or an operator's)", async () => {
    const { store, table, clock } = await newStore({ userId: undefined, device: undefined });
    const sid = randomId();
    await store.set(sid, sessionOf({ user: "ann" }, clock));
    expect((await rowOf(table, sid)).user_id).toBeNull();
    await ctx.admin.query(`UPDATE "${table}" SET user_id = 'set elsewhere' WHERE id = $1`, [sid]);
    await store.set(sid, sessionOf({ user: "ann", n: 1 }, clock));
    expect((await rowOf(table, sid)).user_id).toBe("set elsewhere");
    expect(await store.countUserSessions("set elsewhere")).toBe(1);
  });

  test("last_active_at moves with a touch only when the touch writes (past touchAfter)", async () => {
    const { store, table, clock } = await newStore({ touchAfter: 60 });
    const sid = randomId();
    await store.set(sid, sessionOf({ user: "bob" }, clock));
    await store.get(sid);
    clock.now = T0 + 30_000;
    expect(await statementsDuring(() => store.touch(sid, sessionOf({ user: "bob" }, clock)))).toEqual([]);
    expect((await rowOf(table, sid)).last_active_at).toEqual(new Date(T0));
    clock.now = T0 + 90_000;
    expect(await statementsDuring(() => store.touch(sid, sessionOf({ user: "bob" }, clock)))).toHaveLength(1);
    expect(await rowOf(table, sid)).toMatchObject({
      created_at: new Date(T0),
      last_active_at: new Date(T0 + 90_000),
      expires_at: new Date(T0 + 90_000 + hour),
    });
  });

  test("a row of an older version (no creation time) gets one at its next write, and keeps it", async () => {
    const { store, table, clock } = await newStore();
    const sid = randomId();
    await ctx.admin.query(
      `INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, '{"json":{"cookie":{"originalMaxAge":3600000}}}', $2)`,
      [sid, new Date(T0 + hour)],
    );
    await store.get(sid);
    clock.now = T0 + 1000;
    await store.set(sid, sessionOf({ user: "cy" }, clock));
    expect(await rowOf(table, sid)).toMatchObject({ created_at: new Date(T0 + 1000), user_id: "cy" });
    clock.now = T0 + 2000;
    await store.set(sid, sessionOf({ user: "cy", n: 1 }, clock));
    expect((await rowOf(table, sid)).created_at).toEqual(new Date(T0 + 1000));
  });

  test("what userId and device return is checked: a typed error, nothing written", async () => {
    const { store, table, clock } = await newStore({ userId: (s) => s["uid"] });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ uid: 42 }, /^userId\(session\) must be a string, got number$/],
      [{ uid: "" }, /^userId\(session\) must be 1 to 1024 characters/],
      [{ uid: "a", device: { ip: "not an ip" } }, /^device\(session\)\.ip must be an IPv4 or IPv6 address/],
      [{ uid: "a", device: { userAgent: "nul\0" } }, /^device\(session\)\.userAgent must not contain NUL/],
      [{ uid: "a", device: "phone" }, /^device\(session\) must return \{ userAgent\?, ip\? \}/],
    ];
    for (const [data, message] of cases) {
      const sid = randomId();
      const error = await store.set(sid, sessionOf(data as Data, clock)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(message);
      expect(await rowOf(table, sid)).toBeUndefined();
    }
  });

  test("options are checked at construction", () => {
    const base = { prisma: ctx.counting.prisma, pruneSessionInterval: false as const };
    expect(() => new PgSessionStore({ ...base, device: () => undefined })).toThrow(
      /^device is stored with the session's user: give userId as well$/,
    );
    expect(() => new PgSessionStore({ ...base, userId: "user" as never })).toThrow(/^userId must be a function of the session$/);
    expect(() => new PgSessionStore({ ...base, absoluteTimeout: 0 })).toThrow(RangeError);
    expect(() => new PgSessionStore({ ...base, absoluteTimeout: -5 })).toThrow(
      /^absoluteTimeout must be a positive number of seconds, got -5$/,
    );
  });
});

describe("listing, counting and revoking, with hashIds", () => {
  test("the listing gives handles, not session ids nor stored keys; they revoke the session and open nothing", async () => {
    const { store, table, clock } = await newStore({ hashIds: true });
    const [phone, laptop, tablet] = [randomId(), randomId(), randomId()];
    await store.set(phone, sessionOf({ user: "dee", device: { userAgent: "Phone" } }, clock));
    clock.now = T0 + 1000;
    await store.set(laptop, sessionOf({ user: "dee", device: { userAgent: "Laptop" } }, clock));
    clock.now = T0 + 2000;
    await store.set(tablet, sessionOf({ user: "dee", device: { userAgent: "Tablet" } }, clock));
    await store.set(randomId(), sessionOf({ user: "eli" }, clock));

    const page = await store.userSessions("dee", { current: laptop });
    expect(page.sessions.map((s) => [s.userAgent, s.current])).toEqual([
      ["Tablet", false],
      ["Laptop", true],
      ["Phone", false],
    ]);
    const text = JSON.stringify(page);
    for (const sid of [phone, laptop, tablet]) {
      expect(text).not.toContain(sid);
      expect(text).not.toContain(storedKeyOf(sid));
    }
    for (const { handle } of page.sessions) await expect(store.get(handle)).resolves.toBeNull();
    expect(await store.countUserSessions("dee")).toBe(3);

    const phoneHandle = page.sessions.find((s) => s.userAgent === "Phone")!.handle;
    expect(await store.revokeUserSession("eli", phoneHandle)).toBe(false); // another user's handle
    expect(await store.revokeUserSession("dee", phoneHandle)).toBe(true);
    await expect(store.get(phone)).resolves.toBeNull();

    expect(await store.revokeUserSessions("dee", { except: laptop })).toBe(1);
    await expect(store.get(tablet)).resolves.toBeNull();
    await expect(store.get(laptop)).resolves.toMatchObject({ user: "dee" });
    expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM "${table}" WHERE user_id = 'eli'`)).rows[0].n).toBe(1);
  });

  test("listing, counting and revoking all are one statement each, on the user index", async () => {
    const { store, clock } = await newStore({ hashIds: true });
    const sid = randomId();
    await store.set(sid, sessionOf({ user: "fox" }, clock));
    for (const work of [
      () => store.userSessions("fox", { current: sid }),
      () => store.countUserSessions("fox"),
      () => store.revokeUserSessions("fox", { except: sid }),
    ]) {
      const sent = await statementsDuring(work);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatch(/user_id = \$1::text/);
    }
  });

  test("expired sessions are neither listed nor counted; revoking all deletes them without counting them", async () => {
    const { store, table, clock } = await newStore();
    const [live, expired] = [randomId(), randomId()];
    await store.set(live, sessionOf({ user: "gil" }, clock));
    await store.set(expired, {
      ...sessionOf({ user: "gil" }, clock),
      cookie: { originalMaxAge: 1000, expires: new Date(T0 + 1000) },
    } as SessionData);
    clock.now = T0 + 2000;
    expect((await store.userSessions("gil")).sessions).toHaveLength(1);
    expect(await store.countUserSessions("gil")).toBe(1);
    expect(await store.revokeUserSessions("gil")).toBe(1);
    expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n).toBe(0);
  });

  test("bad arguments are typed errors before any SQL", async () => {
    const { store } = await newStore({ hashIds: true });
    const calls: Array<[() => Promise<unknown>, ErrorConstructor, RegExp]> = [
      [() => store.userSessions(undefined as never), TypeError, /^userId must be a string, got undefined$/],
      [() => store.userSessions("u", { current: 7 as never }), TypeError, /^current must be a session id/],
      [() => store.revokeUserSessions("u", { except: {} as never }), TypeError, /^except must be a session id/],
      [
        () => store.revokeUserSessions("u", { except: "" }),
        InvalidSessionIdError as unknown as ErrorConstructor,
        /^Invalid session ID: ""$/,
      ],
      [() => store.revokeUserSession("u", "A".repeat(32)), TypeError, /^handle must be the `handle` of a listed session/],
      [() => store.userSessions("u", { after: "x" }), TypeError, /^after must be the `next` of a previous page/],
      [() => store.userSessions("u", { limit: 2.5 }), RangeError, /^limit must be a whole number/],
      [() => store.findSessions({ path: "user.email" as never, equals: "x" }), TypeError, /^path must be an array/],
      [() => store.findSessions(null as never), TypeError, /^findSessions takes \{ path, equals \}$/],
    ];
    for (const [call, type, message] of calls) {
      const sent = await statementsDuring(async () => {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(type);
        expect((error as Error).message).toMatch(message);
      });
      expect(sent).toEqual([]);
    }
  });
});

describe("absolute timeout", () => {
  test("a session ends absoluteTimeout after its creation however active: get, listings, counts; prune deletes it", async () => {
    const { store, table, clock } = await newStore({ absoluteTimeout: 8 * 3600 });
    const [early, late] = [randomId(), randomId()];
    await store.set(early, sessionOf({ user: "hal" }, clock));
    // Active all along: a request every half hour extends its idle expiry (one hour).
    for (let at = T0 + hour / 2, n = 1; at < T0 + 8 * hour; at += hour / 2, n++) {
      clock.now = at;
      await expect(store.get(early)).resolves.toMatchObject({ user: "hal" });
      await store.set(early, sessionOf({ user: "hal", n }, clock));
      if (at >= T0 + 4 * hour) await store.set(late, sessionOf({ user: "hal", n }, clock));
    }
    clock.now = T0 + 8 * hour - 1;
    await expect(store.get(early)).resolves.toMatchObject({ n: 15 });
    clock.now = T0 + 8 * hour;
    await expect(store.get(early)).resolves.toBeNull();
    await expect(store.get(late)).resolves.toMatchObject({ user: "hal" });
    expect((await store.ids()).sort()).toEqual([late]);
    expect(await store.length()).toBe(1);
    expect(await store.countUserSessions("hal")).toBe(1);
    expect((await store.userSessions("hal")).sessions.map((s) => s.createdAt)).toEqual([new Date(T0 + 4 * hour)]);
    // A late save of the ended session (a request that read it just before) does not bring it back.
    await store.set(early, sessionOf({ user: "hal", n: 8 }, clock));
    await expect(store.get(early)).resolves.toBeNull();

    expect(await store.prune()).toBe(1);
    const { rows } = await ctx.admin.query(`SELECT id::text AS id FROM "${table}"`);
    expect(rows.map((r) => r.id)).toEqual([late]);
  });
});

describe("findSessions", () => {
  test("live sessions whose data holds a value at a path, as all() lists them, a page at a time", async () => {
    const logged: string[] = [];
    const { store, table, clock } = await newStore({ logger: { error: (message) => void logged.push(message) } });
    const sids = [randomId(), randomId(), randomId()].sort();
    for (const sid of sids) await store.set(sid, sessionOf({ user: "ivy", profile: { email: "ivy@example.com" } }, clock));
    await store.set(randomId(), sessionOf({ profile: { email: "other@example.com" } }, clock));
    const expired = randomId();
    await store.set(expired, {
      ...sessionOf({ profile: { email: "ivy@example.com" } }, clock),
      cookie: { originalMaxAge: 1, expires: new Date(T0 + 1) },
    } as SessionData);
    // A row that matches but does not decode (superjson's envelope, an unknown type annotation): skipped and counted.
    await ctx.admin.query(`INSERT INTO "${table}" (id, a_session) VALUES ($1, $2)`, [
      randomId(),
      '{"json":{"profile":{"email":"ivy@example.com"},"x":1},"meta":{"values":{"x":["custom","nope"]}}}',
    ]);
    clock.now = T0 + 10;
    const first = await store.findSessions({ path: ["profile", "email"], equals: "ivy@example.com", limit: 2 });
    const second = await store.findSessions({ path: ["profile", "email"], equals: "ivy@example.com", limit: 2, after: first.next! });
    const found = [...first.sessions, ...second.sessions];
    expect(found.map((s) => s.id)).toEqual(sids);
    expect(found[0]).toMatchObject({
      id: sids[0],
      user: "ivy",
      profile: { email: "ivy@example.com" },
      cookie: { expires: new Date(T0 + hour) },
    });
    expect(second.next).toBeUndefined();
    expect(logged.some((m) => /findSessions\(\) skipped 1 row\(s\)/.test(m))).toBe(true);
  });

  test("with hashIds, the ids found are the stored keys, which destroy accepts", async () => {
    const { store, clock } = await newStore({ hashIds: true });
    const sid = randomId();
    await store.set(sid, sessionOf({ profile: { email: "jay@example.com" } }, clock));
    const { sessions } = await store.findSessions({ path: ["profile", "email"], equals: "jay@example.com" });
    expect(sessions.map((s) => s.id)).toEqual([storedKeyOf(sid)]);
    await store.destroy(sessions[0]!.id);
    await expect(store.get(sid)).resolves.toBeNull();
  });

  test("a store whose serializer does not write JSON refuses with NonJsonPayloadError, before any SQL", async () => {
    const { store } = await newStore({ serializer: apacheSessionSerializer, userId: undefined, device: undefined });
    const sent = await statementsDuring(async () => {
      const error = await store.findSessions({ path: ["user"], equals: "x" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NonJsonPayloadError);
      expect((error as Error).message).toMatch(/serializer writes another format/);
    });
    expect(sent).toEqual([]);
    expect(new CorruptPayloadError("x")).not.toBeInstanceOf(NonJsonPayloadError);
  });
});
