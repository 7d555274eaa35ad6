// PgSessionStore's events (store.on(...)), against a real PostgreSQL: each fires with its payload when
// it should, and not when it should not. The adapter's clock is moved, never slept on.
import type { Server } from "node:http";
import express from "express";
import session from "express-session";
import type { SessionData } from "express-session";
import { lockedSession, PgSessionStore, type Logger } from "../../src/adapters/express-session/index.ts";
import { InvalidSessionIdError, StoreClosedError } from "../../src/index.ts";
import { deferred, eventually, randomId, someoneWaitsForLock } from "../support/database.ts";
import { baseUrl, CookieClient } from "../support/http.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";
import { eventLog, handleOf, sqlHandleOf } from "./event-log.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

const hour = 3_600_000;
const T0 = Date.parse("2026-11-25T12:00:00Z");

async function newStore(extra: Partial<ConstructorParameters<typeof PgSessionStore>[0]> = {}) {
  const table = await ctx.newTable("events");
  const clock = { now: T0 };
  const store = new PgSessionStore({ pgPool: ctx.admin, tableName: table, pruneSessionInterval: false, now: () => clock.now, ...extra });
  ctx.cleanup(() => store.close());
  return { store, table, clock, events: eventLog(store) };
}

function sessionOf(data: Record<string, unknown>, expires = new Date(T0 + hour)): SessionData {
  return { cookie: { originalMaxAge: hour, expires, httpOnly: true, path: "/" }, ...data } as unknown as SessionData;
}

test("created: a new session's first save, with the handle of its row; not a later save of a session read live", async () => {
  const { store, table, events } = await newStore();
  const sid = randomId();
  await store.set(sid, sessionOf({ user: "ann" }));
  expect(events.created).toEqual([{ table, at: T0, handle: handleOf(sid) }]);
  // The handle is the one PostgreSQL computes for the row (what userSessions() lists).
  expect(events.created[0]!.handle).toBe(await sqlHandleOf(ctx.admin, table, sid));
  events.take();
  await store.get(sid);
  await store.set(sid, sessionOf({ user: "bob" }));
  expect(events.take()).toEqual([]);
});

test("created only when the row is inserted: a second app server's save of a session the first created fires none", async () => {
  // Two PgSessionStores on one table, like two app servers: B has never seen the session live.
  const a = await newStore();
  const clock = { now: T0 };
  const b = new PgSessionStore({ pgPool: ctx.admin, tableName: a.table, pruneSessionInterval: false, now: () => clock.now });
  ctx.cleanup(() => b.close());
  const bEvents = eventLog(b);
  const [sid, other, fresh] = [randomId(), randomId(), randomId()];
  await a.store.set(sid, sessionOf({ user: "ann" }));
  await a.store.set(other, sessionOf({ user: "bob" }));
  expect(a.events.created.map((e) => e.handle)).toEqual([handleOf(sid), handleOf(other)]);
  // Alone (the single-row upsert): an existing row is updated, not created.
  await b.set(sid, sessionOf({ user: "ann", n: 1 }));
  expect(bEvents.take()).toEqual([]);
  // Coalesced (one unnest upsert): only the new row is created.
  await Promise.all([b.set(other, sessionOf({ user: "bob", n: 1 })), b.set(fresh, sessionOf({ user: "cy" }))]);
  expect(bEvents.take()).toEqual([["created", { table: a.table, at: T0, handle: handleOf(fresh) }]]);
  // The writes themselves went through.
  const { rows } = await ctx.admin.query(`SELECT count(*)::int AS n FROM "${a.table}" WHERE a_session LIKE '%"n":1%'`);
  expect(rows[0].n).toBe(2);
});

test("writeSkipped gone: a save of a session this process read live, deleted meanwhile by another server, is not written back", async () => {
  const a = await newStore();
  const b = new PgSessionStore({ pgPool: ctx.admin, tableName: a.table, pruneSessionInterval: false, now: () => a.clock.now });
  ctx.cleanup(() => b.close());
  const sid = randomId();
  await a.store.set(sid, sessionOf({ user: "ann" }));
  await a.store.get(sid);
  await b.destroy(sid); // a logout on the other server
  a.events.take();
  await a.store.set(sid, sessionOf({ user: "ann", late: true }));
  expect(a.events.take()).toEqual([["writeSkipped", { table: a.table, at: T0, handle: handleOf(sid), operation: "set", reason: "gone" }]]);
  expect(await a.store.get(sid)).toBeNull();
});

