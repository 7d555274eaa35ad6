import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { countingPool, type CountingPool } from "../support/counting-pool.ts";
import { createTable, randomId } from "../support/database.ts";

let counting: CountingPool;
let table: string;
beforeAll(async () => {
  counting = countingPool();
  table = await createTable(counting.pool, "ab");
});
afterAll(async () => {
  await counting.close();
});

const cookie = () => ({ cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000) } });

async function sent<T>(run: () => Promise<T>): Promise<string[]> {
  const before = counting.statements.length;
  await run();
  return counting.statements.slice(before);
}

describe.each([
  ["pgPool", () => ({ pgPool: counting.pool })],
  ["PrismaClient", () => ({ prisma: counting.prisma() })],
] as const)("PgSessionStore through %s", (_path, connection) => {
  let store: PgSessionStore;
  beforeAll(() => {
    store = new PgSessionStore({ ...connection(), tableName: table, pruneSessionInterval: false, cacheSize: 0 });
  });
  afterAll(() => store.close());

  test("16 requests' gets at once are one statement; each gets its own session, an expired one is null", async () => {
    const sids = Array.from({ length: 16 }, () => randomId());
    await Promise.all(sids.map((sid, i) => store.set(sid, { ...cookie(), n: i })));
    const expired = randomId();
    await store.set(expired, { cookie: { originalMaxAge: 1000, expires: new Date(Date.now() + 1000) } });
    // Expire it behind the store's back, as time would.
    await counting.pool.query(`UPDATE "${table}" SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired]);
    let results: unknown[] = [];
    const statements = await sent(async () => {
      results = await Promise.all([...sids, expired].map((sid) => store.get(sid)));
    });
    expect(statements).toHaveLength(1);
    expect(results.map((session) => (session as { n?: number } | null)?.n ?? null)).toEqual([...sids.map((_, i) => i), null]);
  });

  test("sets and a destroy in one tick end as if run one after the other; a destroyed session stays destroyed", async () => {
    const [kept, gone] = [randomId(), randomId()];
    const statements = await sent(() =>
      Promise.all([
        store.set(kept, { ...cookie(), v: 1 }),
        store.set(gone, { ...cookie(), v: 1 }),
        store.destroy(gone),
        store.set(kept, { ...cookie(), v: 2 }),
        // A save of the destroyed session after its destroy, as a request still in flight makes it: no statement.
        store.set(gone, { ...cookie(), v: 2 }),
      ]),
    );
    // Two rounds: upsert both; then the destroy of one and the second upsert of the other.
    expect(statements).toHaveLength(3);
    expect(await store.get(kept)).toMatchObject({ v: 2 });
    expect(await store.get(gone)).toBeNull();
  });

  test("touches at once are one statement", async () => {
    const sids = Array.from({ length: 8 }, () => randomId());
    await Promise.all(sids.map((sid) => store.set(sid, { cookie: { originalMaxAge: 1000, expires: new Date(Date.now() + 1000) } })));
    const statements = await sent(() => Promise.all(sids.map((sid) => store.touch(sid, cookie()))));
    expect(statements).toHaveLength(1);
    const { rows } = await counting.pool.query(
      `SELECT count(*)::int AS n FROM "${table}" WHERE id = ANY($1) AND expires_at > now() + interval '30 minutes'`,
      [sids],
    );
    expect(rows[0].n).toBe(8);
  });
});

test("batch: false: one statement per get", async () => {
  const store = new PgSessionStore({ pgPool: counting.pool, tableName: table, pruneSessionInterval: false, batch: false });
  try {
    const statements = await sent(() => Promise.all(Array.from({ length: 5 }, () => store.get(randomId()))));
    expect(statements).toHaveLength(5);
  } finally {
    await store.close();
  }
});
