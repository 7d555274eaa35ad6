import {
  CorruptPayloadError,
  InvalidSessionIdError,
  PayloadTooLargeError,
  PostgresStore,
  ReadOnlyFieldError,
  SessionClosedError,
  SessionDeletedError,
  SessionManager,
  SessionNotFoundError,
  type Session,
} from "../../src/index.ts";
import { randomId, storedRow } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
let sessions: SessionManager;

beforeAll(async () => {
  ctx = await initTest();
  sessions = new SessionManager({ prisma: ctx.counting.prisma });
  ctx.cleanup(() => sessions.close());
});
afterAll(() => destroyTest(ctx));

async function storedData(id: string): Promise<Record<string, unknown> | undefined> {
  const row = await storedRow(ctx.admin, id);
  return row ? (JSON.parse(row.a_session ?? "null") as { json: Record<string, unknown> }).json : undefined;
}

describe("ids", () => {
  test("generated ids are 32 lowercase hex characters and differ", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, async () => (await sessions.create()).id));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(20);
  });

  test("idLength is honoured and checked against the column at construction", async () => {
    const short = new SessionManager({ prisma: ctx.counting.prisma, idLength: 20 });
    expect((await short.create()).id).toMatch(/^[0-9a-f]{20}$/);
    for (const idLength of [33, 8]) {
      const construct = () => new SessionManager({ prisma: ctx.counting.prisma, idLength });
      expect(construct).toThrow(RangeError);
      expect(construct).toThrow(new RegExp(`^idLength must be a whole number from 16 .* \\(32\\), got ${idLength}$`));
    }
    expect(() => new SessionManager({ prisma: ctx.counting.prisma, maxIdLength: 64, idLength: 64 })).not.toThrow();
  });

  test.each([
    ["a trailing newline (Perl's $ would let it through)", "abcdef0123\n"],
    ["non-hex letters", "ghijkl"],
    ["empty", ""],
    ["33 hex characters", "a".repeat(33)],
    ["SQL", "a' OR '1'='1"],
    ["non-ASCII", "ａｂｃ"],
  ])("a supplied id with %s is refused before any SQL", async (_label, id) => {
    ctx.counting.statements.length = 0;
    for (const call of [
      () => sessions.open(id, () => undefined),
      () => sessions.read(id),
      () => sessions.delete(id),
      () => sessions.rotate(id),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidSessionIdError);
      expect((error as Error).message).toMatch(/^Invalid session ID: /);
    }
    expect(ctx.counting.statements).toEqual([]);
  });
});

