import { createHash } from "node:crypto";
import pg from "pg";
import { PostgresStore, SessionDatabaseError, type PostgresStoreOptions } from "../../src/index.ts";
import type { RowWrite } from "../../src/coalescer/session-rows.ts";
import { storableTime } from "../../src/table/storable-time.ts";
import { countingPool, type CountingPool } from "../support/counting-pool.ts";
import { createTable, newPrismaClient, randomId, testDatabaseUrl } from "../support/database.ts";

// Isolation of the coalesced write path: what one caller's write does (a value that cannot be stored,
// a large payload, a row another transaction holds, the order it is issued in) never fails, stalls or
// reorders another caller's write.

let counting: CountingPool;
let table: string;
// A table of many rows (ANALYZEd, so the planner picks the plan it would in production) for the
// lock-order test.
let bigTable: string;
const bigRows = 50_000;
const bigIds = Array.from({ length: bigRows }, (_, i) =>
  createHash("md5")
    .update(String(i + 1))
    .digest("hex"),
);

beforeAll(async () => {
  counting = countingPool();
  table = await createTable(counting.pool, "wi");
  bigTable = await createTable(counting.pool, "wibig");
  await counting.pool.query(
    `INSERT INTO "${bigTable}" (id, a_session, expires_at) ` +
      `SELECT md5(i::text), 'seed', now() + interval '1 day' FROM generate_series(1, ${bigRows}) AS i`,
  );
  await counting.pool.query(`ANALYZE "${bigTable}"`);
});
afterAll(async () => {
  await counting.pool.query(`DROP TABLE IF EXISTS "${bigTable}"`);
  await counting.close();
});

/** Store options on the shared pool, and on a pool of the test's own (with what ends what it opened). */
interface Path {
  shared: () => PostgresStoreOptions;
  own: (pool: pg.Pool) => { options: PostgresStoreOptions; close: () => Promise<void> };
}

const paths: Array<[string, Path]> = [
  ["pgPool", { shared: () => ({ pgPool: counting.pool }), own: (pool) => ({ options: { pgPool: pool }, close: async () => undefined }) }],
  [
    "PrismaClient",
    {
      shared: () => ({ prisma: counting.prisma() }),
      own: (pool) => {
        const prisma = newPrismaClient(pool);
        return { options: { prisma }, close: () => prisma.$disconnect() };
      },
    },
  ],
];

const future = () => new Date(Date.now() + 3_600_000);
const latest = "9999-12-31T23:59:59.999Z";

/** The next turn of the event loop: writes issued after it go out in another flush. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A small seeded PRNG (mulberry32): the same picks on every run. */
function mulberry32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `count` distinct elements of `from`, picked by `random`. */
function pick<T>(from: readonly T[], count: number, random: () => number): T[] {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(random() * from.length));
  return [...chosen].map((i) => from[i]!);
}

