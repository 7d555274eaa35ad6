import type { SessionData } from "express-session";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { SessionManager, TransactionTimeoutError, type SessionManagerOptions } from "../../src/index.ts";
import { deferred, eventually, randomId } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// More units of work than pool connections: they queue and finish, or fail with TransactionTimeoutError
// once they have waited `maxWait` for a connection. Never a deadlock, never a hang, never a leaked
// connection. Each manager gets an application_name, so its connections can be counted in PostgreSQL.

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

function managerWith(options: Omit<SessionManagerOptions, "datasourceUrl">): { sessions: SessionManager; name: string } {
  const name = `exhaust_${randomId().slice(0, 10)}`;
  const url = new URL(ctx.url);
  url.searchParams.set("application_name", name);
  return { sessions: new SessionManager({ datasourceUrl: url.toString(), ...options }), name };
}

async function connectionsOf(name: string): Promise<{ total: number; inTransaction: number }> {
  const { rows } = await ctx.admin.query(
    "SELECT count(*)::int AS total, count(*) FILTER (WHERE state LIKE 'idle in transaction%')::int AS in_tx FROM pg_stat_activity WHERE application_name = $1",
    [name],
  );
  return { total: rows[0].total, inTransaction: rows[0].in_tx };
}

async function counterOf(sessions: SessionManager, id: string): Promise<number> {
  return (await sessions.read(id)).data["n"] as number;
}

/** Rejects with what `work` rejected with, and how long that took. */
async function failureOf(work: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await work().then(
    () => new Error("expected a failure, got a result"),
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - started };
}

test("20 units of work on a pool of 2 queue: never more than 2 inside, all 20 finish, nothing lost", async () => {
  const { sessions, name } = managerWith({ pool: { max: 2, connectionTimeoutMillis: 30_000 }, maxWait: 30_000, timeout: 30_000 });
  try {
    const ids = await Promise.all(Array.from({ length: 20 }, async () => (await sessions.create({ n: 0 })).id));
    const gate = deferred();
    let inside = 0;
    let mostInside = 0;
    let entered = 0;
    const units = ids.map((id) =>
      sessions.open(id, async (s) => {
        entered += 1;
        inside += 1;
        mostInside = Math.max(mostInside, inside);
        await gate.promise;
        s.data["n"] = (s.data["n"] as number) + 1;
        inside -= 1;
      }),
    );
    // The first two hold both connections; the other 18 are provably waiting, not running.
    await eventually(async () => entered === 2 && (await connectionsOf(name)).inTransaction === 2);
    expect(entered).toBe(2);
    expect((await connectionsOf(name)).total).toBe(2);
    gate.resolve();
    await Promise.all(units);
    expect(entered).toBe(20);
    expect(mostInside).toBe(2);
    for (const id of ids) expect(await counterOf(sessions, id)).toBe(1);
  } finally {
    await sessions.close();
  }
});

test("a unit that cannot get a connection within maxWait fails with TransactionTimeoutError; the holders commit; no connection leaks", async () => {
  const maxWait = 300;
  const { sessions, name } = managerWith({ pool: { max: 2 }, maxWait });
  try {
    const [a, b, c] = await Promise.all([0, 1, 2].map(async () => (await sessions.create({ n: 0 })).id));
    const release = deferred();
    const inside = [deferred(), deferred()];
    const holders = [a!, b!].map((id, i) =>
      sessions.open(id, async (s) => {
        inside[i]!.resolve();
        await release.promise;
        s.data["n"] = 1;
      }),
    );
    await Promise.all(inside.map((d) => d.promise));

    const { error, ms } = await failureOf(() => sessions.open(c!, (s) => void (s.data["n"] = 99)));
    expect(error).toBeInstanceOf(TransactionTimeoutError);
    expect(ms).toBeGreaterThanOrEqual(maxWait - 5);
    expect(ms).toBeLessThan(5_000); // maxWait fired, not the pool's connection timeout (5 s)

    release.resolve();
    await Promise.all(holders);
    expect(await counterOf(sessions, a!)).toBe(1);
    expect(await counterOf(sessions, b!)).toBe(1);
    expect(await counterOf(sessions, c!)).toBe(0);
    // The abandoned start got its connection later, rolled it back and returned it: the pool still has
    // both connections, nothing is left open in a transaction, and units run again.
    await eventually(async () => (await connectionsOf(name)).inTransaction === 0);
    await Promise.all(Array.from({ length: 10 }, () => sessions.open(c!, (s) => void (s.data["n"] = (s.data["n"] as number) + 1))));
    expect(await counterOf(sessions, c!)).toBe(10);
    expect((await connectionsOf(name)).total).toBeLessThanOrEqual(2);
  } finally {
    await sessions.close();
  }
});

test("units that open another session while every connection is held fail after maxWait instead of deadlocking", async () => {
  const { sessions } = managerWith({ pool: { max: 2 }, maxWait: 300 });
  try {
    const outer = await Promise.all([0, 1].map(async () => (await sessions.create({ n: 0 })).id));
    const inner = await Promise.all([0, 1].map(async () => (await sessions.create({ n: 0 })).id));
    const bothInside = deferred();
    let arrived = 0;
    // Each outer unit holds one of the two connections and needs a third one for its inner unit.
    const results = await Promise.allSettled(
      outer.map((id, i) =>
        sessions.open(id, async (s) => {
          arrived += 1;
          if (arrived === 2) bothInside.resolve();
          await bothInside.promise;
          s.data["n"] = 1;
          await sessions.open(inner[i]!, (t) => void (t.data["n"] = 1));
        }),
      ),
    );
    for (const result of results) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(TransactionTimeoutError);
    }
    // Both outer units were rolled back with their inner failure: nothing was written.
    for (const id of [...outer, ...inner]) expect(await counterOf(sessions, id)).toBe(0);
    await expect(sessions.open(outer[0]!, () => sessions.open(inner[0]!, () => "nested works with a free connection"))).resolves.toBe(
      "nested works with a free connection",
    );
  } finally {
    await sessions.close();
  }
});

test("statements outside a unit of work wait for a connection at most pool.connectionTimeoutMillis, then TransactionTimeoutError", async () => {
  const connectionTimeoutMillis = 300;
  const url = new URL(ctx.url);
  const sessions = new SessionManager({ datasourceUrl: url.toString(), pool: { max: 1, connectionTimeoutMillis } });
  const adapter = new PgSessionStore({ store: sessions.store, pruneSessionInterval: false });
  try {
    const { id } = await sessions.create({ n: 0 });
    const release = deferred();
    const inside = deferred();
    const holder = sessions.open(id, async () => {
      inside.resolve();
      await release.promise;
    });
    await inside.promise;
    const session = { cookie: { originalMaxAge: 60_000, expires: null } } as unknown as SessionData;
    for (const work of [
      () => sessions.read(id),
      () => sessions.create(),
      () => adapter.get(randomId()),
      () => adapter.set(randomId(), session),
    ]) {
      const { error, ms } = await failureOf(work);
      expect(error).toBeInstanceOf(TransactionTimeoutError);
      expect(ms).toBeGreaterThanOrEqual(connectionTimeoutMillis - 5);
    }
    // maxWait longer than the pool's connection timeout: the pool's timeout ends the wait first.
    const { error } = await failureOf(() => sessions.open(id, () => undefined, { maxWait: 10_000 }));
    expect(error).toBeInstanceOf(TransactionTimeoutError);
    release.resolve();
    await holder;
    await expect(sessions.read(id)).resolves.toMatchObject({ data: { n: 0 } });
  } finally {
    await adapter.close();
    await sessions.close();
  }
});
