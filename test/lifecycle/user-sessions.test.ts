import { createHash } from "node:crypto";
import {
  apacheSessionSerializer,
  InvalidSessionIdError,
  NonJsonPayloadError,
  SessionManager,
  SessionNotFoundError,
  type SessionManagerOptions,
  type UserSession,
} from "../../src/index.ts";
import { randomId, userColumnsOf } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

/** A manager on a table of its own. */
async function newManager(options: Partial<SessionManagerOptions> = {}) {
  const table = await ctx.newTable("users");
  const sessions = new SessionManager({ prisma: ctx.counting.prisma, tableName: table, ...options });
  ctx.cleanup(() => sessions.close());
  return { sessions, table };
}

const rowOf = (table: string, id: string) => userColumnsOf(ctx.admin, table, id);

function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const start = ctx.counting.statements.length;
  return work().then(
    () => ctx.counting.statements.slice(start),
    () => ctx.counting.statements.slice(start),
  );
}

describe("create, list, count", () => {
  test("create records the user, the device and the time; the listing shows them under a handle, never the id", async () => {
    const { sessions, table } = await newManager();
    const before = Date.now();
    const ann = await sessions.create({ cart: [] }, { userId: "ann", userAgent: "Firefox/130", ip: "203.0.113.7" });
    const other = await sessions.create({}, { userId: "ann" });
    const anonymous = await sessions.create({});
    const row = await rowOf(table, ann.id);
    expect(row).toMatchObject({ user_id: "ann", user_agent: "Firefox/130", ip: "203.0.113.7" });
    expect(row.created_at.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(row.last_active_at).toEqual(row.created_at);
    expect(row.expires_at).toBeNull(); // the lifecycle's sessions do not expire by idle time
    expect((await rowOf(table, anonymous.id)).user_id).toBeNull();
    expect((await rowOf(table, anonymous.id)).created_at).not.toBeNull();

    const { sessions: listed, next } = await sessions.userSessions("ann", { current: ann.id });
    expect(next).toBeUndefined();
    expect(listed).toHaveLength(2);
    const mine = listed.find((s) => s.current)!;
    expect(mine).toEqual({
      handle: expect.stringMatching(/^[0-9a-f]{32}$/),
      current: true,
      createdAt: row.created_at,
      lastActiveAt: row.created_at,
      expiresAt: null,
      userAgent: "Firefox/130",
      ip: "203.0.113.7",
    } satisfies UserSession);
    for (const s of listed) {
      expect(s.handle).not.toBe(ann.id);
      expect(s.handle).not.toBe(other.id);
      // A handle opens nothing: it is not a session id.
      await expect(sessions.read(s.handle)).rejects.toBeInstanceOf(SessionNotFoundError);
    }
    expect(await sessions.countUserSessions("ann")).toBe(2);
    expect(await sessions.countUserSessions("nobody")).toBe(0);
    expect((await sessions.userSessions("nobody")).sessions).toEqual([]);
  });

  test("a long user agent is stored cut at 512 characters, at a character boundary", async () => {
    const { sessions, table } = await newManager();
    const { id } = await sessions.create({}, { userId: "u", userAgent: `${"a".repeat(511)}😀tail` });
    expect((await rowOf(table, id)).user_agent).toBe("a".repeat(511));
  });

  test("listing and counting leave out expired sessions; each is one statement on the user index", async () => {
    const { sessions, table } = await newManager();
    const live = await sessions.create({}, { userId: "bob" });
    const expired = await sessions.create({}, { userId: "bob" });
    await ctx.admin.query(`UPDATE "${table}" SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
    const listing = await statementsDuring(async () => {
      expect((await sessions.userSessions("bob", { current: live.id })).sessions.map((s) => s.current)).toEqual([true]);
    });
    expect(listing).toHaveLength(1);
    expect(listing[0]).toMatch(/WHERE user_id = \$1::text/);
    expect(await statementsDuring(async () => expect(await sessions.countUserSessions("bob")).toBe(1))).toHaveLength(1);
  });

  test("pages: newest first, ties and unknown creation times included, every session exactly once", async () => {
    const { sessions, table } = await newManager();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await sessions.create({ i }, { userId: "carol" })).id);
    // Creation times with ties (same microsecond), sub-millisecond precision and NULL (older rows).
    const times = [
      "2026-01-01T00:00:00.000001Z",
      "2026-01-01T00:00:00.000001Z",
      "2026-01-01T00:00:00.000002Z",
      null,
      null,
      "2025-06-01T12:00:00.000000Z",
      "2027-01-01T00:00:00.000000Z",
      "2026-01-01T00:00:00.000001Z",
    ];
    for (const [i, id] of ids.entries()) await ctx.admin.query(`UPDATE "${table}" SET created_at = $2 WHERE id = $1`, [id, times[i]]);
    const seen: UserSession[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await sessions.userSessions("carol", { limit: 3, after });
      seen.push(...page.sessions);
      after = page.next;
      pages += 1;
      // A cursor holds no session id.
      for (const id of ids) expect(Buffer.from(after ?? "", "base64url").toString()).not.toContain(id);
    } while (after !== undefined);
    expect(pages).toBe(3);
    // Newest first to the microsecond (one format, so text order is time order), ties by handle, unknown last.
    const handleOf = (id: string) => createHash("sha256").update(id).digest("hex").slice(0, 32);
    const expected = ids
      .map((id, i) => ({ handle: handleOf(id), at: times[i] ?? "" }))
      .sort((a, b) => (a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.handle < b.handle ? 1 : -1))
      .map((s) => s.handle);
    expect(seen.map((s) => s.handle)).toEqual(expected);
    expect(seen.slice(-2).map((s) => s.createdAt)).toEqual([null, null]);
  });
});

describe("revoke", () => {
  test("one session by its handle, only among the user's own", async () => {
    const { sessions } = await newManager();
    const a = await sessions.create({}, { userId: "dave" });
    const b = await sessions.create({}, { userId: "dave" });
    const eve = await sessions.create({}, { userId: "eve" });
    const [eveHandle] = (await sessions.userSessions("eve")).sessions.map((s) => s.handle);
    // Eve's handle, posted by Dave: not his session, nothing happens.
    expect(await sessions.revokeUserSession("dave", eveHandle!)).toBe(false);
    await expect(sessions.read(eve.id)).resolves.toMatchObject({ id: eve.id });
    const bHandle = (await sessions.userSessions("dave", { current: a.id })).sessions.find((s) => !s.current)!.handle;
    expect(await sessions.revokeUserSession("dave", bHandle)).toBe(true);
    expect(await sessions.revokeUserSession("dave", bHandle)).toBe(false);
    await expect(sessions.read(b.id)).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(sessions.read(a.id)).resolves.toMatchObject({ id: a.id });
  });

  test("all of a user's sessions but the current one, in one statement; expired ones go too but are not counted", async () => {
    const { sessions, table } = await newManager();
    const current = await sessions.create({}, { userId: "fay" });
    const others = await Promise.all([1, 2, 3].map(() => sessions.create({}, { userId: "fay" })));
    const stranger = await sessions.create({}, { userId: "gus" });
    await ctx.admin.query(`UPDATE "${table}" SET expires_at = now() - interval '1 minute' WHERE id = $1`, [others[0]!.id]);
    let ended = -1;
    const sent = await statementsDuring(async () => {
      ended = await sessions.revokeUserSessions("fay", { except: current.id });
    });
    expect(ended).toBe(2);
    expect(sent).toHaveLength(1);
    const { rows } = await ctx.admin.query(`SELECT id::text AS id FROM "${table}" ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual([current.id, stranger.id].sort());
    expect(await sessions.revokeUserSessions("fay")).toBe(1);
    expect(await sessions.countUserSessions("fay")).toBe(0);
    expect(await sessions.countUserSessions("gus")).toBe(1);
  });
});

describe("activity", () => {
  test("open's write moves last_active_at, not created_at; an unchanged unit writes nothing", async () => {
    const { sessions, table } = await newManager();
    const { id } = await sessions.create({ n: 0 }, { userId: "hal" });
    await ctx.admin.query(`UPDATE "${table}" SET created_at = '2026-01-01Z', last_active_at = '2026-01-01Z' WHERE id = $1`, [id]);
    await sessions.open(id, () => undefined);
    expect((await rowOf(table, id)).last_active_at).toEqual(new Date("2026-01-01Z"));
    await sessions.open(id, (s) => void (s.data["n"] = 1));
    const row = await rowOf(table, id);
    expect(row.created_at).toEqual(new Date("2026-01-01Z"));
    expect(row.last_active_at.getTime()).toBeGreaterThan(Date.parse("2026-01-01Z"));
  });

  test("rotate keeps the user, the device and the creation time (the absolute timeout goes on)", async () => {
    const { sessions, table } = await newManager();
    const { id } = await sessions.create({ x: 1 }, { userId: "ida", userAgent: "UA", ip: "::1" });
    await ctx.admin.query(`UPDATE "${table}" SET created_at = '2026-01-01Z' WHERE id = $1`, [id]);
    const rotated = await sessions.rotate(id);
    expect(await rowOf(table, rotated)).toMatchObject({ user_id: "ida", user_agent: "UA", ip: "::1", created_at: new Date("2026-01-01Z") });
    expect((await sessions.userSessions("ida")).sessions).toHaveLength(1);
  });
});

describe("absolute timeout", () => {
  test("a session created longer ago than absoluteTimeout is gone for read, open, rotate, listings; prune deletes it", async () => {
    const { sessions, table } = await newManager({ absoluteTimeout: 3600 });
    const old = await sessions.create({ v: "old" }, { userId: "jo" });
    const young = await sessions.create({ v: "young" }, { userId: "jo" });
    const older = await sessions.create({}, { userId: "jo" });
    // Created 2 hours ago (moved in the database: no waiting); an older row without creation time stays.
    await ctx.admin.query(`UPDATE "${table}" SET created_at = now() - interval '2 hours' WHERE id = ANY($1)`, [[old.id, older.id]]);
    const unknownAge = await sessions.create({}, { userId: "jo" });
    await ctx.admin.query(`UPDATE "${table}" SET created_at = NULL WHERE id = $1`, [unknownAge.id]);

    for (const call of [() => sessions.read(old.id), () => sessions.open(old.id, () => undefined), () => sessions.rotate(old.id)]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionNotFoundError);
      expect((error as Error).message).toMatch(/created more than absoluteTimeout \(3600 s\) ago/);
    }
    await expect(sessions.read(young.id)).resolves.toMatchObject({ data: { v: "young" } });
    await expect(sessions.open(young.id, (s) => s.data["v"])).resolves.toBe("young");
    await expect(sessions.read(unknownAge.id)).resolves.toMatchObject({ id: unknownAge.id });
    expect(await sessions.countUserSessions("jo")).toBe(2);
    expect((await sessions.userSessions("jo")).sessions).toHaveLength(2);
    // A manager without the timeout still reads it (the rows are there until pruned).
    const lenient = new SessionManager({ prisma: ctx.counting.prisma, tableName: table });
    await expect(lenient.read(old.id)).resolves.toMatchObject({ id: old.id });
    await expect(lenient.prune()).rejects.toThrow(
      /prune\(\) deletes sessions past absoluteTimeout or their ttl, and this manager has neither/,
    );

    expect(await sessions.prune(1)).toBe(2);
    const { rows } = await ctx.admin.query(`SELECT id::text AS id FROM "${table}" ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual([young.id, unknownAge.id].sort());
    // Revoking all counts only the live ones it ended.
    expect(await sessions.revokeUserSessions("jo")).toBe(2);
  });
});

describe("find by field", () => {
  test("sessions whose data holds a value at a path, in id order, a page at a time", async () => {
    const { sessions, table } = await newManager();
    const matches = await Promise.all([1, 2, 3].map((i) => sessions.create({ user: { email: "a@b.example", n: i } })));
    await sessions.create({ user: { email: "other@b.example" } });
    await sessions.create({ user: "a@b.example" }); // the value at another path
    await sessions.create({ user: { email: new Date("2026-11-25T00:00:00Z"), admin: true, id: 42 } }); // superjson with meta
    // An Apache::Session row (Storable, base64) and a NULL payload in the same table: not JSON, left out.
    await ctx.admin.query(`INSERT INTO "${table}" (id, a_session) VALUES ($1, 'BQkDAAAAAQoDYm9iAAAABHVzZXI='), ($2, NULL)`, [
      randomId(),
      randomId(),
    ]);
    const first = await sessions.findSessions({ path: ["user", "email"], equals: "a@b.example", limit: 2 });
    expect(first.sessions.map((s) => s.id)).toEqual(
      matches
        .map((m) => m.id)
        .sort()
        .slice(0, 2),
    );
    expect(first.sessions[0]!.data).toMatchObject({ user: { email: "a@b.example" } });
    const second = await sessions.findSessions({ path: ["user", "email"], equals: "a@b.example", limit: 2, after: first.next });
    expect(second.sessions.map((s) => s.id)).toEqual(
      matches
        .map((m) => m.id)
        .sort()
        .slice(2),
    );
    expect(second.next).toBeUndefined();
    // Booleans, integers and a Date's ISO text compare as their JSON text.
    expect((await sessions.findSessions({ path: ["user", "admin"], equals: true })).sessions).toHaveLength(1);
    expect((await sessions.findSessions({ path: ["user", "id"], equals: 42 })).sessions).toHaveLength(1);
    expect((await sessions.findSessions({ path: ["user", "email"], equals: "2026-11-25T00:00:00.000Z" })).sessions).toHaveLength(1);
  });

  test("a serializer that does not write JSON, or a row that is not JSON, is a NonJsonPayloadError", async () => {
    const { table } = await newManager();
    const perl = new SessionManager({ prisma: ctx.counting.prisma, tableName: table, serializer: apacheSessionSerializer });
    const sent = await statementsDuring(() =>
      expect(perl.findSessions({ path: ["user"], equals: "x" })).rejects.toBeInstanceOf(NonJsonPayloadError),
    );
    expect(sent).toEqual([]);
    const sessions = new SessionManager({ prisma: ctx.counting.prisma, tableName: table });
    await ctx.admin.query(`INSERT INTO "${table}" (id, a_session) VALUES ($1, '{"json":{broken')`, [randomId()]);
    const error = await sessions.findSessions({ path: ["user"], equals: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonJsonPayloadError);
    expect((error as NonJsonPayloadError).table).toBe(table);
    expect((error as Error).message).toMatch(/not valid JSON/);
  });
});

describe("bad input is a typed error, before any SQL", () => {
  test.each([
    [
      "a user id that is not a string",
      (m: SessionManager) => m.userSessions(42 as unknown as string),
      TypeError,
      /^userId must be a string, got number$/,
    ],
    ["an empty user id", (m: SessionManager) => m.countUserSessions(""), TypeError, /^userId must be 1 to 1024 characters/],
    ["a user id with NUL", (m: SessionManager) => m.revokeUserSessions("a\0b"), TypeError, /without NUL/],
    ["a user id with a lone surrogate", (m: SessionManager) => m.countUserSessions("a\uD800"), TypeError, /unpaired surrogates/],
    ["a user id too long", (m: SessionManager) => m.countUserSessions("u".repeat(1025)), TypeError, /1 to 1024 characters/],
    [
      "a malformed handle",
      (m: SessionManager) => m.revokeUserSession("ann", "' OR 1=1 --"),
      TypeError,
      /^handle must be the `handle` of a listed session/,
    ],
    [
      "a cursor that no page gave",
      (m: SessionManager) => m.userSessions("ann", { after: "bm90IGEgY3Vyc29y" }),
      TypeError,
      /^after must be the `next` of a previous page/,
    ],
    [
      "a limit of 0",
      (m: SessionManager) => m.userSessions("ann", { limit: 0 }),
      RangeError,
      /^limit must be a whole number from 1 to 1000, got 0$/,
    ],
    ["a limit of 1001", (m: SessionManager) => m.findSessions({ path: ["a"], equals: "b", limit: 1001 }), RangeError, /got 1001/],
    [
      "a current id that is not hex",
      (m: SessionManager) => m.userSessions("ann", { current: "zz" }),
      InvalidSessionIdError,
      /Invalid session ID/,
    ],
    [
      "an except id that is not hex",
      (m: SessionManager) => m.revokeUserSessions("ann", { except: "x y" }),
      InvalidSessionIdError,
      /Invalid session ID/,
    ],
    [
      "an unknown create option",
      (m: SessionManager) => m.create({}, { userID: "ann" } as never),
      TypeError,
      /does not use the option userID/,
    ],
    [
      "an IP that is not one",
      (m: SessionManager) => m.create({}, { userId: "ann", ip: "localhost" }),
      TypeError,
      /^ip must be an IPv4 or IPv6 address/,
    ],
    [
      "a user agent that is not a string",
      (m: SessionManager) => m.create({}, { userAgent: 5 as never }),
      TypeError,
      /^userAgent must be a string/,
    ],
    [
      "an empty path",
      (m: SessionManager) => m.findSessions({ path: [], equals: "x" }),
      TypeError,
      /^path must be an array of 1 to 32 keys/,
    ],
    [
      "a path with a negative index",
      (m: SessionManager) => m.findSessions({ path: ["a", -1], equals: "x" }),
      TypeError,
      /^path\[1\] must be a key/,
    ],
    [
      "an object to compare with",
      (m: SessionManager) => m.findSessions({ path: ["a"], equals: {} as never }),
      TypeError,
      /^equals must be a string/,
    ],
    [
      "a fractional number to compare with",
      (m: SessionManager) => m.findSessions({ path: ["a"], equals: 1.5 }),
      TypeError,
      /^equals must be/,
    ],
    ["a prune batch of 0", (m: SessionManager) => m.prune(0), RangeError, /^batchSize must be a positive integer/],
  ] as const)("%s", async (_label, call, type, message) => {
    const { sessions } = await newManager({ absoluteTimeout: 60 });
    const sent = await statementsDuring(async () => {
      const error = await Promise.resolve()
        .then(() => call(sessions) as Promise<unknown>)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    });
    expect(sent).toEqual([]);
  });

  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, "60"])("absoluteTimeout %p is a RangeError", (absoluteTimeout) => {
    expect(() => new SessionManager({ prisma: ctx.counting.prisma, absoluteTimeout: absoluteTimeout as number })).toThrow(
      /^absoluteTimeout must be a positive number of seconds/,
    );
  });
});
