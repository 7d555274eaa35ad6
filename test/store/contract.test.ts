import {
  DuplicateSessionIdError,
  InvalidSessionIdError,
  CorruptPayloadError,
  PayloadTooLargeError,
  PostgresStore,
  SessionNotFoundError,
} from "../../src/index.ts";
import { randomId, storedRow } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest({ store: true });
});
afterAll(() => destroyTest(ctx));

describe("the seed's store contract", () => {
  test("insert then materialize returns what was stored", async () => {
    const id = randomId();
    await ctx.store.insert({ id, serialized: "hello" });
    const record = { id, serialized: null as string | null };
    await expect(ctx.store.materialize(record)).resolves.toBe(record);
    expect(record.serialized).toBe("hello");
  });

  test("insert of an existing id is a typed duplicate error and leaves the row alone", async () => {
    const id = randomId();
    await ctx.store.insert({ id, serialized: "first" });
    const error = await ctx.store.insert({ id, serialized: "second" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuplicateSessionIdError);
    expect(error).toMatchObject({ name: "DuplicateSessionIdError", sessionId: id, table: "sessions" });
    // The driver's own error (the store's own connection is node-postgres), with its SQLSTATE.
    expect((error as Error).cause).toMatchObject({ code: "23505" });
    expect((await storedRow(ctx.admin, id))?.a_session).toBe("first");
  });

  test("update changes the payload and reports one row", async () => {
    const id = randomId();
    await ctx.store.insert({ id, serialized: "v1" });
    await expect(ctx.store.update({ id, serialized: "v2" })).resolves.toBe(1);
    expect((await storedRow(ctx.admin, id))?.a_session).toBe("v2");
  });

  test("update of a missing id reports zero rows and creates nothing", async () => {
    const id = randomId();
    await expect(ctx.store.update({ id, serialized: "v" })).resolves.toBe(0);
    expect(await storedRow(ctx.admin, id)).toBeUndefined();
  });

  test("materialize of a missing id raises the seed's not-found message", async () => {
    const id = randomId();
    const error = await ctx.store.materialize({ id, serialized: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionNotFoundError);
    expect(error).toMatchObject({ message: "Object does not exist in the data store", sessionId: id });
    expect(await storedRow(ctx.admin, id)).toBeUndefined();
  });

  test("remove deletes the row and reports it; removing again reports zero", async () => {
    const id = randomId();
    await ctx.store.insert({ id, serialized: "x" });
    await expect(ctx.store.remove({ id })).resolves.toBe(1);
    expect(await storedRow(ctx.admin, id)).toBeUndefined();
    await expect(ctx.store.remove({ id })).resolves.toBe(0);
  });

  test("a NULL a_session round-trips as null", async () => {
    const id = randomId();
    await ctx.store.insert({ id, serialized: null });
    expect((await storedRow(ctx.admin, id))?.a_session).toBeNull();
    const record = await ctx.store.materialize({ id, serialized: "not yet" });
    expect(record.serialized).toBeNull();
  });

  test("a 1 MB payload round-trips unchanged", async () => {
    const id = randomId();
    const big = "é".repeat(512 * 1024) + "x".repeat(1024);
    await ctx.store.insert({ id, serialized: big });
    expect((await ctx.store.materialize({ id, serialized: null })).serialized).toBe(big);
  });

  test("ids shorter than the column are kept as given (the seed's IDLength < 32)", async () => {
    const id = randomId().slice(0, 8);
    await ctx.store.insert({ id, serialized: "short" });
    expect((await ctx.store.materialize({ id, serialized: null })).serialized).toBe("short");
    expect(await ctx.store.remove({ id })).toBe(1);
  });

  test("quotes and semicolons in an id are data, not SQL", async () => {
    const id = `a'b";--${randomId().slice(0, 8)}`;
    await ctx.store.insert({ id, serialized: "quoted" });
    expect((await ctx.store.materialize({ id, serialized: null })).serialized).toBe("quoted");
    const { rows } = await ctx.admin.query("SELECT count(*)::int AS n FROM sessions WHERE id = $1", [id]);
    expect(rows[0].n).toBe(1);
  });
});

describe("bad input is a typed error and changes no row", () => {
  const canary = randomId();
  beforeAll(async () => {
    await ctx.store.insert({ id: canary, serialized: "canary" });
  });
  afterEach(async () => {
    expect(await storedRow(ctx.admin, canary)).toEqual({ id: canary, a_session: "canary" });
  });

  test.each([
    ["empty", ""],
    ["33 characters", "a".repeat(33)],
    ["non-ASCII", "sessión"],
    ["a space", "ab cd"],
    ["a trailing space (char(n) would match another row)", `${canary.slice(0, 31)} `],
    ["a NUL byte", "ab\0cd"],
    ["a newline", `${canary}\n`],
    ["not a string", 42 as unknown as string],
  ])("id with %s", async (_label, id) => {
    for (const attempt of [
      () => ctx.store.insert({ id, serialized: "x" }),
      () => ctx.store.update({ id, serialized: "x" }),
      () => ctx.store.materialize({ id, serialized: null }),
      () => ctx.store.remove({ id }),
    ]) {
      await expect(attempt()).rejects.toBeInstanceOf(InvalidSessionIdError);
    }
  });

  test("a too-long id says how long the column is and how to widen it", async () => {
    const tooLong = ctx.store.insert({ id: "f".repeat(40), serialized: "x" });
    await expect(tooLong).rejects.toThrow(InvalidSessionIdError);
    await expect(tooLong).rejects.toThrow(/holds 32 \(char\(32\)\).*widen the column/);
  });

  test("the database's own length check is mapped too (maxIdLength larger than the column)", async () => {
    const loose = new PostgresStore({ datasourceUrl: ctx.url, maxIdLength: 64 });
    try {
      const error = await loose.insert({ id: "f".repeat(40), serialized: "x" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidSessionIdError);
      expect((error as Error).message).toMatch(/longer than the id column/);
    } finally {
      await loose.close();
    }
  });

  test.each([
    ["a NUL byte", "a\0b"],
    ["an unpaired surrogate", "a\ud800b"],
  ])("payload with %s is refused instead of being altered", async (_label, serialized) => {
    await expect(ctx.store.update({ id: canary, serialized })).rejects.toBeInstanceOf(CorruptPayloadError);
    const id = randomId();
    await expect(ctx.store.insert({ id, serialized })).rejects.toBeInstanceOf(CorruptPayloadError);
    expect(await storedRow(ctx.admin, id)).toBeUndefined();
  });

  test("a payload over maxPayloadBytes is refused", async () => {
    const small = new PostgresStore({ datasourceUrl: ctx.url, maxPayloadBytes: 1000 });
    try {
      await expect(small.update({ id: canary, serialized: "é".repeat(501) })).rejects.toBeInstanceOf(PayloadTooLargeError);
      await expect(small.update({ id: canary, serialized: "é".repeat(500) })).resolves.toBe(1);
      await small.update({ id: canary, serialized: "canary" });
    } finally {
      await small.close();
    }
  });
});
