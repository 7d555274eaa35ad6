import pg from "pg";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { LockTimeoutError, SessionManager, TransactionTimeoutError, type PostgresStoreOptions } from "../../src/index.ts";
import { adminPool, createTable, deferred, eventually, newPrismaClient, randomId, testDatabaseUrl } from "../support/database.ts";

// One busy row never drains the pool: of the units of one process that want a row's lock, at most one
// waits for it on a pooled connection (besides the holder's); the others wait in the process, holding
// nothing, so other users' requests still find a connection. Each case holds the row's lock until the
// test has checked the pool; without the per-row queue, the waiters take every connection and the
// unrelated read never gets one before the lock is released, which the test only does afterwards.

const poolSize = 4;
let admin: pg.Pool;
let table: string;

beforeAll(async () => {
  admin = adminPool();
  table = await createTable(admin, "drain");
});
afterAll(() => admin.end());

interface OwnPool {
  applicationName: string;
  options: PostgresStoreOptions;
  close(): Promise<void>;
}

const paths: Array<[string, () => OwnPool]> = [
  [
    "pgPool",
    () => {
      const applicationName = `drain-${randomId().slice(0, 8)}`;
      const pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: poolSize, application_name: applicationName });
      return { applicationName, options: { pgPool: pool }, close: () => pool.end() };
    },
  ],
  [
    "PrismaClient",
    () => {
      const applicationName = `drain-${randomId().slice(0, 8)}`;
      const pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: poolSize, application_name: applicationName });
      const prisma = newPrismaClient(pool);
      return {
        applicationName,
        options: { prisma },
        close: async () => {
          await prisma.$disconnect();
          await pool.end().catch(() => undefined);
        },
      };
    },
  ],
];

/** Connections of the pool named `applicationName` that wait for a lock in PostgreSQL right now. */
async function lockWaiters(applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
    [applicationName],
  );
  return rows[0]!.n;
}

/** `work`, or a failure naming `what` if it has not settled within `ms` (a guard against a hang, not a timing). */
function settlesWithin<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle while the lock was held`)), ms);
  });
  return Promise.race([work, hang]).finally(() => clearTimeout(timer));
}

describe.each(paths)("through %s", (_name, ownPool) => {
  let own: OwnPool;
  beforeEach(() => {
    own = ownPool();
  });
  afterEach(() => own.close());

  test("one session's 30 locked units: one waits on a connection, the rest in the process; others' reads go on; all 30 commit in turn", async () => {
    const manager = new SessionManager({ ...own.options, tableName: table, timeout: 30_000 });
    const sessions = new PgSessionStore({ ...own.options, tableName: table });
    const busy = (await manager.create({ n: 0 })).id;
    const other = randomId();
    await new Promise<void>((resolve, reject) =>
      sessions.set(other, { cookie: { maxAge: 60_000 }, who: "other" } as never, (e) => (e ? reject(e) : resolve())),
    );
    const release = deferred();
    const entered = deferred();
    const holder = manager.open(busy, async (session) => {
      entered.resolve();
      await release.promise;
      session.data["n"] = (session.data["n"] as number) + 1;
    });
    await entered.promise;
    const waiters = Array.from({ length: 30 }, () =>
      manager.open(busy, (session) => {
        session.data["n"] = (session.data["n"] as number) + 1;
      }),
    );
    await eventually(async () => (await lockWaiters(own.applicationName)) === 1);
    const read = new Promise<unknown>((resolve, reject) => sessions.get(other, (e, s) => (e ? reject(e) : resolve(s))));
    expect(await settlesWithin(read, 10_000, "an unrelated get")).toMatchObject({ who: "other" });
    expect(await lockWaiters(own.applicationName)).toBe(1);
    release.resolve();
    await Promise.all([holder, ...waiters]);
    expect((await manager.read(busy)).data).toMatchObject({ n: 31 });
    await manager.close();
    await sessions.close();
  });

  test("a lock held outside the library: its locked units and its saves take one connection; others' reads go on", async () => {
    const manager = new SessionManager({ ...own.options, tableName: table, timeout: 30_000 });
    const sessions = new PgSessionStore({ ...own.options, tableName: table });
    const busy = (await manager.create({ n: 0 })).id;
    const other = randomId();
    const set = (sid: string, data: object) =>
      new Promise<void>((resolve, reject) =>
        sessions.set(sid, { cookie: { maxAge: 60_000 }, ...data } as never, (e) => (e ? reject(e) : resolve())),
      );
    await set(other, { who: "other" });
    const outside = await admin.connect();
    try {
      await outside.query("BEGIN");
      await outside.query(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [busy]);
      const units = Array.from({ length: 12 }, () => manager.open(busy, (session) => void (session.data["n"] = 1)));
      const saves = Array.from({ length: 12 }, (_, i) => set(busy, { n: i }));
      await eventually(async () => (await lockWaiters(own.applicationName)) >= 1);
      const read = new Promise<unknown>((resolve, reject) => sessions.get(other, (e, s) => (e ? reject(e) : resolve(s))));
      expect(await settlesWithin(read, 10_000, "an unrelated get")).toMatchObject({ who: "other" });
      // One locked unit and one save of the row (each queued behind its predecessor) wait in PostgreSQL.
      expect(await lockWaiters(own.applicationName)).toBeLessThanOrEqual(2);
      await outside.query("COMMIT");
      await Promise.all([...units, ...saves]);
    } finally {
      outside.release();
    }
    await manager.close();
    await sessions.close();
  });

  test("a unit that waits its turn longer than lockTimeout gets LockTimeoutError without taking a connection; the holder's work is kept", async () => {
    const manager = new SessionManager({ ...own.options, tableName: table, timeout: 30_000 });
    const impatient = new SessionManager({ ...own.options, tableName: table, lockTimeout: 1_000 });
    const busy = (await manager.create({ n: 0 })).id;
    const release = deferred();
    const entered = deferred();
    const holder = manager.open(busy, async (session) => {
      entered.resolve();
      await release.promise;
      session.data["n"] = 1;
    });
    await entered.promise;
    // The first impatient unit waits on the lock in PostgreSQL; the ones behind it wait their turn here.
    const settled = Promise.allSettled(Array.from({ length: 6 }, () => impatient.open(busy, () => undefined)));
    await eventually(async () => (await lockWaiters(own.applicationName)) > 0);
    expect(await lockWaiters(own.applicationName)).toBe(1);
    const outcomes = await settled;
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(LockTimeoutError);
    }
    release.resolve();
    await holder;
    expect((await manager.read(busy)).data).toMatchObject({ n: 1 });
    await manager.close();
    await impatient.close();
  });

  test("without lockTimeout, a unit waiting on a lock held outside ends by its transaction timeout and leaves no connection waiting", async () => {
    const manager = new SessionManager({ ...own.options, tableName: table, timeout: 1_000 });
    const busy = (await manager.create({ n: 0 })).id;
    const outside = await admin.connect();
    try {
      await outside.query("BEGIN");
      await outside.query(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [busy]);
      const error = await settlesWithin(
        manager
          .open(busy, () => undefined)
          .then(
            () => undefined,
            (e: unknown) => e,
          ),
        10_000,
        "a unit waiting on the lock",
      );
      expect([LockTimeoutError, TransactionTimeoutError].some((type) => error instanceof type)).toBe(true);
      await eventually(async () => (await lockWaiters(own.applicationName)) === 0);
      await outside.query("COMMIT");
    } finally {
      outside.release();
    }
    await manager.close();
  });
});
