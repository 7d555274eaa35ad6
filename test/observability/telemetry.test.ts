// OpenTelemetry metrics and spans, read back from the SDK in memory (a MeterProvider the test collects
// from, an InMemorySpanExporter), against a real PostgreSQL. No thresholds on timings: presence,
// counts, attributes, and durations bounded by what the test itself measures around them.
import { metrics, trace } from "@opentelemetry/api";
import type { SessionData } from "express-session";
import { PgSessionStore, type PgSessionStoreOptions } from "../../src/adapters/express-session/index.ts";
import { WebSessions } from "../../src/adapters/web/index.ts";
import { SessionManager, StoreClosedError } from "../../src/index.ts";
import { deferred, eventually, randomId, someoneWaitsForLock } from "../support/database.ts";
import { PostgresStore } from "../../src/index.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";
import { cookieHeader } from "../adapters/web/fixture.ts";
import { telemetryFixture, type HistogramValue, type TelemetryFixture } from "./telemetry-fixture.ts";

let ctx: TestContext;
let fx: TelemetryFixture;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));
beforeEach(() => {
  fx = telemetryFixture();
});
afterEach(() => fx.shutdown());

const hour = 3_600_000;
const T0 = Date.parse("2026-11-25T12:00:00Z");

async function newStore(extra: Partial<PgSessionStoreOptions> = {}) {
  const table = await ctx.newTable("otel");
  const clock = { now: T0 };
  const store = new PgSessionStore({
    pgPool: ctx.admin,
    tableName: table,
    pruneSessionInterval: false,
    now: () => clock.now,
    telemetry: { meterProvider: fx.meterProvider, tracerProvider: fx.tracerProvider },
    ...extra,
  });
  ctx.cleanup(() => store.close());
  return { store, table, clock };
}

function sessionOf(data: Record<string, unknown>, expires = new Date(T0 + hour)): SessionData {
  return { cookie: { originalMaxAge: hour, expires, httpOnly: true, path: "/" }, ...data } as unknown as SessionData;
}

const histogram = (point: { value: unknown } | undefined) => point?.value as HistogramValue;