test("writeSkipped: an unchanged save and a touch within touchAfter (unchanged), a save after a destroy (gone)", async () => {
  const { store, table, events } = await newStore();
  const sid = randomId();
  await store.set(sid, sessionOf({ user: "ann" }));
  await store.get(sid);
  events.take();
  await store.set(sid, sessionOf({ user: "ann" }));
  await store.touch(sid, sessionOf({ user: "ann" }));
  expect(events.writeSkipped).toEqual([
    { table, at: T0, handle: handleOf(sid), operation: "set", reason: "unchanged" },
    { table, at: T0, handle: handleOf(sid), operation: "touch", reason: "unchanged" },
  ]);
  // A change is written: no skip.
  events.take();
  await store.set(sid, sessionOf({ user: "bob" }));
  expect(events.take()).toEqual([]);
  await store.destroy(sid);
  events.take();
  await store.set(sid, sessionOf({ user: "late request" }));
  await store.touch(sid, sessionOf({ user: "late request" }));
  expect(events.writeSkipped.map((e) => [e.operation, e.reason])).toEqual([
    ["set", "gone"],
    ["touch", "gone"],
  ]);
});

test("destroyed: a destroy of an existing session (not of a missing one), and revokes of a user's sessions", async () => {
  const { store, table, events } = await newStore({ userId: (s) => s["user"] as string | undefined });
  const [sid, other, third] = [randomId(), randomId(), randomId()];
  for (const id of [sid, other, third]) await store.set(id, sessionOf({ user: "ann" }));
  events.take();
  await store.destroy(sid);
  expect(events.destroyed).toEqual([{ table, at: T0, handle: handleOf(sid), reason: "destroy" }]);
  events.take();
  await store.destroy(sid);
  await store.destroy(randomId());
  expect(events.take()).toEqual([]);

  const { sessions } = await store.userSessions("ann");
  expect(await store.revokeUserSession("ann", sessions[0]!.handle)).toBe(true);
  expect(events.destroyed).toEqual([{ table, at: T0, handle: sessions[0]!.handle, reason: "revoke" }]);
  events.take();
  expect(await store.revokeUserSessions("ann")).toBe(1);
  expect(events.destroyed).toEqual([{ table, at: T0, handle: sessions[1]!.handle, reason: "revoke" }]);
});

test("expiredOnRead: a get of a row past its expiry, and of one past absoluteTimeout; not of a live or missing one", async () => {
  const { store, table, clock, events } = await newStore({ absoluteTimeout: 60 });
  const [expiring, long] = [randomId(), randomId()];
  await store.set(expiring, sessionOf({}, new Date(T0 + 1000)));
  await store.set(long, sessionOf({}, new Date(T0 + hour)));
  events.take();
  await store.get(long);
  await store.get(randomId());
  expect(events.take()).toEqual([]);

  clock.now = T0 + 2000;
  expect(await store.get(expiring)).toBeNull();
  expect(events.expiredOnRead).toEqual([{ table, at: T0 + 2000, handle: handleOf(expiring), expiredAt: T0 + 1000, reason: "expired" }]);
  events.take();
  clock.now = T0 + 61_000;
  expect(await store.get(long)).toBeNull();
  expect(events.expiredOnRead).toEqual([
    { table, at: T0 + 61_000, handle: handleOf(long), expiredAt: T0 + 60_000, reason: "absoluteTimeout" },
  ]);
});

