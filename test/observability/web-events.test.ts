// The web entries' events: WebSessions (sessions.on(...)) and React Router's storage (storage.events),
// against a real PostgreSQL, on the engine they share. The engine's clock is moved, never slept on.
import { createPgSessionStorage } from "../../src/adapters/react-router/index.ts";
import { WebSessions, type WebSessionsOptions } from "../../src/adapters/web/index.ts";
import { StoreClosedError } from "../../src/index.ts";
import { randomId } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";
import { cookieHeader, sessionIdOf } from "../adapters/web/fixture.ts";
import { eventLog, handleOf } from "./event-log.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

interface Data {
  user?: string;
  count?: number;
}

const secret = "web events secret";
const T0 = Date.parse("2026-11-25T12:00:00Z");
const hour = 3_600_000;

async function newSessions(extra: Partial<WebSessionsOptions> = {}) {
  const table = await ctx.newTable("web_events");
  const clock = { now: T0 };
  const sessions = new WebSessions<Data>({
    pgPool: ctx.admin,
    tableName: table,
    secret,
    pruneSessionInterval: false,
    cookie: { maxAge: 3600 },
    now: () => clock.now,
    ...extra,
  });
  ctx.cleanup(() => sessions.close());
  return { sessions, table, clock, events: eventLog(sessions) };
}

const request = (cookie?: string) => new Request("http://app.test/", { headers: cookie === undefined ? {} : { cookie } });

/** A stored session: its id and the request cookie that carries it. */
async function stored(sessions: WebSessions<Data>, data: Data = { user: "ann" }) {
  const session = await sessions.load(request());
  Object.assign(session.data, data);
  const setCookie = await sessions.commit(session);
  return { id: sessionIdOf(setCookie, secret), cookie: cookieHeader(setCookie) };
}

test("created by the first commit of a new session; an unchanged commit within touchAfter is writeSkipped", async () => {
  const { sessions, table, events } = await newSessions();
  const empty = await sessions.load(request());
  await sessions.commit(empty); // nothing in it: nothing stored, nothing fired
  expect(events.take()).toEqual([]);
  const { id, cookie } = await stored(sessions);
  expect(events.take()).toEqual([["created", { table, at: T0, handle: handleOf(id) }]]);
  const again = await sessions.load(request(cookie));
  await sessions.commit(again);
  expect(events.take()).toEqual([["writeSkipped", { table, at: T0, handle: handleOf(id), operation: "save", reason: "unchanged" }]]);
  const changed = await sessions.load(request(cookie));
  changed.data.count = 1;
  await sessions.commit(changed);
  expect(events.take()).toEqual([]);
});

test("writeSkipped gone: a commit of changed data whose row was deleted meanwhile is not written back", async () => {
  const { sessions, table, events } = await newSessions();
  const { id, cookie } = await stored(sessions);
  const session = await sessions.load(request(cookie));
  await ctx.admin.query(`DELETE FROM "${table}" WHERE id = $1`, [id]); // a logout elsewhere
  events.take();
  session.data.count = 1;
  await sessions.commit(session);
  expect(events.take()).toEqual([["writeSkipped", { table, at: T0, handle: handleOf(id), operation: "save", reason: "gone" }]]);
  const { rows } = await ctx.admin.query(`SELECT count(*)::int AS n FROM "${table}" WHERE id = $1`, [id]);
  expect(rows[0].n).toBe(0);
});

test("destroyed by destroy (reason destroy) and by a rotation (reason rotate, with the new id created)", async () => {
  const { sessions, table, events } = await newSessions();
  const first = await stored(sessions);
  const second = await stored(sessions);
  events.take();
  await sessions.destroy(await sessions.load(request(first.cookie)));
  expect(events.take()).toEqual([["destroyed", { table, at: T0, handle: handleOf(first.id), reason: "destroy" }]]);

  const session = await sessions.load(request(second.cookie));
  session.rotate();
  const rotated = sessionIdOf(await sessions.commit(session), secret);
  expect(events.take()).toEqual([
    ["created", { table, at: T0, handle: handleOf(rotated) }],
    ["destroyed", { table, at: T0, handle: handleOf(second.id), reason: "rotate" }],
  ]);
});

