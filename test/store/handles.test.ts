import pg from "pg";
import { PostgresStore, StoreClosedError, StoreUnavailableError } from "../../src/index.ts";
import { randomId, storedRow } from "../support/database.ts";
import { openConnectionsOf } from "../support/open-connections.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";
import { ThrowawayCluster } from "../support/throwaway-cluster.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

describe("own connection (datasourceUrl)", () => {
  test("close() disconnects the client the store opened, is idempotent, and later calls fail clearly", async () => {
    const url = new URL(ctx.url);
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

  // The test server trusts every connection, so this runs on a cluster of its own that checks
  // passwords (scram-sha-256): there a wrong password fails, and a wrong user too.
  test("user and password override the URL's: the right ones connect as that user, a wrong one is StoreUnavailableError", async () => {
    const cluster = await ThrowawayCluster.create("app", { passwords: true });
    try {
      const user = "session_app";
      const password = "p@ss:/word %41"; // characters a URL would have to escape
      const admin = new pg.Client({ connectionString: cluster.url() });
      await admin.connect();
      try {
        await admin.query(`CREATE ROLE ${user} LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
        await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO ${user}`);
      } finally {
        await admin.end();
      }
      const urlOf = (userinfo: string) => cluster.url().replace("postgres@", `${userinfo}@`);
      /** Who a store with these options is connected as (and that it can write), or the error it fails with. */
      const connectAs = async (options: { datasourceUrl: string; user?: string; password?: string }) => {
        const store = new PostgresStore(options);
        try {
          const id = randomId();
          await store.insert({ id, serialized: "x" });
          const rows = await store.query<{ current_user: string }>("SELECT current_user", []);
          return { user: rows[0]!.current_user, stored: (await store.fetch({ id, serialized: null })).serialized };
        } catch (error) {
          return { error };
        } finally {
          await store.close();
        }
      };

      // The URL's user does not exist and its password is wrong: the options replace both.
      await expect(connectAs({ datasourceUrl: urlOf("nobody_here:wrong"), user, password })).resolves.toEqual({ user, stored: "x" });
      // The URL alone is right (the server does check passwords)...
      await expect(connectAs({ datasourceUrl: urlOf(`${user}:${encodeURIComponent(password)}`) })).resolves.toEqual({ user, stored: "x" });
      // ...and a wrong `password`, or a wrong `user`, replaces what the URL got right.
      const refused: Array<[{ user?: string; password?: string }, string]> = [
        [{ password: "wrong" }, user],
        [{ password: `${password} ` }, user],
        [{ user: "nobody_here" }, "nobody_here"],
      ];
      for (const [options, refusedUser] of refused) {
        const outcome = await connectAs({ datasourceUrl: urlOf(`${user}:${encodeURIComponent(password)}`), ...options });
        expect(outcome).toEqual({ error: expect.any(StoreUnavailableError) });
        const error = (outcome as { error: StoreUnavailableError }).error;
        expect(error.message).toBe(`Session store unavailable: password authentication failed for user "${refusedUser}"`);
        expect(error.cause).toMatchObject({ code: "28P01" });
      }
    } finally {
      await cluster.destroy();
    }
  }, 60_000);

  test("commit: false rolls back every transaction at its end (a dry run)", async () => {
    const store = new PostgresStore({ datasourceUrl: ctx.url, commit: false });
    const id = randomId();
    try {
      await expect(store.transaction(async (tx) => (await tx.insert({ id, serialized: "x" }), "result"))).resolves.toBe("result");
      await store.insert({ id, serialized: "alone" });
      expect(await storedRow(ctx.admin, id)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

describe("Handle: an existing PrismaClient", () => {
  test("is used, and never disconnected by close()", async () => {
    const store = new PostgresStore({ prisma: ctx.prisma });
    const id = randomId();
    await store.insert({ id, serialized: "via handle" });
    await store.close();
    const rows = await ctx.prisma.$queryRawUnsafe<Array<{ a_session: string }>>("SELECT a_session FROM sessions WHERE id = $1", id);
    expect(rows[0]?.a_session).toBe("via handle");
  });

  test("an $extends client works as a handle", async () => {
    const extended = ctx.prisma.$extends({ client: { $hello: () => "hi" } });
    const store = new PostgresStore({ prisma: extended });
    const id = randomId();
    await store.transaction(async (tx) => {
      await tx.insert({ id, serialized: "ext" });
      await tx.materialize({ id, serialized: null });
    });
    expect((await storedRow(ctx.admin, id))?.a_session).toBe("ext");
  });
});

describe("Handle: a transaction client from the caller's $transaction", () => {
  test("store writes join the caller's transaction: the caller's rollback undoes them", async () => {
    const id = randomId();
    const failure = new Error("caller rolls back");
    await expect(
      ctx.prisma.$transaction(async (tx) => {
        const store = new PostgresStore({ prisma: tx });
        expect(store.joinsCallerTransaction).toBe(true);
        await store.insert({ id, serialized: "x" });
        await store.transaction(async (stx) => stx.update({ id, serialized: "y" }));
        // Visible inside the caller's transaction, not outside it.
        expect((await store.materialize({ id, serialized: null })).serialized).toBe("y");
        expect(await storedRow(ctx.admin, id)).toBeUndefined();
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await storedRow(ctx.admin, id)).toBeUndefined();
  });

  test("the caller's commit keeps them", async () => {
    const id = randomId();
    await ctx.prisma.$transaction(async (tx) => {
      const store = new PostgresStore({ prisma: tx });
      await store.insert({ id, serialized: "committed by caller" });
    });
    expect((await storedRow(ctx.admin, id))?.a_session).toBe("committed by caller");
  });

  test("commit: false is refused: the caller owns commit", async () => {
    await ctx.prisma.$transaction(async (tx) => {
      expect(() => new PostgresStore({ prisma: tx, commit: false })).toThrow(TypeError);
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
    const construct = () => new PostgresStore({ datasourceUrl: ctx.url, ...extra });
    expect(construct).toThrow(RangeError);
    expect(construct).toThrow(new RegExp(`^${name} must be a positive number`));
  });
});
