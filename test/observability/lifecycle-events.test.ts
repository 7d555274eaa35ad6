// SessionManager's events (manager.on(...)) against a real PostgreSQL, and the typed emitter it shares
// with WebSessions: on, once, off, refused names, throwing listeners.
import pg from "pg";
import { InvalidSessionIdError, SessionManager, SessionNotFoundError, type SessionManagerOptions } from "../../src/index.ts";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { WebSessions } from "../../src/adapters/web/index.ts";
import { deferred, eventually, someoneWaitsForLock } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";
import { eventLog, handleOf, sqlHandleOf } from "./event-log.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

async function newManager(extra: Partial<SessionManagerOptions> = {}) {
  const table = await ctx.newTable("lc_events");
  const manager = new SessionManager({ pgPool: ctx.admin, tableName: table, ...extra });
  ctx.cleanup(() => manager.close());
  return { manager, table, events: eventLog(manager) };
}

const recent = () => ({ at: expect.any(Number) });

test("created by create, with the handle PostgreSQL computes for the row", async () => {
  const { manager, table, events } = await newManager();
  const before = Date.now();
  const { id } = await manager.create({ user: "ann" });
  expect(events.created).toEqual([{ table, ...recent(), handle: handleOf(id) }]);
  expect(events.created[0]!.handle).toBe(await sqlHandleOf(ctx.admin, table, id));
  expect(events.created[0]!.at).toBeGreaterThanOrEqual(before);
  expect(JSON.stringify(events.take())).not.toContain(id);
});

test("destroyed by delete and by a unit that deletes (not for a missing row); rotate: created and destroyed", async () => {
  const { manager, table, events } = await newManager();
  const [a, b, c] = [await manager.create(), await manager.create(), await manager.create()];
  events.take();
  expect(await manager.delete(a.id)).toBe(true);
  expect(await manager.delete(a.id)).toBe(false);
  await manager.open(b.id, (session) => session.delete());
  expect(events.destroyed).toEqual([
    { table, ...recent(), handle: handleOf(a.id), reason: "destroy" },
    { table, ...recent(), handle: handleOf(b.id), reason: "destroy" },
  ]);
  events.take();
  // A unit that changes data writes it: nothing is created or destroyed.
  await manager.open(c.id, (session) => void (session.data["n"] = 1));
  expect(events.take()).toEqual([]);
  const rotated = await manager.rotate(c.id);
  expect(events.take()).toEqual([
    ["created", { table, ...recent(), handle: handleOf(rotated) }],
    ["destroyed", { table, ...recent(), handle: handleOf(c.id), reason: "rotate" }],
  ]);
  // A unit whose fn throws writes nothing and deletes nothing.
  await expect(
    manager.open(rotated, (session) => {
      session.delete();
      throw new Error("changed my mind");
    }),
  ).rejects.toThrow("changed my mind");
  expect(events.destroyed).toEqual([]);
});

test("destroyed by revokes, with the handles the listing gave", async () => {
  const { manager, table, events } = await newManager();
  const one = await manager.create({}, { userId: "ann" });
  const two = await manager.create({}, { userId: "ann" });
  const { sessions } = await manager.userSessions("ann");
  expect(sessions.map((s) => s.handle).sort()).toEqual([handleOf(one.id), handleOf(two.id)].sort());
  events.take();
  expect(await manager.revokeUserSession("ann", handleOf(two.id))).toBe(true);
  expect(events.destroyed).toEqual([{ table, ...recent(), handle: handleOf(two.id), reason: "revoke" }]);
  events.take();
  expect(await manager.revokeUserSessions("ann")).toBe(1);
  expect(events.destroyed).toEqual([{ table, ...recent(), handle: handleOf(one.id), reason: "revoke" }]);
});

test("expiredOnRead: a read or open of a session past absoluteTimeout, or past its ttl; not of a live one", async () => {
  const { manager, table, events } = await newManager({ absoluteTimeout: 60, ttl: 3600 });
  const [old, idle, live] = [await manager.create(), await manager.create(), await manager.create()];
  const created = new Date(Date.now() - 120_000);
  await ctx.admin.query(`UPDATE "${table}" SET created_at = $2 WHERE id = $1`, [old.id, created]);
  const expired = new Date(Date.now() - 1000);
  await ctx.admin.query(`UPDATE "${table}" SET expires_at = $2 WHERE id = $1`, [idle.id, expired]);
  events.take();
  await manager.read(live.id);
  await manager.open(live.id, () => undefined);
  expect(events.take()).toEqual([]);

  await expect(manager.read(old.id)).rejects.toThrow(SessionNotFoundError);
  await expect(manager.open(idle.id, () => undefined)).rejects.toThrow(SessionNotFoundError);
  expect(events.expiredOnRead).toEqual([
    { table, ...recent(), handle: handleOf(old.id), expiredAt: created.getTime() + 60_000, reason: "absoluteTimeout" },
    { table, ...recent(), handle: handleOf(idle.id), expiredAt: expired.getTime(), reason: "expired" },
  ]);
});