describe.each(paths)("through %s", (_path, connection) => {
  let store: PostgresStore;
  beforeAll(() => {
    store = new PostgresStore({ ...connection.shared(), tableName: table });
  });
  afterAll(() => store.close());

  /** writeRow, with a refusal before the call is queued reported as its own rejection. */
  const write = async (op: RowWrite) => store.writeRow(op);
  const upsert = (id: string, text: string, expiresAt: Date = future()) => write({ kind: "upsert", id, text, expiresAt });
  const textsOf = async (ids: readonly string[]) => (await Promise.all(ids.map((id) => store.readRow(id)))).map((row) => row?.a_session);

  describe("a poisoned batch", () => {
    test("an expiry past year 9999 is clamped: all 11 writes of the turn land, the far one at the latest storable time", async () => {
      const normal = Array.from({ length: 10 }, () => randomId());
      const far = randomId();
      const outcomes = await Promise.allSettled([
        ...normal.map((id, i) => upsert(id, `n${i}`)),
        upsert(far, "far", new Date(Date.UTC(10000, 0, 1))),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(Array(11).fill("fulfilled"));
      expect(await textsOf(normal)).toEqual(normal.map((_, i) => `n${i}`));
      const row = await store.readRow(far);
      expect(row?.a_session).toBe("far");
      expect(row?.expires_at?.toISOString()).toBe(latest);
    });

    test("an expiry that is no instant (NaN, or a Date of Infinity) fails only its own caller, with a RangeError", async () => {
      const normal = Array.from({ length: 10 }, () => randomId());
      const [nan, infinite, clamped] = [randomId(), randomId(), randomId()];
      const outcomes = await Promise.allSettled([
        ...normal.map((id, i) => upsert(id, `n${i}`)),
        upsert(nan, "nan", new Date(NaN)),
        upsert(infinite, "infinite", new Date(Infinity)),
        // An infinite time in ms (a `maxAge: Infinity` cookie) as the store makes it storable.
        upsert(clamped, "clamped", storableTime(Date.now() + Infinity)),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([...Array(10).fill("fulfilled"), "rejected", "rejected", "fulfilled"]);
      const [nanError, infiniteError] = [outcomes[10], outcomes[11]].map((o) => (o as PromiseRejectedResult).reason);
      expect(nanError).toBeInstanceOf(RangeError);
      expect(infiniteError).toBeInstanceOf(RangeError);
      expect(nanError).not.toBe(infiniteError);
      expect(await textsOf(normal)).toEqual(normal.map((_, i) => `n${i}`));
      expect(await store.readRow(nan)).toBeUndefined();
      expect(await store.readRow(infinite)).toBeUndefined();
      expect((await store.readRow(clamped))?.expires_at?.toISOString()).toBe(latest);
    });
  });

  test("a value PostgreSQL refuses (NUL in text) fails only its callers, each with an error object of its own", async () => {
    const good = Array.from({ length: 8 }, () => randomId());
    const [bad1, bad2] = [randomId(), randomId()];
    const outcomes = await Promise.allSettled([
      ...good.slice(0, 4).map((id) => upsert(id, `good ${id}`)),
      upsert(bad1, "nul \u0000 one"),
      ...good.slice(4).map((id) => upsert(id, `good ${id}`)),
      upsert(bad2, "nul \u0000 two"),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([...Array(4).fill("fulfilled"), "rejected", ...Array(4).fill("fulfilled"), "rejected"]);
    const a = (outcomes[4] as PromiseRejectedResult).reason;
    const b = (outcomes[9] as PromiseRejectedResult).reason;
    for (const error of [a, b]) {
      expect(error).toBeInstanceOf(SessionDatabaseError);
      expect(error).toMatchObject({ code: "ERR_SESSION_DATABASE", sqlState: "22021" });
      expect(String(error)).toMatch(/0x00/);
    }
    expect(a !== b).toBe(true);
    expect(await textsOf(good)).toEqual(good.map((id) => `good ${id}`));
    expect(await store.readRow(bad1)).toBeUndefined();
    expect(await store.readRow(bad2)).toBeUndefined();
  });

  test("a row a trigger of the application refuses fails only its caller, with a typed error that quotes none of its data", async () => {
    const guarded = await createTable(counting.pool, "wiguard");
    await counting.pool.query(
      `CREATE FUNCTION "${guarded}_refuse"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
        `IF NEW.a_session LIKE 'poison%' THEN RAISE EXCEPTION 'refused by policy' USING DETAIL = NEW.a_session, HINT = NEW.id; END IF; ` +
        `RETURN NEW; END $$`,
    );
    await counting.pool.query(
      `CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON "${guarded}" FOR EACH ROW EXECUTE FUNCTION "${guarded}_refuse"()`,
    );
    const target = new PostgresStore({ ...connection.shared(), tableName: guarded });
    try {
      const good = Array.from({ length: 10 }, () => randomId());
      const poisoned = [randomId(), randomId()];
      const write = (id: string, text: string) => target.writeRow({ kind: "upsert", id, text, expiresAt: future() });
      const outcomes = await Promise.allSettled([
        ...good.slice(0, 5).map((id) => write(id, `good ${id}`)),
        write(poisoned[0]!, "poison secret-one"),
        ...good.slice(5).map((id) => write(id, `good ${id}`)),
        write(poisoned[1]!, "poison secret-two"),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([...Array(5).fill("fulfilled"), "rejected", ...Array(5).fill("fulfilled"), "rejected"]);
      const errors = [outcomes[5], outcomes[11]].map((o) => (o as PromiseRejectedResult).reason as SessionDatabaseError);
      expect(errors[0]).not.toBe(errors[1]);
      for (const error of errors) {
        expect(error).toBeInstanceOf(SessionDatabaseError);
        expect(error).toMatchObject({
          code: "ERR_SESSION_DATABASE",
          sqlState: "P0001",
          message: expect.stringContaining("refused by policy"),
        });
        // Everything a logger would print: message, stack, own properties, the cause.
        const logged = JSON.stringify({
          ...error,
          message: error.message,
          stack: error.stack,
          cause: { ...(error.cause as object), message: String(error.cause) },
        });
        expect(logged).not.toContain("secret");
      }
      const rows = await target.query<{ id: string }>(`SELECT id::text AS id FROM "${guarded}"`, []);
      expect(rows.map((row) => row.id).sort()).toEqual([...good].sort());
    } finally {
      await target.close();
      await counting.pool.query(`DROP TABLE "${guarded}"`);
      await counting.pool.query(`DROP FUNCTION "${guarded}_refuse"()`);
    }
  });

  test("a turn of large payloads (12 × 1 MiB and a small one) is split into batches under the text cap: every write lands", async () => {
    const big = Array.from({ length: 12 }, () => randomId());
    const small = randomId();
    const mib = "x".repeat(1 << 20);
    const outcomes = await Promise.allSettled([...big.map((id) => upsert(id, mib)), upsert(small, "twenty bytes, small.")]);
    expect(outcomes.map((o) => o.status)).toEqual(Array(13).fill("fulfilled"));
    const rows = await store.query<{ id: string; n: number }>(
      `SELECT id::text AS id, length(a_session)::int AS n FROM ${store.table.sql} WHERE id = ANY($1::bpchar[])`,
      [[...big, small]],
    );
    const lengths = new Map(rows.map((row) => [row.id, Number(row.n)]));
    expect([...big, small].map((id) => lengths.get(id))).toEqual([...big.map(() => 1 << 20), 20]);
  });

  test("a row another transaction holds delays only its own write: the rest of the batch lands while the lock is held", async () => {
    const held = randomId();
    const others = Array.from({ length: 10 }, () => randomId());
    for (const id of [held, ...others]) await upsert(id, "before");
    const locker = new pg.Client({ connectionString: testDatabaseUrl() });
    await locker.connect();
    let committed = false;
    try {
      await locker.query("BEGIN");
      await locker.query(`SELECT id FROM ${store.table.sql} WHERE id = $1 FOR UPDATE`, [held]);
      let heldSettled = false;
      const heldWrite = upsert(held, "after");
      const otherWrites = others.map((id) => upsert(id, "after"));
      void heldWrite.then(
        () => (heldSettled = true),
        () => (heldSettled = true),
      );
      // Resolves before the COMMIT below: the batch did not wait on the held row.
      expect(await Promise.all(otherWrites)).toEqual(others.map(() => 0));
      expect(heldSettled).toBe(false);
      expect(await textsOf(others)).toEqual(others.map(() => "after"));
      await locker.query("COMMIT");
      committed = true;
      expect(await heldWrite).toBe(0);
      expect(heldSettled).toBe(true);
      expect(await textsOf([held, ...others])).toEqual(Array(11).fill("after"));
    } finally {
      if (!committed) await locker.query("ROLLBACK").catch(() => undefined);
      await locker.end();
    }
  });

  test("two stores writing the same rows in opposite orders never deadlock (rows locked in key order)", async () => {
    const pools = [
      new pg.Pool({ connectionString: testDatabaseUrl(), max: 4 }),
      new pg.Pool({ connectionString: testDatabaseUrl(), max: 4 }),
    ];
    const owned = pools.map((pool) => connection.own(pool));
    const stores = owned.map(({ options }) => new PostgresStore({ ...options, tableName: bigTable }));
    const random = mulberry32(0x5eed);
    const rejections: unknown[] = [];
    try {
      for (let round = 0; round < 60; round += 1) {
        const ids = pick(bigIds, 40, random);
        const expiresAt = future();
        const update = (target: PostgresStore, id: string, text: string) => target.writeRow({ kind: "update", id, text, expiresAt });
        const outcomes = await Promise.allSettled([
          ...ids.map((id) => update(stores[0]!, id, `one ${round}`)),
          ...[...ids].reverse().map((id) => update(stores[1]!, id, `two ${round}`)),
        ]);
        for (const outcome of outcomes) if (outcome.status === "rejected") rejections.push(outcome.reason);
        const rows = await Promise.all(ids.map((id) => stores[0]!.readRow(id)));
        for (const row of rows) expect([`one ${round}`, `two ${round}`]).toContain(row?.a_session);
      }
      expect(rejections).toEqual([]);
    } finally {
      for (const target of stores) await target.close();
      for (const { close } of owned) await close();
      for (const pool of pools) await pool.end().catch(() => undefined);
    }
  });

  describe("per-id order across turns", () => {
    test("a save issued in a later turn lands after the saves of the turn before (50 trials)", async () => {
      let last = 0;
      for (let trial = 0; trial < 50; trial += 1) {
        const id = randomId();
        const first = [upsert(id, "1"), upsert(id, "2")];
        await nextTurn();
        const third = upsert(id, "3");
        await Promise.all([...first, third]);
        if ((await store.readRow(id))?.a_session === "3") last += 1;
      }
      expect(last).toBe(50);
    });

    test("a destroy issued in the next turn is never overtaken by the save before it (50 trials)", async () => {
      let resurrections = 0;
      let revived = 0;
      for (let trial = 0; trial < 50; trial += 1) {
        const id = randomId();
        const save = upsert(id, "a");
        await nextTurn();
        const destroy = write({ kind: "destroy", ids: [id] });
        await Promise.all([save, destroy]);
        if ((await store.readRow(id)) !== undefined) resurrections += 1;
        if ((await write({ kind: "update", id, text: "b", expiresAt: future() })) !== 0) revived += 1;
      }
      expect(resurrections).toBe(0);
      expect(revived).toBe(0);
    });
  });
});