describe("PgSessionStore", () => {
  test("a span and a duration per operation, named by the operation, with the table", async () => {
    const { store, table } = await newStore();
    const sid = randomId();
    // Each operation's time as the caller sees it, on the clock the library measures with.
    const elapsed: Record<string, number> = {};
    const timed = async (operation: string, run: () => Promise<unknown>) => {
      const start = performance.now();
      await run();
      elapsed[operation] = (performance.now() - start) / 1000;
    };
    await timed("set", () => store.set(sid, sessionOf({ user: "ann" })));
    await timed("get", () => store.get(sid));
    await timed("touch", () => store.touch(sid, sessionOf({ user: "ann" }, new Date(T0 + 2 * hour))));
    await timed("destroy", () => store.destroy(sid));
    const spans = fx.takeSpans();
    expect(spans.map((span) => span.name)).toEqual(["session.set", "session.get", "session.touch", "session.destroy"]);
    for (const span of spans) {
      expect(span.kind).toBe(0); // INTERNAL: the database client's spans, if instrumented, nest inside
      expect(span.status.code).toBe(0);
      expect(span.instrumentationScope.name).toBe("prisma-pg-session");
      expect(span.attributes).toEqual({
        "db.system.name": "postgresql",
        "db.collection.name": table,
        "session.operation": span.name.slice("session.".length),
      });
    }
    const metric = (await fx.metrics()).get("session.operation.duration")!;
    expect(metric.descriptor.unit).toBe("s");
    for (const operation of ["set", "get", "touch", "destroy"]) {
      const points = await fx.points("session.operation.duration", { "session.operation": operation, "db.collection.name": table });
      expect(points).toHaveLength(1);
      expect(histogram(points[0]).count).toBe(1);
      // A statement's time, in seconds: more than nothing, within what the caller measured around it.
      expect(histogram(points[0]).sum).toBeGreaterThan(0);
      expect(histogram(points[0]).sum).toBeLessThanOrEqual(elapsed[operation]!);
    }
  });

  test("a failure: error status and the exception on the span, error.type on the duration", async () => {
    const { store } = await newStore();
    await store.close();
    await expect(store.get(randomId())).rejects.toThrow(StoreClosedError);
    const [span] = fx.takeSpans();
    expect(span!.name).toBe("session.get");
    expect(span!.status).toEqual({ code: 2, message: "session.get failed: StoreClosedError" });
    expect(span!.attributes["error.type"]).toBe("StoreClosedError");
    expect(span!.events.map((event) => event.name)).toEqual(["exception"]);
    expect(span!.events[0]!.attributes!["exception.type"]).toBe("StoreClosedError");
    const points = await fx.points("session.operation.duration", { "session.operation": "get", "error.type": "StoreClosedError" });
    expect(histogram(points[0]).count).toBe(1);
  });

  test("session.batch.size: concurrent gets coalesced into one statement record its size", async () => {
    const { store, table } = await newStore();
    const sids = Array.from({ length: 16 }, () => randomId());
    for (const sid of sids) {
      await ctx.admin.query(`INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, '{"json":{}}', $2)`, [
        sid,
        new Date(T0 + hour),
      ]);
    }
    await Promise.all(sids.map((sid) => store.get(sid)));
    const [point] = await fx.points("session.batch.size", { "session.statement": "read", "db.collection.name": table });
    expect(histogram(point)).toMatchObject({ count: 1, sum: 16, max: 16 });
    expect((await fx.metrics()).get("session.batch.size")!.descriptor.unit).toBe("{operation}");
  });

  test("session.batch.size with one store shared by layers: each layer's telemetry records it until that layer is closed", async () => {
    const table = await ctx.newTable("otel");
    const shared = new PostgresStore({ pgPool: ctx.admin, tableName: table });
    ctx.cleanup(() => shared.close());
    const other = telemetryFixture();
    try {
      const store = new PgSessionStore({ store: shared, pruneSessionInterval: false, telemetry: { meterProvider: fx.meterProvider } });
      ctx.cleanup(() => store.close());
      // Attached last, on another provider; and a third layer on the same provider as the second.
      const manager = new SessionManager({ store: shared, telemetry: { meterProvider: other.meterProvider } });
      const again = new SessionManager({ store: shared, telemetry: { meterProvider: other.meterProvider } });
      ctx.cleanup(() => manager.close());
      ctx.cleanup(() => again.close());
      const reads = async (n: number) => void (await Promise.all(Array.from({ length: n }, () => shared.readRow(randomId()))));
      const batches = async (where: TelemetryFixture) =>
        (await where.points("session.batch.size", { "session.statement": "read", "db.collection.name": table })).map((p) =>
          histogram(p),
        )[0];
      await reads(4);
      expect(await batches(fx)).toMatchObject({ count: 1, sum: 4 });
      // One statement is one record per provider, however many layers on it observe the store.
      expect(await batches(other)).toMatchObject({ count: 1, sum: 4 });
      // Closed, a layer is no longer told (nor kept); the others still are.
      await store.close();
      await again.close();
      await reads(3);
      expect(await batches(fx)).toMatchObject({ count: 1, sum: 4 });
      expect(await batches(other)).toMatchObject({ count: 2, sum: 7 });
    } finally {
      await other.shutdown();
    }
  });

  test("session.batch.size is not recorded without coalescing (batch: false)", async () => {
    const { store, table } = await newStore({ batch: false });
    await store.get(randomId());
    expect(await fx.points("session.batch.size", { "db.collection.name": table })).toEqual([]);
  });

  test("counters: created, write.skipped, destroyed, expired_on_read", async () => {
    const { store, table, clock } = await newStore();
    const [sid, expiring] = [randomId(), randomId()];
    await store.set(sid, sessionOf({ user: "ann" }));
    await store.set(expiring, sessionOf({}, new Date(T0 + 1000)));
    await store.get(sid);
    await store.set(sid, sessionOf({ user: "ann" }));
    await store.destroy(sid);
    clock.now = T0 + 2000;
    await store.get(expiring);
    const value = async (name: string, attributes: Record<string, unknown> = {}) =>
      (await fx.points(name, { "db.collection.name": table, ...attributes })).map((point) => point.value);
    expect(await value("session.created")).toEqual([2]);
    expect(await value("session.write.skipped", { "session.operation": "set", "session.reason": "unchanged" })).toEqual([1]);
    expect(await value("session.destroyed", { "session.reason": "destroy" })).toEqual([1]);
    expect(await value("session.expired_on_read", { "session.reason": "expired" })).toEqual([1]);
  });

  test("prune: session.pruned, session.prune.lag, and session.live as counted after it", async () => {
    const { store, table } = await newStore();
    const insert = (expires: Date | null) =>
      ctx.admin.query(`INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, '{}', $2)`, [randomId(), expires]);
    await insert(new Date(T0 - 5000));
    await insert(new Date(T0 - 1000));
    for (let i = 0; i < 3; i++) await insert(new Date(T0 + hour));
    await insert(null); // a row without expiry (the lifecycle API's) is live
    expect(await fx.points("session.live", { "db.collection.name": table })).toEqual([]); // not counted before a prune
    expect(await store.prune()).toBe(2);
    expect((await fx.points("session.pruned", { "db.collection.name": table })).map((p) => p.value)).toEqual([2]);
    const lag = await fx.points("session.prune.lag", { "db.collection.name": table });
    expect(histogram(lag[0])).toMatchObject({ count: 1, sum: 5 });
    expect((await fx.points("session.live", { "db.collection.name": table })).map((p) => p.value)).toEqual([4]);
  });

  test("session.live is observed on every collection until the store is closed", async () => {
    const delta = telemetryFixture("delta");
    try {
      const { store, table } = await newStore({ telemetry: { meterProvider: delta.meterProvider } });
      await store.prune();
      expect((await delta.points("session.live", { "db.collection.name": table })).map((p) => p.value)).toEqual([0]);
      expect((await delta.points("session.live", { "db.collection.name": table })).map((p) => p.value)).toEqual([0]);
      await store.close();
      expect(await delta.points("session.live", { "db.collection.name": table })).toEqual([]);
    } finally {
      await delta.shutdown();
    }
  });

  test("telemetry.liveSessions: false reports no session.live", async () => {
    const { store, table } = await newStore({ telemetry: { meterProvider: fx.meterProvider, liveSessions: false } });
    await store.prune();
    expect(await fx.points("session.pruned", { "db.collection.name": table })).toHaveLength(1);
    expect(await fx.points("session.live", { "db.collection.name": table })).toEqual([]);
  });

  test("only what is given is recorded: spans without a meterProvider, metrics without a tracerProvider", async () => {
    const spansOnly = await newStore({ telemetry: { tracerProvider: fx.tracerProvider } });
    await spansOnly.store.get(randomId());
    expect(fx.takeSpans().map((span) => span.name)).toEqual(["session.get"]);
    expect(await fx.points("session.operation.duration", { "db.collection.name": spansOnly.table })).toEqual([]);
    const metricsOnly = await newStore({ telemetry: { meterProvider: fx.meterProvider } });
    await metricsOnly.store.get(randomId());
    expect(fx.takeSpans()).toEqual([]);
    expect(await fx.points("session.operation.duration", { "db.collection.name": metricsOnly.table })).toHaveLength(1);
  });
});