test("pruned: the count, a duration, and the lag of the oldest expired row it deleted; count 0 and no lag when nothing expired", async () => {
  const { store, table, events } = await newStore({ pruneBatchSize: 2 });
  for (const ago of [5000, 3000, 1000]) {
    await ctx.admin.query(`INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, '{}', $2)`, [randomId(), new Date(T0 - ago)]);
  }
  await store.set(randomId(), sessionOf({}));
  const start = performance.now();
  expect(await store.prune()).toBe(3);
  const elapsed = performance.now() - start;
  expect(events.pruned).toEqual([{ table, at: T0, count: 3, durationMs: expect.any(Number), lagMs: 5000 }]);
  // The run's own time (two batches and more SQL): within the call, and not nothing.
  expect(events.pruned[0]!.durationMs).toBeGreaterThan(0);
  expect(events.pruned[0]!.durationMs).toBeLessThanOrEqual(elapsed);
  events.take();
  expect(await store.prune()).toBe(0);
  expect(events.pruned).toEqual([{ table, at: T0, count: 0, durationMs: expect.any(Number), lagMs: undefined }]);
});

test("operationFailed: the operation, its error and a duration; the caller gets the error as before", async () => {
  const { store, table, events } = await newStore();
  await expect(store.set("bad id\n", sessionOf({}))).rejects.toThrow(InvalidSessionIdError);
  expect(events.operationFailed).toEqual([
    { table, at: T0, operation: "set", error: expect.any(InvalidSessionIdError), durationMs: expect.any(Number) },
  ]);
  events.take();
  await store.close();
  await expect(store.get(randomId())).rejects.toThrow(StoreClosedError);
  await new Promise<void>((resolve) =>
    store.destroy(randomId(), (error) => {
      expect(error).toBeInstanceOf(StoreClosedError);
      resolve();
    }),
  );
  expect(events.operationFailed.map((e) => [e.operation, (e.error as Error).name])).toEqual([
    ["get", "StoreClosedError"],
    ["destroy", "StoreClosedError"],
  ]);
});

test("an app without listeners survives a failing operation: nothing is emitted as `error`", async () => {
  const table = await ctx.newTable("events");
  const store = new PgSessionStore({ pgPool: ctx.admin, tableName: table, pruneSessionInterval: false });
  await store.close();
  expect(store.listenerCount("error")).toBe(0);
  await expect(store.get(randomId())).rejects.toThrow(StoreClosedError);
  await expect(store.prune()).rejects.toThrow(StoreClosedError);
  // With a callback too (express-session's way): the error goes to the callback, nowhere else.
  const error = await new Promise((resolve) => store.set(randomId(), sessionOf({}), resolve));
  expect(error).toBeInstanceOf(StoreClosedError);
});