test("lockWaited: open and rotate at or above the threshold, with their operation", async () => {
  const { manager, table, events } = await newManager({ lockWaitThreshold: 0 });
  const { id } = await manager.create();
  events.take();
  await manager.open(id, () => undefined);
  await manager.rotate(id);
  expect(events.lockWaited).toEqual([
    { table, ...recent(), handle: handleOf(id), operation: "open", waitedMs: expect.any(Number), thresholdMs: 0 },
    { table, ...recent(), handle: handleOf(id), operation: "rotate", waitedMs: expect.any(Number), thresholdMs: 0 },
  ]);
});

test("lockWaited: a unit waiting behind another's lock reports at least the wait seen in pg_locks; an uncontended one does not fire", async () => {
  // Above what an uncontended lock takes: what fires is the contended wait. Its own pool, named, so
  // that pg_stat_activity tells its waits from other test files'.
  const threshold = 100;
  const table = await ctx.newTable("lc_events");
  const manager = new SessionManager({ datasourceUrl: ctx.url, tableName: table, lockWaitThreshold: threshold });
  ctx.cleanup(() => manager.close());
  const events = eventLog(manager);
  const { id } = await manager.create();
  await manager.open(id, () => undefined);
  expect(events.lockWaited).toEqual([]);

  const release = deferred();
  const holding = deferred();
  const first = manager.open(id, async () => {
    holding.resolve();
    await release.promise;
  });
  await holding.promise;
  const second = manager.open(id, () => undefined);
  await eventually(() => someoneWaitsForLock(ctx.admin, ctx.applicationName));
  const seenWaiting = performance.now();
  // Held while the second unit is still seen waiting, until it has waited past the threshold.
  await eventually(async () => performance.now() - seenWaiting > threshold && (await someoneWaitsForLock(ctx.admin, ctx.applicationName)));
  expect(events.lockWaited).toEqual([]); // nothing before the lock is taken
  const released = performance.now();
  release.resolve();
  await Promise.all([first, second]);
  expect(events.lockWaited).toEqual([
    { table, ...recent(), handle: handleOf(id), operation: "open", waitedMs: expect.any(Number), thresholdMs: threshold },
  ]);
  expect(events.lockWaited[0]!.waitedMs).toBeGreaterThanOrEqual(released - seenWaiting);
});

test("lockWaited does not fire below the threshold", async () => {
  const { manager, events } = await newManager({ lockWaitThreshold: 3_600_000 });
  const { id } = await manager.create();
  await manager.open(id, () => undefined);
  await manager.rotate(id);
  expect(events.lockWaited).toEqual([]);
});

test("operationFailed: the failing operation and its error, also for what fn throws; the caller still gets it", async () => {
  const { manager, table, events } = await newManager();
  await expect(manager.open("0".repeat(32), () => undefined)).rejects.toThrow(SessionNotFoundError);
  await expect(manager.read("not hex")).rejects.toThrow(InvalidSessionIdError);
  const { id } = await manager.create();
  const boom = new Error("boom");
  await expect(
    manager.open(id, () => {
      throw boom;
    }),
  ).rejects.toBe(boom);
  expect(events.operationFailed).toEqual([
    { table, ...recent(), operation: "open", error: expect.any(SessionNotFoundError), durationMs: expect.any(Number) },
    { table, ...recent(), operation: "read", error: expect.any(InvalidSessionIdError), durationMs: expect.any(Number) },
    { table, ...recent(), operation: "open", error: boom, durationMs: expect.any(Number) },
  ]);
});

test("pruned: with absoluteTimeout (no lag: nothing expired), and with ttl (the lag of the oldest expired row)", async () => {
  const timed = await newManager({ absoluteTimeout: 60 });
  const { id } = await timed.manager.create();
  await ctx.admin.query(`UPDATE "${timed.table}" SET created_at = now() - interval '2 minutes' WHERE id = $1`, [id]);
  expect(await timed.manager.prune()).toBe(1);
  expect(timed.events.pruned).toEqual([{ table: timed.table, ...recent(), count: 1, durationMs: expect.any(Number), lagMs: undefined }]);

  const idle = await newManager({ ttl: 60 });
  const session = await idle.manager.create();
  await ctx.admin.query(`UPDATE "${idle.table}" SET expires_at = now() - interval '1 hour' WHERE id = $1`, [session.id]);
  expect(await idle.manager.prune()).toBe(1);
  expect(idle.events.pruned).toEqual([
    { table: idle.table, ...recent(), count: 1, durationMs: expect.any(Number), lagMs: expect.any(Number) },
  ]);
  expect(idle.events.pruned[0]!.lagMs).toBeGreaterThanOrEqual(3_600_000);
});