test("SessionManager: spans of its operations, and session.lock.wait.duration of open and rotate", async () => {
  const table = await ctx.newTable("otel");
  const manager = new SessionManager({
    // Its own pool, named: pg_stat_activity tells its lock waits from other test files'.
    datasourceUrl: ctx.url,
    tableName: table,
    telemetry: { meterProvider: fx.meterProvider, tracerProvider: fx.tracerProvider },
  });
  ctx.cleanup(() => manager.close());
  const { id } = await manager.create({ n: 1 });
  await manager.open(id, (session) => void (session.data["n"] = 2));
  await manager.read(id);
  const rotated = await manager.rotate(id);
  await manager.delete(rotated);
  expect(fx.takeSpans().map((span) => span.name)).toEqual([
    "session.create",
    "session.open",
    "session.read",
    "session.rotate",
    "session.delete",
  ]);
  // An open that waits behind another's lock: its wait covers at least what pg_stat_activity showed.
  const { id: contended } = await manager.create();
  const release = deferred();
  const holding = deferred();
  const first = manager.open(contended, async () => {
    holding.resolve();
    await release.promise;
  });
  await holding.promise;
  const second = manager.open(contended, () => undefined);
  await eventually(() => someoneWaitsForLock(ctx.admin, ctx.applicationName));
  const seenWaiting = performance.now();
  const released = performance.now();
  release.resolve();
  await Promise.all([first, second]);
  fx.takeSpans();
  const lockWait = async (operation: string) =>
    histogram((await fx.points("session.lock.wait.duration", { "session.operation": operation, "db.collection.name": table }))[0]);
  // One record per lock taken: three opens, one rotation.
  expect(await lockWait("open")).toMatchObject({ count: 3 });
  expect(await lockWait("rotate")).toMatchObject({ count: 1 });
  expect((await lockWait("open")).max).toBeGreaterThanOrEqual((released - seenWaiting) / 1000);
  expect((await fx.points("session.created", { "db.collection.name": table })).map((p) => p.value)).toEqual([3]);
  expect((await fx.points("session.destroyed", { "db.collection.name": table, "session.reason": "rotate" })).map((p) => p.value)).toEqual([
    1,
  ]);
});