describe("create, open, read, delete", () => {
  test("create inserts and commits at once: another connection sees it before anything else happens", async () => {
    const { id, data } = await sessions.create({ user: "ann", at: new Date("2026-01-01T00:00:00Z") });
    expect(data).toEqual({ user: "ann", at: new Date("2026-01-01T00:00:00Z"), _session_id: id });
    expect(await storedData(id)).toMatchObject({ user: "ann", _session_id: id });
  });

  test("create refuses to set _session_id", async () => {
    await expect(sessions.create({ _session_id: "f".repeat(32) } as never)).rejects.toBeInstanceOf(ReadOnlyFieldError);
  });

  test("open of a missing id is not found and creates no row", async () => {
    const id = randomId();
    const error = await sessions.open(id, () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionNotFoundError);
    expect(error).toMatchObject({ message: "Object does not exist in the data store", sessionId: id });
    await expect(sessions.read(id)).rejects.toBeInstanceOf(SessionNotFoundError);
    expect(await storedRow(ctx.admin, id)).toBeUndefined();
  });

  test("nested changes are saved, and types survive", async () => {
    const { id } = await sessions.create({ cart: { items: [] as unknown[] } });
    await sessions.open(id, (session) => {
      session.data.cart.items.push({ sku: "A1", added: new Date("2026-11-25T10:00:00Z"), tags: new Set(["x"]) });
    });
    const { data } = await sessions.read(id);
    expect(data.cart.items).toEqual([{ sku: "A1", added: new Date("2026-11-25T10:00:00Z"), tags: new Set(["x"]) }]);
  });

  test("open returns the callback's result", async () => {
    const { id } = await sessions.create({ n: 41 });
    await expect(sessions.open(id, async (s) => (s.data.n as number) + 1)).resolves.toBe(42);
  });

  test("an unchanged session costs no UPDATE: BEGIN, SELECT ... FOR UPDATE, COMMIT", async () => {
    const { id } = await sessions.create({ user: "ann", deep: { list: [1, 2, 3] } });
    ctx.counting.statements.length = 0;
    await sessions.open(id, (session) => {
      void session.data.deep.list.length;
      session.data.user = "ann"; // same value: not a change
    });
    expect(ctx.counting.statements.filter((s) => /^\s*UPDATE/i.test(s))).toEqual([]);
    expect(ctx.counting.statements.map((s) => s.trim().split(/\s+/)[0]!.toUpperCase())).toEqual(["BEGIN", "SELECT", "COMMIT"]);
  });

  test("a changed session costs exactly one UPDATE", async () => {
    const { id } = await sessions.create({ n: 1 });
    ctx.counting.statements.length = 0;
    await sessions.open(id, (session) => {
      session.data.n = 2;
    });
    expect(ctx.counting.statements.filter((s) => /^\s*UPDATE/i.test(s))).toHaveLength(1);
  });

  test("status follows the seed: synced, modified (deeply), deleted", async () => {
    const { id } = await sessions.create({ a: { b: 1 } });
    const seen: string[] = [];
    await sessions.open(id, (session) => {
      seen.push(session.status);
      session.data.a.b = 2;
      seen.push(session.status);
      session.delete();
      seen.push(session.status);
    });
    expect(seen).toEqual(["synced", "modified", "deleted"]);
  });

  test("read takes no lock: it returns while the session is open elsewhere", async () => {
    const { id } = await sessions.create({ v: 1 });
    await sessions.open(id, async (session) => {
      session.data.v = 2;
      expect((await sessions.read(id)).data.v).toBe(1);
    });
    expect((await sessions.read(id)).data.v).toBe(2);
  });

  test("delete removes the row and says whether it existed; twice is harmless", async () => {
    const { id } = await sessions.create();
    await expect(sessions.delete(id)).resolves.toBe(true);
    await expect(sessions.delete(id)).resolves.toBe(false);
    expect(await storedRow(ctx.admin, id)).toBeUndefined();
  });
});

describe("_session_id is read-only", () => {
  test.each([
    ["assignment", (s: Session) => ((s.data as Record<string, unknown>)["_session_id"] = randomId())],
    ["delete", (s: Session) => delete (s.data as Record<string, unknown>)["_session_id"]],
    ["defineProperty", (s: Session) => Object.defineProperty(s.data, "_session_id", { value: randomId() })],
    ["Object.assign", (s: Session) => Object.assign(s.data, { _session_id: randomId() })],
  ])("%s is a typed error and writes to no row", async (_label, attempt) => {
    const victim = await sessions.create({ owner: "victim" });
    const { id } = await sessions.create({ owner: "attacker" });
    const before = await storedRow(ctx.admin, victim.id);
    await expect(sessions.open(id, (s) => void attempt(s))).rejects.toBeInstanceOf(ReadOnlyFieldError);
    expect(await storedRow(ctx.admin, victim.id)).toEqual(before);
    expect((await sessions.read(id)).data).toEqual({ owner: "attacker", _session_id: id });
  });
});