test("a listener that throws is reported to the logger; the operation goes through", async () => {
  const reported: unknown[] = [];
  const logger: Logger = { error: (_message, error) => void reported.push(error) };
  const { store, table } = await newStore({ logger });
  store.on("created", () => {
    throw new Error("a broken listener");
  });
  const sid = randomId();
  await store.set(sid, sessionOf({ user: "ann" }));
  expect(reported).toEqual([new Error("a broken listener")]);
  expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM "${table}" WHERE id = $1`, [sid])).rows[0].n).toBe(1);
});

test("with hashIds, events name the handle of the stored key: never the session id, nor the key itself", async () => {
  const { store, table, events } = await newStore({ hashIds: true });
  const sid = randomId();
  await store.set(sid, sessionOf({ user: "ann" }));
  const [key] = await store.ids();
  expect(key).not.toBe(sid);
  expect(events.created).toEqual([{ table, at: T0, handle: handleOf(key!) }]);
  // A destroy by the listed key (what an admin tool does) names that row.
  await store.destroy(key!);
  expect(events.destroyed).toEqual([{ table, at: T0, handle: handleOf(key!), reason: "destroy" }]);
  const text = JSON.stringify(events.take());
  expect(text).not.toContain(sid);
  expect(text).not.toContain(key);
  expect(text).not.toContain("ann");
});

test("with hashIds, a destroy that finds both the hashed row and a row stored under the id itself reports both, from one statement", async () => {
  const { store, table, events } = await newStore({ hashIds: true, batch: false });
  const sid = randomId();
  await store.set(sid, sessionOf({ user: "ann" }));
  const [key] = await store.ids();
  // A row stored under the id itself (what destroy also accepts: a listed key).
  await ctx.admin.query(`INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, '{}', $2)`, [sid, new Date(T0 + hour)]);
  events.take();
  await store.destroy(sid);
  expect(events.destroyed.map((e) => e.handle).sort()).toEqual([handleOf(key!), handleOf(sid)].sort());
  expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n).toBe(0);
});

test("events carry no session data and, unhashed, no session id", async () => {
  const { store, clock, events } = await newStore();
  const sid = randomId();
  await store.set(sid, sessionOf({ secret: "s3cr3t-value" }, new Date(T0 + 1000)));
  await store.get(sid);
  await store.set(sid, sessionOf({ secret: "s3cr3t-value" }, new Date(T0 + 1000)));
  clock.now = T0 + 5000;
  await store.get(sid);
  await store.destroy(randomId());
  await store.prune();
  const recorded = events.take();
  expect(recorded.map(([name]) => name)).toEqual(["created", "writeSkipped", "expiredOnRead", "pruned"]);
  const text = JSON.stringify(recorded);
  expect(text).not.toContain(sid);
  expect(text).not.toContain("s3cr3t-value");
});

describe("lockWaited, from lockedSession's unit", () => {
  // An express app whose store reports lock waits at or above `threshold` ms.
  async function startApp(threshold: number) {
    const table = await ctx.newTable("events_locked");
    // Its own pool, named: pg_stat_activity tells its waits from other test files'.
    const store = new PgSessionStore({
      datasourceUrl: ctx.url,
      tableName: table,
      pruneSessionInterval: false,
      lockWaitThreshold: threshold,
    });
    const gate = { holding: deferred(), release: deferred() };
    ctx.cleanup(() => store.close());
    const fired: Array<{ operation: string; waitedMs: number; thresholdMs: number; handle: string }> = [];
    store.on("lockWaited", (event) => fired.push(event));
    const locked = lockedSession<{ count?: number }>(store);
    const app = express();
    app.use(session({ store, secret: "s", resave: false, saveUninitialized: false }));
    app.post("/login", (req, res) => {
      (req.session as unknown as { user: string }).user = "ann";
      res.json({ ok: true });
    });
    app.post("/count", async (req, res) => {
      res.json({ count: await locked(req, (data) => (data.count = (data.count ?? 0) + 1)) });
    });
    // Holds the session's lock until the test releases it.
    app.post("/hold", async (req, res) => {
      const count = await locked(req, async (data) => {
        gate.holding.resolve();
        await gate.release.promise;
        return (data.count = (data.count ?? 0) + 1);
      });
      res.json({ count });
    });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    ctx.cleanup(() => new Promise((resolve) => server.close(resolve)));
    const browser = new CookieClient(baseUrl(server));
    await browser.request("POST", "/login");
    const sid = decodeURIComponent(browser.cookies.get("connect.sid")!).slice(2).split(".")[0]!;
    return { browser, fired, sid, table, gate };
  }

  test("fires for a unit that waited behind another's lock, with at least the wait seen in pg_stat_activity; not for an uncontended one", async () => {
    // Above what an uncontended lock takes: what fires is the contended wait.
    const threshold = 100;
    const { browser, fired, sid, table, gate } = await startApp(threshold);
    expect((await browser.request("POST", "/count")).body).toEqual({ count: 1 });
    expect(fired).toEqual([]);
    const holder = browser.request("POST", "/hold");
    await gate.holding.promise;
    const waiter = browser.request("POST", "/count");
    await eventually(() => someoneWaitsForLock(ctx.admin, ctx.applicationName));
    const seenWaiting = performance.now();
    // Held while the waiter is still seen waiting, until it has waited past the threshold.
    await eventually(
      async () => performance.now() - seenWaiting > threshold && (await someoneWaitsForLock(ctx.admin, ctx.applicationName)),
    );
    const released = performance.now();
    gate.release.resolve();
    expect((await holder).status).toBe(200);
    expect((await waiter).body).toEqual({ count: 3 });
    expect(fired).toEqual([
      {
        table,
        at: expect.any(Number),
        handle: handleOf(sid),
        operation: "lockedSession",
        waitedMs: expect.any(Number),
        thresholdMs: threshold,
      },
    ]);
    expect(fired[0]!.waitedMs).toBeGreaterThanOrEqual(released - seenWaiting);
  });

  test("does not fire below it", async () => {
    const { browser, fired } = await startApp(3_600_000);
    expect((await browser.request("POST", "/count")).body).toEqual({ count: 1 });
    expect(fired).toEqual([]);
  });
});