test("WebSessions: spans of the engine's operations, and the lock's wait", async () => {
  const table = await ctx.newTable("otel");
  const sessions = new WebSessions<{ n?: number }>({
    pgPool: ctx.admin,
    tableName: table,
    secret: "otel secret",
    pruneSessionInterval: false,
    cookie: { maxAge: 3600 },
    telemetry: { meterProvider: fx.meterProvider, tracerProvider: fx.tracerProvider },
  });
  ctx.cleanup(() => sessions.close());
  const fresh = await sessions.load(new Request("http://app.test/"));
  fresh.data.n = 1;
  const cookie = cookieHeader(await sessions.commit(fresh));
  const session = await sessions.load(new Request("http://app.test/", { headers: { cookie } }));
  await sessions.lock(session, (s) => void (s.data.n = 2));
  await sessions.destroy(session);
  expect(fx.takeSpans().map((span) => span.name)).toEqual(["session.save", "session.read", "session.lock", "session.remove"]);
  const [point] = await fx.points("session.lock.wait.duration", { "session.operation": "lock", "db.collection.name": table });
  expect(histogram(point).count).toBe(1);
});

describe("with global providers registered", () => {
  beforeEach(() => {
    metrics.setGlobalMeterProvider(fx.meterProvider);
    trace.setGlobalTracerProvider(fx.tracerProvider);
  });
  afterEach(() => {
    metrics.disable();
    trace.disable();
  });

  test("telemetry off (the default): nothing is recorded", async () => {
    const { store, clock } = await newStore({ telemetry: undefined, lockWaitThreshold: 0 });
    const manager = new SessionManager({ pgPool: ctx.admin, tableName: store.store.tableName });
    ctx.cleanup(() => manager.close());
    const sid = randomId();
    await store.set(sid, sessionOf({}, new Date(T0 + 1000)));
    await store.get(sid);
    await store.set(sid, sessionOf({}, new Date(T0 + 1000)));
    clock.now = T0 + 2000;
    await store.get(sid);
    await store.prune();
    await manager.open((await manager.create()).id, () => undefined);
    await store.close();
    await expect(store.get(sid)).rejects.toThrow(StoreClosedError);
    expect(fx.takeSpans()).toEqual([]);
    expect([...(await fx.metrics()).keys()]).toEqual([]);
  });

  test("telemetry: true records to them", async () => {
    const { store, table } = await newStore({ telemetry: true });
    await store.get(randomId());
    expect(fx.takeSpans().map((span) => span.name)).toEqual(["session.get"]);
    expect(await fx.points("session.operation.duration", { "db.collection.name": table })).toHaveLength(1);
  });
});