test("expiredOnRead: a load of a session past its expiry; not of a live one", async () => {
  const { sessions, table, clock, events } = await newSessions();
  const { id, cookie } = await stored(sessions);
  events.take();
  await sessions.load(request(cookie));
  expect(events.take()).toEqual([]);
  clock.now = T0 + hour + 1;
  expect((await sessions.load(request(cookie))).isNew).toBe(true);
  expect(events.take()).toEqual([
    ["expiredOnRead", { table, at: T0 + hour + 1, handle: handleOf(id), expiredAt: T0 + hour, reason: "expired" }],
  ]);
});

test("a locked unit: lockWaited at or above the threshold; its rotation's events once it has committed, none when it throws", async () => {
  const { sessions, table, events } = await newSessions({ lockWaitThreshold: 0 });
  const { id, cookie } = await stored(sessions);
  events.take();
  const session = await sessions.load(request(cookie));
  await sessions.lock(session, (s) => void (s.data.count = 1));
  expect(events.take()).toEqual([
    ["lockWaited", { table, at: T0, handle: handleOf(id), operation: "lock", waitedMs: expect.any(Number), thresholdMs: 0 }],
  ]);

  await expect(
    sessions.lock(session, (s) => {
      s.rotate();
      throw new Error("rolled back");
    }),
  ).rejects.toThrow("rolled back");
  expect(events.take().map(([name]) => name)).toEqual(["lockWaited", "operationFailed"]);

  await sessions.lock(session, (s) => s.rotate());
  expect(events.take()).toEqual([
    ["lockWaited", expect.objectContaining({ handle: handleOf(id) })],
    ["created", { table, at: T0, handle: handleOf(session.id) }],
    ["destroyed", { table, at: T0, handle: handleOf(id), reason: "rotate" }],
  ]);
});

test("lockWaited does not fire below the threshold", async () => {
  const { sessions, events } = await newSessions({ lockWaitThreshold: 3_600_000 });
  const { cookie } = await stored(sessions);
  await sessions.lock(await sessions.load(request(cookie)), (s) => void (s.data.count = 1));
  expect(events.lockWaited).toEqual([]);
});

test("pruned, with the lag of the oldest expired row", async () => {
  const { sessions, table, events } = await newSessions();
  await ctx.admin.query(`INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, '{}', $2)`, [randomId(), new Date(T0 - 7000)]);
  expect(await sessions.prune()).toBe(1);
  expect(events.pruned).toEqual([{ table, at: T0, count: 1, durationMs: expect.any(Number), lagMs: 7000 }]);
});

test("operationFailed on a closed store; the caller gets the error", async () => {
  const { sessions, table, events } = await newSessions();
  const { cookie } = await stored(sessions);
  await sessions.close();
  await expect(sessions.load(request(cookie))).rejects.toThrow(StoreClosedError);
  expect(events.operationFailed).toEqual([
    { table, at: T0, operation: "read", error: expect.any(StoreClosedError), durationMs: expect.any(Number) },
  ]);
});

test("React Router's storage: the same events on storage.events", async () => {
  const table = await ctx.newTable("web_events");
  const storage = createPgSessionStorage<Data>({
    pgPool: ctx.admin,
    tableName: table,
    pruneSessionInterval: false,
    cookie: { secrets: [secret], maxAge: 3600 },
  });
  ctx.cleanup(() => storage.close());
  const events = eventLog(storage.events);
  const session = await storage.getSession(null);
  session.set("user", "ann");
  const setCookie = await storage.commitSession(session);
  const id = sessionIdOf(setCookie, secret);
  expect(events.created).toEqual([{ table, at: expect.any(Number), handle: handleOf(id) }]);
  await storage.destroySession(await storage.getSession(cookieHeader(setCookie)));
  expect(events.destroyed.map((e) => e.handle)).toEqual([handleOf(id)]);
});