describe("the typed emitter", () => {
  test("once fires once; off removes a listener (also one added by once); listenerCount counts", async () => {
    const { manager } = await newManager();
    const seen: string[] = [];
    const always = () => void seen.push("always");
    const first = () => void seen.push("once");
    const never = () => void seen.push("never");
    const base = manager.listenerCount("created"); // the event log's
    manager.on("created", always).once("created", first).once("created", never).off("created", never);
    expect(manager.listenerCount("created")).toBe(base + 2);
    await manager.create();
    await manager.create();
    expect(seen).toEqual(["always", "once", "always"]);
    expect(manager.listenerCount("created")).toBe(base + 1);
    manager.off("created", always);
    expect(manager.listenerCount("created")).toBe(base);
    manager.off("created", always); // removing one that is not there does nothing
  });

  test("a misspelt event or a listener that is not a function is a TypeError", async () => {
    const { manager } = await newManager();
    expect(() => manager.on("create" as "created", () => undefined)).toThrow(/Unknown session event "create": one of created, /);
    expect(() => manager.on("created", "log" as unknown as () => void)).toThrow(TypeError);
  });

  test("a listener that throws is reported to console.error; the other listeners and the operation go on", async () => {
    const { manager, table } = await newManager();
    const reported: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void reported.push(args);
    try {
      let after = 0;
      manager.on("created", () => {
        throw new Error("broken listener");
      });
      manager.on("created", () => void (after += 1));
      const { id } = await manager.create();
      expect(after).toBe(1);
      expect(reported).toEqual([[expect.stringContaining("a session event listener threw"), new Error("broken listener")]]);
      expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM "${table}" WHERE id = $1`, [id])).rows[0].n).toBe(1);
    } finally {
      console.error = original;
    }
  });

  test("a bad telemetry or hashIds option opens nothing: no pool of the layer's own, no listener left on a given pool", async () => {
    const table = await ctx.newTable("lc_events");
    const bad = { telemetry: { meterProvider: {} as never } };
    const layers = {
      SessionManager: (options: object) => new SessionManager({ tableName: table, ...options }),
      PgSessionStore: (options: object) => new PgSessionStore({ tableName: table, pruneSessionInterval: false, ...options }),
      WebSessions: (options: object) => new WebSessions({ tableName: table, pruneSessionInterval: false, secret: "s", ...options }),
    };
    // Counts the pools node-postgres makes (the layers' own pool is a pg.Pool).
    const original = pg.Pool;
    let opened = 0;
    (pg as { Pool: unknown }).Pool = class extends original {
      constructor(...args: ConstructorParameters<typeof original>) {
        super(...args);
        opened += 1;
      }
    };
    try {
      for (const [name, make] of Object.entries(layers)) {
        expect(() => make({ datasourceUrl: ctx.url, ...bad })).toThrow(/meterProvider must be an OpenTelemetry MeterProvider/);
        expect([name, opened]).toEqual([name, 0]);
        if (name !== "SessionManager") {
          // The adapters' own options likewise (hashIds is theirs).
          expect(() => make({ datasourceUrl: ctx.url, hashIds: { secret: "" } })).toThrow(/hashIds must be/);
          expect([name, opened]).toEqual([name, 0]);
        }
        const given = new pg.Pool({ connectionString: ctx.url });
        try {
          const before = given.listenerCount("error");
          expect(() => make({ pgPool: given, onPoolError: () => undefined, ...bad })).toThrow(TypeError);
          expect([name, given.listenerCount("error")]).toEqual([name, before]);
        } finally {
          await given.end();
        }
        opened = 0;
        // The same layer with good options does open its pool: what is counted is the real thing.
        const layer = make({ datasourceUrl: ctx.url });
        expect([name, opened]).toEqual([name, 1]);
        await layer.close();
        opened = 0;
      }
    } finally {
      (pg as { Pool: unknown }).Pool = original;
    }
  });

  test("bad observability options are refused", async () => {
    const table = await ctx.newTable("lc_events");
    expect(() => new SessionManager({ pgPool: ctx.admin, tableName: table, lockWaitThreshold: -1 })).toThrow(RangeError);
    expect(() => new SessionManager({ pgPool: ctx.admin, tableName: table, telemetry: "yes" as unknown as boolean })).toThrow(TypeError);
    expect(() => new SessionManager({ pgPool: ctx.admin, tableName: table, telemetry: { meterProvider: {} as never } })).toThrow(
      /meterProvider must be an OpenTelemetry MeterProvider/,
    );
    expect(() => new SessionManager({ pgPool: ctx.admin, tableName: table, telemetry: { meter: 1 } as never })).toThrow(
      /telemetry does not use meter/,
    );
    expect(() => new SessionManager({ pgPool: ctx.admin, tableName: table, telemetry: {} })).toThrow(
      /give meterProvider, tracerProvider or both/,
    );
  });
});
