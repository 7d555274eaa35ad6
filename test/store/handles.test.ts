import type pg from "pg";
import { PostgresStore, StoreClosedError } from "../../src/index.ts";
import { adminPool, newPrismaClient, randomId, storedRow, testDatabaseUrl, type TestPrismaClient } from "../support/database.ts";
import { openConnectionsOf } from "../support/open-connections.ts";

let pool: pg.Pool;
let prisma: TestPrismaClient;

beforeAll(() => {
  pool = adminPool();
  prisma = newPrismaClient();
});
afterAll(async () => {
  await prisma.$disconnect();
  await pool.end();
});

describe("own connection (datasourceUrl)", () => {
  test("close() disconnects the client the store opened, is idempotent, and later calls fail clearly", async () => {
    const url = new URL(testDatabaseUrl());
    url.searchParams.set("application_name", `own_${randomId().slice(0, 8)}`);
    const name = url.searchParams.get("application_name")!;
    const store = new PostgresStore({ datasourceUrl: url.toString() });
    await store.insert({ id: randomId(), serialized: "x" });
    expect(await openConnectionsOf(name)).toBeGreaterThan(0);
    await Promise.all([store.close(), store.close()]);
    await expect(store.close()).resolves.toBeUndefined();
    expect(store.closed).toBe(true);
    expect(await openConnectionsOf(name)).toBe(0);
    await expect(store.insert({ id: randomId(), serialized: "x" })).rejects.toBeInstanceOf(StoreClosedError);
    await expect(store.transaction(async () => 1)).rejects.toBeInstanceOf(StoreClosedError);
  });

  test("user and password override the URL's", async () => {
    const url = new URL(testDatabaseUrl());
    url.username = "nobody_here";
    const store = new PostgresStore({ datasourceUrl: url.toString(), user: "postgres", password: "p@ss:/word" });
    try {
      await store.insert({ id: randomId(), serialized: "as postgres" });
    } finally {
      await store.close();
    }
  });

  test("commit: false rolls back every transaction at its end (a dry run)", async () => {
    const store = new PostgresStore({ datasourceUrl: testDatabaseUrl(), commit: false });
    const id = randomId();
    try {
      await expect(store.transaction(async (tx) => (await tx.insert({ id, serialized: "x" }), "result"))).resolves.toBe("result");
      await store.insert({ id, serialized: "alone" });
      expect(await storedRow(pool, id)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

describe("Handle: an existing PrismaClient", () => {
  test("is used, and never disconnected by close()", async () => {
    const store = new PostgresStore({ prisma });
    const id = randomId();
    await store.insert({ id, serialized: "via handle" });
    await store.close();
    const rows = await prisma.$queryRawUnsafe<Array<{ a_session: string }>>("SELECT a_session FROM sessions WHERE id = $1", id);
    expect(rows[0]?.a_session).toBe("via handle");
  });

  test("an $extends client works as a handle", async () => {
    const extended = prisma.$extends({ client: { $hello: () => "hi" } });
    const store = new PostgresStore({ prisma: extended });
    const id = randomId();
    await store.transaction(async (tx) => {
      await tx.insert({ id, serialized: "ext" });
      await tx.materialize({ id, serialized: null });
    });
    expect((await storedRow(pool, id))?.a_session).toBe("ext");
  });
});

describe("Handle: a transaction client from the caller's $transaction", () => {
  test("store writes join the caller's transaction: the caller's rollback undoes them", async () => {
    const id = randomId();
    const failure = new Error("caller rolls back");
    await expect(
      prisma.$transaction(async (tx) => {
        const store = new PostgresStore({ prisma: tx });
        expect(store.joinsCallerTransaction).toBe(true);
        await store.insert({ id, serialized: "x" });
        await store.transaction(async (stx) => stx.update({ id, serialized: "y" }));
        // Visible inside the caller's transaction, not outside it.
        expect((await store.materialize({ id, serialized: null })).serialized).toBe("y");
        expect(await storedRow(pool, id)).toBeUndefined();
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await storedRow(pool, id)).toBeUndefined();
  });

  test("the caller's commit keeps them", async () => {
    const id = randomId();
    await prisma.$transaction(async (tx) => {
      const store = new PostgresStore({ prisma: tx });
      await store.insert({ id, serialized: "committed by caller" });
    });
    expect((await storedRow(pool, id))?.a_session).toBe("committed by caller");
  });

  test("commit: false is refused: the caller owns commit", async () => {
    await prisma.$transaction(async (tx) => {
      expect(() => new PostgresStore({ prisma: tx, commit: false })).toThrow(/owner commits/);
    });
  });
});

describe("options", () => {
  test.each([
    ["neither prisma nor datasourceUrl", {}],
    ["both", { datasourceUrl: "postgresql://x@localhost/db", prisma: {} as never }],
    ["a non-postgres URL", { datasourceUrl: "mysql://x@localhost/db" }],
    ["a malformed URL", { datasourceUrl: "not a url" }],
    ["user with a handle", { prisma: {} as never, user: "x" }],
  ])("%s is a TypeError", (_label, options) => {
    expect(() => new PostgresStore(options)).toThrow(TypeError);
  });

  test.each([
    ["timeout", { timeout: -1 }],
    ["maxWait", { maxWait: 0 }],
    ["maxPayloadBytes", { maxPayloadBytes: Number.NaN }],
  ])("a bad %s is a RangeError naming it", (name, extra) => {
    expect(() => new PostgresStore({ datasourceUrl: testDatabaseUrl(), ...extra })).toThrow(new RegExp(name));
  });
});
