import {
  LockTimeoutError,
  SessionClosedError,
  SessionManager,
  SessionNotFoundError,
  SessionReentryError,
  type Session,
} from "../../src/index.ts";
import { randomId } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// Lifecycle calls that used to resolve and do nothing (or something else than asked): each now does
// what it says or fails with a typed error.

let ctx: TestContext;
let sessions: SessionManager;
beforeAll(async () => {
  ctx = await initTest({ table: "noop" });
  sessions = new SessionManager({ prisma: ctx.prisma, tableName: ctx.table });
});
afterAll(() => destroyTest(ctx));

const lockTimeoutIn = async (tx: { $queryRawUnsafe<T>(sql: string): Promise<T> }) =>
  (await tx.$queryRawUnsafe<Array<{ lock_timeout: string }>>("SHOW lock_timeout"))[0]!.lock_timeout;

describe("lockTimeout inside the caller's transaction", () => {
  test("the caller's own lock_timeout is back once the row is locked", async () => {
    const { id } = await sessions.create({ n: 0 });
    const seen = await ctx.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("SET LOCAL lock_timeout = '7s'");
      const inner = new SessionManager({ prisma: tx, tableName: ctx.table, lockTimeout: 150 });
      const during = await inner.open(id, async (s) => {
        s.data["n"] = 1;
        return lockTimeoutIn(tx);
      });
      return { during, after: await lockTimeoutIn(tx) };
    });
    expect(seen).toEqual({ during: "7s", after: "7s" });
    expect((await sessions.read(id)).data["n"]).toBe(1);
  });

  test("...also when the session does not exist, and without a setting of the caller's", async () => {
    const after = await ctx.prisma.$transaction(async (tx) => {
      const inner = new SessionManager({ prisma: tx, tableName: ctx.table, lockTimeout: 150 });
      await expect(inner.open(randomId(), () => undefined)).rejects.toBeInstanceOf(SessionNotFoundError);
      return lockTimeoutIn(tx);
    });
    expect(after).toBe("0");
  });

  test("the lock wait itself is still bounded by lockTimeout", async () => {
    const { id } = await sessions.create({ n: 0 });
    let release!: () => void;
    const holding = sessions.open(id, () => new Promise<void>((resolve) => (release = resolve)));
    await waitUntilLocked(id);
    const waited = ctx.prisma.$transaction(async (tx) => {
      const inner = new SessionManager({ prisma: tx, tableName: ctx.table, lockTimeout: 150 });
      await inner.open(id, () => undefined);
    });
    await expect(waited).rejects.toBeInstanceOf(LockTimeoutError);
    release();
    await holding;
  });
});

describe("session.data = ...", () => {
  test("replaces the session's data, and the replacement is saved", async () => {
    const { id } = await sessions.create({ old: true, keep: "no" });
    await sessions.open(id, (s) => {
      (s as Session).data = { fresh: 1, at: new Date(0) } as never;
      expect(s.status).toBe("modified");
    });
    expect((await sessions.read(id)).data).toEqual({ fresh: 1, at: new Date(0), _session_id: id });
  });

  test("a replacement that changes _session_id is ReadOnlyFieldError, and nothing is saved", async () => {
    const { id } = await sessions.create({ n: 1 });
    await expect(
      sessions.open(id, (s) => {
        s.data = { _session_id: "f".repeat(32), n: 2 } as never;
      }),
    ).rejects.toMatchObject({ name: "ReadOnlyFieldError" });
    expect((await sessions.read(id)).data).toEqual({ n: 1, _session_id: id });
  });
});

describe("a session kept past its unit of work", () => {
  test("every write raises SessionClosedError, nested ones too; reads still work", async () => {
    const { id } = await sessions.create({
      cart: { items: ["a"] },
      prefs: new Map([["theme", "dark"]]),
      seen: new Set([1]),
      at: new Date(0),
      top: 1,
    });
    const kept = await sessions.open(id, (s) => s);
    const writes: Array<[string, () => unknown]> = [
      ["a nested push", () => kept.data["cart"].items.push("b")],
      ["a nested assignment", () => (kept.data["cart"].total = 3)],
      ["a nested delete", () => delete kept.data["cart"].items[0]],
      ["Map.set", () => kept.data["prefs"].set("theme", "light")],
      ["Set.add", () => kept.data["seen"].add(2)],
      ["Date.setFullYear", () => kept.data["at"].setFullYear(2030)],
      ["a top-level assignment", () => (kept.data["top"] = 2)],
      ["replacing the data", () => ((kept as Session).data = {} as never)],
      ["clear()", () => kept.clear()],
    ];
    for (const [label, write] of writes) {
      expect([label, catchError(write)]).toEqual([label, expect.any(SessionClosedError)]);
    }
    expect(kept.data["cart"].items).toEqual(["a"]);
    expect(kept.data["prefs"].get("theme")).toBe("dark");
    expect(kept.data["at"].getTime()).toBe(0);
    expect((await sessions.read(id)).data["cart"]).toEqual({ items: ["a"] });
  });

  test("inside the unit, the same nested writes are saved", async () => {
    const { id } = await sessions.create({ cart: { items: ["a"] }, prefs: new Map([["theme", "dark"]]), at: new Date(0) });
    await sessions.open(id, (s) => {
      s.data["cart"].items.push("b");
      s.data["prefs"].set("theme", "light");
      s.data["at"].setUTCFullYear(2030);
      // A nested object assigned elsewhere in the data is stored once, not as a proxy.
      s.data["copy"] = s.data["cart"];
    });
    const { data } = await sessions.read(id);
    expect(data["cart"]).toEqual({ items: ["a", "b"] });
    expect(data["copy"]).toBe(data["cart"]);
    expect(data["prefs"].get("theme")).toBe("light");
    expect(data["at"].getUTCFullYear()).toBe(2030);
  });
});

test("re-entry is recognised whatever the spelling of the table: sessions, public.sessions", async () => {
  const { id } = await sessions.create({});
  // lockTimeout bounds the wait that re-entry detection exists to prevent, should it not fire.
  const qualified = new SessionManager({ prisma: ctx.prisma, tableName: `public.${ctx.table}`, lockTimeout: 2000 });
  const inner = await sessions.open(id, () => qualified.open(id, () => "entered").catch((error: unknown) => error));
  expect(inner).toBeInstanceOf(SessionReentryError);
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

async function waitUntilLocked(id: string): Promise<void> {
  for (;;) {
    const { rows } = await ctx.admin.query(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = $1 AND l.mode = 'RowShareLock'`,
      [ctx.table],
    );
    if (rows[0].n > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