describe("clear, delete and flush inside a unit of work", () => {
  test("clear keeps the id and saves an empty session", async () => {
    const { id } = await sessions.create({ a: 1, b: { c: 2 } });
    await sessions.open(id, (s) => s.clear());
    expect((await sessions.read(id)).data).toEqual({ _session_id: id });
  });

  test("delete removes the row when the unit ends, not before", async () => {
    const { id } = await sessions.create({ a: 1 });
    await sessions.open(id, async (s) => {
      s.delete();
      s.delete();
      expect(await storedRow(ctx.admin, id)).toBeDefined();
    });
    expect(await storedRow(ctx.admin, id)).toBeUndefined();
  });

  test("flush clears and deletes", async () => {
    const { id } = await sessions.create({ a: 1 });
    await sessions.open(id, (s) => {
      s.flush();
      expect(s.data).toEqual({ _session_id: id });
    });
    expect(await storedRow(ctx.admin, id)).toBeUndefined();
  });

  test.each([
    ["a top-level write", (s: Session) => (s.data["x"] = 1)],
    ["clear()", (s: Session) => s.clear()],
    ["a nested write", (s: Session) => s.data["nested"].push(1)],
  ])("%s after delete is SessionDeletedError; nothing is removed or resurrected", async (_label, write) => {
    const { id } = await sessions.create({ nested: [] });
    const before = await storedRow(ctx.admin, id);
    const error = await sessions
      .open(id, (s) => {
        s.delete();
        write(s);
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionDeletedError);
    expect(await storedRow(ctx.admin, id)).toEqual(before);
  });
});

describe("failures roll back and reach the caller", () => {
  test("an error thrown in the unit of work rolls back its changes", async () => {
    const { id } = await sessions.create({ n: 1 });
    const boom = new Error("boom");
    await expect(
      sessions.open(id, (s) => {
        s.data.n = 2;
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect((await sessions.read(id)).data.n).toBe(1);
  });

  test("a failed save (payload too large) keeps the committed data", async () => {
    const small = new SessionManager({ prisma: ctx.counting.prisma, maxPayloadBytes: 200 });
    const { id } = await small.create({ n: 1 });
    const before = await storedRow(ctx.admin, id);
    await expect(small.open(id, (s) => void (s.data.big = "x".repeat(500)))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await storedRow(ctx.admin, id)).toEqual(before);
  });

  test.each([
    ["undecodable text", "{not json"],
    ["NULL", null],
  ])("a stored payload that is %s is CorruptPayloadError and stays as it was", async (_label, payload) => {
    const id = randomId();
    await ctx.admin.query("INSERT INTO sessions (id, a_session) VALUES ($1, $2)", [id, payload]);
    const error = await sessions.open(id, () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptPayloadError);
    expect(error).toMatchObject({ sessionId: id });
    await expect(sessions.read(id)).rejects.toBeInstanceOf(CorruptPayloadError);
    expect((await storedRow(ctx.admin, id))?.a_session).toBe(payload);
  });

  test("a session used after its unit of work ended is SessionClosedError", async () => {
    const { id } = await sessions.create({ n: 1 });
    let leaked: Session | undefined;
    await sessions.open(id, (s) => {
      leaked = s;
    });
    expect(() => (leaked!.data["n"] = 2)).toThrow(SessionClosedError);
    expect(() => leaked!.delete()).toThrow(SessionClosedError);
  });
});

describe("options", () => {
  test("a manager built on an existing store does not close it", async () => {
    const store = new PostgresStore({ datasourceUrl: ctx.url });
    const manager = new SessionManager({ store });
    const { id } = await manager.create();
    await manager.close();
    await expect(store.fetch({ id, serialized: null })).resolves.toMatchObject({ id });
    await store.close();
  });

  test("store options next to `store` are refused", () => {
    const store = new PostgresStore({ datasourceUrl: ctx.url });
    expect(() => new SessionManager({ store, tableName: "other" })).toThrow(TypeError);
    expect(() => new SessionManager({ store, tableName: "other" })).toThrow(/^With `store`, set tableName on the store instead$/);
    expect(() => new SessionManager({ store, lockTimeout: -5 })).toThrow(RangeError);
    expect(() => new SessionManager({ store, lockTimeout: -5 })).toThrow(/^lockTimeout must be /);
    return store.close();
  });
});
