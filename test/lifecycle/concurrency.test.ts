import { LockTimeoutError, SessionManager, SessionNotFoundError, SessionReentryError } from "../../src/index.ts";
import { deferred, eventually, someoneWaitsForLock } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
let sessions: SessionManager;

beforeAll(async () => {
  ctx = await initTest();
  // Under this much contention units wait for a connection and for the lock: give them room.
  sessions = new SessionManager({ datasourceUrl: ctx.url, pool: { max: 20 }, maxWait: 30_000, timeout: 30_000 });
  ctx.cleanup(() => sessions.close());
});
afterAll(() => destroyTest(ctx));

/** Resolves when `parties` callers have arrived; rejects (instead of hanging) if they never all do. */
function barrier(parties: number, timeoutMs = 10_000): () => Promise<void> {
  let arrived = 0;
  const all = deferred();
  const timer = setTimeout(() => all.resolve(), timeoutMs);
  return async () => {
    arrived += 1;
    if (arrived === parties) {
      clearTimeout(timer);
      all.resolve();
    }
    await all.promise;
    if (arrived < parties) throw new Error(`only ${arrived} of ${parties} arrived: they ran one after another`);
  };
}

test("200 concurrent increments on one id end at exactly 200", async () => {
  const { id } = await sessions.create({ count: 0 });
  await Promise.all(
    Array.from({ length: 200 }, () =>
      sessions.open(id, (s) => {
        s.data.count += 1;
      }),
    ),
  );
  expect((await sessions.read(id)).data.count).toBe(200);
});

test("two different ids are inside their units of work at the same moment", async () => {
  const a = await sessions.create({ n: 0 });
  const b = await sessions.create({ n: 0 });
  const bothInside = barrier(2);
  await Promise.all(
    [a.id, b.id].map((id) =>
      sessions.open(id, async (s) => {
        await bothInside();
        s.data.n = 1;
      }),
    ),
  );
  expect((await sessions.read(a.id)).data.n).toBe(1);
  expect((await sessions.read(b.id)).data.n).toBe(1);
});

test("waiting longer than lockTimeout is LockTimeoutError; the holder's work is kept", async () => {
  const impatient = new SessionManager({ store: sessions.store, lockTimeout: 100 });
  const { id } = await sessions.create({ n: 0 });
  const locked = deferred();
  const release = deferred();
  const holder = sessions.open(id, async (s) => {
    locked.resolve();
    await release.promise;
    s.data.n = 1;
  });
  await locked.promise;
  const error = await impatient.open(id, (s) => void (s.data.n = 99)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(LockTimeoutError);
  expect(error).toMatchObject({ sessionId: id });
  release.resolve();
  await holder;
  expect((await sessions.read(id)).data.n).toBe(1);
});

test("without lockTimeout a waiter waits for the holder, then sees its commit", async () => {
  const { id } = await sessions.create({ n: 0 });
  const locked = deferred();
  const release = deferred();
  const holder = sessions.open(id, async (s) => {
    locked.resolve();
    await release.promise;
    s.data.n = 1;
  });
  await locked.promise;
  const waiter = sessions.open(id, (s) => s.data.n);
  await eventually(() => someoneWaitsForLock(ctx.admin, ctx.applicationName));
  release.resolve();
  await holder;
  await expect(waiter).resolves.toBe(1);
});

test("opening the same id from inside its own unit of work is SessionReentryError, not a hang", async () => {
  const { id } = await sessions.create({ n: 0 });
  const inner = await sessions
    .open(id, async (s) => {
      s.data.n = 1;
      return sessions.open(id, () => "never").catch((e: unknown) => e);
    })
    .catch((e: unknown) => e);
  expect(inner).toBeInstanceOf(SessionReentryError);
  expect((await sessions.read(id)).data.n).toBe(1);
  // Rotation locks the row too.
  await expect(sessions.open(id, () => sessions.rotate(id))).rejects.toBeInstanceOf(SessionReentryError);
  // Another id inside a unit of work is fine, and so is the same id once the unit is over.
  const other = await sessions.create();
  await sessions.open(id, () => sessions.open(other.id, (s) => void (s.data.seen = true)));
  await expect(sessions.open(id, () => "again")).resolves.toBe("again");
});

test("rotate: new id, same data, old row gone; a concurrent reader always finds exactly one", async () => {
  const user = `ann-${ctx.applicationName}`; // unique to this file's run: the LIKE below finds its rows only
  const { id } = await sessions.create({ user, since: new Date("2026-11-25T00:00:00Z") });
  let newId: string | undefined;
  const observations: number[] = [];
  const rotating = sessions.rotate(id).then((rotated) => (newId = rotated));
  // Each observation is one statement, so one snapshot: it must see the old row or the new one.
  while (newId === undefined) {
    const { rows } = await ctx.admin.query("SELECT count(*)::int AS n FROM sessions WHERE id = $1 OR a_session LIKE $2", [
      id,
      `%"user":"${user}"%"_session_id":"%`,
    ]);
    observations.push(rows[0].n);
    if (observations.length > 10_000) break;
  }
  await rotating;
  expect(newId).toMatch(/^[0-9a-f]{32}$/);
  expect(newId).not.toBe(id);
  expect(new Set(observations)).toEqual(new Set([1]));
  expect((await sessions.read(newId!)).data).toEqual({ user, since: new Date("2026-11-25T00:00:00Z"), _session_id: newId });
  await expect(sessions.read(id)).rejects.toThrow(SessionNotFoundError);
  await expect(sessions.read(id)).rejects.toThrow("Object does not exist in the data store");
});
