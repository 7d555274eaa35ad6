import { PostgresStore, StoreClosedError, TableNotFoundError, type PostgresStoreOptions } from "../../src/index.ts";
import { countingPool, type CountingPool } from "../support/counting-pool.ts";
import { createTable, randomId } from "../support/database.ts";

let counting: CountingPool;
let table: string;
beforeAll(async () => {
  counting = countingPool();
  table = await createTable(counting.pool, "co");
});
afterAll(async () => {
  await counting.close();
});

const paths: Array<[string, () => PostgresStoreOptions]> = [
  ["pgPool", () => ({ pgPool: counting.pool })],
  ["PrismaClient", () => ({ prisma: counting.prisma() })],
];

/** The statements `run` sends, and its result. */
async function statementsOf<T>(run: () => Promise<T>): Promise<{ sent: string[]; result: T }> {
  const before = counting.statements.length;
  const result = await run();
  return { sent: counting.statements.slice(before), result };
}

const future = () => new Date(Date.now() + 3_600_000);

describe.each(paths)("through %s", (_path, connection) => {
  let store: PostgresStore;
  beforeAll(() => {
    store = new PostgresStore({ ...connection(), tableName: table });
  });
  afterAll(() => store.close());

  test("reads issued together go out as one statement, and each caller gets its own row", async () => {
    const ids = Array.from({ length: 16 }, () => randomId());
    for (const [i, id] of ids.entries()) await store.writeRow({ kind: "upsert", id, text: `row ${i}`, expiresAt: future() });
    const missing = randomId();
    const { sent, result } = await statementsOf(() => Promise.all([...ids, missing].map((id) => store.readRow(id))));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/= ANY\(\$1::bpchar\[\]\)/);
    expect(result.map((row) => row?.a_session)).toEqual([...ids.map((_, i) => `row ${i}`), undefined]);
    expect(result[0]!.expires_at).toBeInstanceOf(Date);
  });

  test("one read alone uses the single-row statement", async () => {
    const { sent } = await statementsOf(() => store.readRow(randomId()));
    expect(sent).toEqual([expect.stringMatching(/WHERE id = \$1::bpchar$/)]);
  });

  test("writes issued together: one statement per kind, and each id's writes in the order issued", async () => {
    const [a, b, c, d] = [randomId(), randomId(), randomId(), randomId()];
    await store.writeRow({ kind: "upsert", id: c, text: "c0", expiresAt: future() });
    const { sent, result } = await statementsOf(() =>
      Promise.all([
        store.writeRow({ kind: "upsert", id: a, text: "a1", expiresAt: future() }),
        store.writeRow({ kind: "upsert", id: b, text: "b1", expiresAt: future() }),
        store.writeRow({ kind: "destroy", ids: [a] }),
        store.writeRow({ kind: "upsert", id: a, text: "a2", expiresAt: future() }),
        // A destroy never loses to an earlier write, and an update never revives what was destroyed.
        store.writeRow({ kind: "destroy", ids: [b] }),
        store.writeRow({ kind: "update", id: b, text: "b2", expiresAt: future() }),
        store.writeRow({ kind: "update", id: c, text: "c1", expiresAt: future() }),
        store.writeRow({ kind: "touch", id: d, now: new Date(), expiresAt: future(), staleBefore: future() }),
      ]),
    );
    expect(result).toEqual([1, 1, 1, 1, 1, 0, 1, 0]);
    // Round 1: upsert a+b, update c, touch d; round 2: destroy a+b; round 3: upsert a, update b.
    expect(sent).toHaveLength(6);
    const rows = await Promise.all([a, b, c, d].map((id) => store.readRow(id)));
    expect(rows.map((row) => row?.a_session)).toEqual(["a2", undefined, "c1", undefined]);
  });

  test("writes of one kind but different column sets go out as one statement per set; NULLs in arrays keep the stored device", async () => {
    const [a, b, c, d, e] = [randomId(), randomId(), randomId(), randomId(), randomId()];
    const at = new Date("2026-11-25T12:00:00Z");
    const later = new Date("2026-11-25T13:00:00Z");
    await store.writeRow({
      kind: "upsert",
      id: c,
      text: "c0",
      expiresAt: future(),
      track: { at, owner: { userId: "u", userAgent: "UA", ip: "::1" } },
    });
    const { sent, result } = await statementsOf(() =>
      Promise.all([
        store.writeRow({
          kind: "upsert",
          id: a,
          text: "a",
          expiresAt: future(),
          track: { at, owner: { userId: "u1", userAgent: null, ip: "192.0.2.1" } },
        }),
        store.writeRow({
          kind: "upsert",
          id: b,
          text: "b",
          expiresAt: future(),
          track: { at, owner: { userId: null, userAgent: "UA2", ip: null } },
        }),
        store.writeRow({
          kind: "update",
          id: c,
          text: "c1",
          expiresAt: future(),
          track: { at: later, owner: { userId: "u2", userAgent: null, ip: null } },
        }),
        store.writeRow({ kind: "upsert", id: d, text: "d", expiresAt: future(), track: { at } }),
        store.writeRow({ kind: "upsert", id: e, text: "e", expiresAt: future() }),
      ]),
    );
    expect(result).toEqual([1, 1, 1, 1, 1]);
    // Owned upserts (a, b) together; the owned update, the tracked upsert and the plain one alone.
    expect(sent).toHaveLength(4);
    const rows = await store.query<Record<string, unknown>>(
      `SELECT id::text AS id, a_session, created_at, last_active_at, user_id, user_agent, ip FROM ${store.table.sql} WHERE id = ANY($1::bpchar[]) ORDER BY a_session`,
      [[a, b, c, d, e]],
    );
    expect(rows).toEqual([
      { id: a, a_session: "a", created_at: at, last_active_at: at, user_id: "u1", user_agent: null, ip: "192.0.2.1" },
      { id: b, a_session: "b", created_at: at, last_active_at: at, user_id: null, user_agent: "UA2", ip: null },
      { id: c, a_session: "c1", created_at: at, last_active_at: later, user_id: "u2", user_agent: "UA", ip: "::1" },
      { id: d, a_session: "d", created_at: at, last_active_at: at, user_id: null, user_agent: null, ip: null },
      { id: e, a_session: "e", created_at: null, last_active_at: null, user_id: null, user_agent: null, ip: null },
    ]);
  });

  test("an upsert tells whether it inserted its row (1) or updated one already there (0): coalesced, alone, and without batching", async () => {
    const [old1, old2, new1, new2] = [randomId(), randomId(), randomId(), randomId()];
    for (const id of [old1, old2]) await store.writeRow({ kind: "upsert", id, text: "before", expiresAt: future() });
    const upsert = (target: PostgresStore, id: string) => target.writeRow({ kind: "upsert", id, text: "after", expiresAt: future() });
    // Coalesced: one unnest statement for the four, each told its own row's fate.
    const { sent, result } = await statementsOf(() => Promise.all([old1, new1, old2, new2].map((id) => upsert(store, id))));
    expect(sent).toHaveLength(1);
    expect(result).toEqual([0, 1, 0, 1]);
    // Alone (the single-row statement), and with batch: false, for every column set.
    expect(await upsert(store, old1)).toBe(0);
    expect(await upsert(store, randomId())).toBe(1);
    const direct = new PostgresStore({ ...connection(), tableName: table, batch: false });
    try {
      const owner = { userId: "u", userAgent: null, ip: null };
      const fresh = randomId();
      const at = new Date();
      expect(await direct.writeRow({ kind: "upsert", id: fresh, text: "x", expiresAt: future(), track: { at, owner } })).toBe(1);
      expect(await direct.writeRow({ kind: "upsert", id: fresh, text: "y", expiresAt: future(), track: { at, owner } })).toBe(0);
      expect(await direct.writeRow({ kind: "upsert", id: fresh, text: "z", expiresAt: future(), track: { at } })).toBe(0);
      expect(await upsert(direct, fresh)).toBe(0);
    } finally {
      await direct.close();
    }
  });

  test("deleteRows: one statement, ordered with the other writes, telling which ids it deleted", async () => {
    const [kept, gone, never] = [randomId(), randomId(), randomId()];
    for (const id of [kept, gone]) await store.writeRow({ kind: "upsert", id, text: "x", expiresAt: future() });
    const { sent, result } = await statementsOf(() =>
      Promise.all([store.writeRow({ kind: "upsert", id: never, text: "late", expiresAt: future() }), store.deleteRows([gone, never])]),
    );
    // The upsert of `never` went out first (its round), so the delete found it.
    expect(sent).toHaveLength(2);
    expect(result[1].sort()).toEqual([gone, never].sort());
    expect(await store.deleteRows([gone, randomId()])).toEqual([]);
    expect(await store.deleteRows([kept])).toEqual([kept]);
  });

  test("a failed statement fails only the caller at fault: the others' writes are retried alone and land", async () => {
    const [good, bad, other] = [randomId(), randomId(), randomId()];
    await store.writeRow({ kind: "upsert", id: other, text: "o", expiresAt: future() });
    const outcomes = await Promise.allSettled([
      store.writeRow({ kind: "upsert", id: good, text: "fine", expiresAt: future() }),
      // PostgreSQL text cannot hold NUL: the upsert statement of this turn fails as a whole.
      store.writeRow({ kind: "upsert", id: bad, text: "nul \u0000", expiresAt: future() }),
      store.writeRow({ kind: "update", id: other, text: "o2", expiresAt: future() }),
      store.readRow(other),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/0x00/);
    expect((await store.readRow(other))?.a_session).toBe("o2");
    expect((await store.readRow(good))?.a_session).toBe("fine");
    expect(await store.readRow(bad)).toBeUndefined();
  });

  test("a mapped error names each caller's own id", async () => {
    const missing = new PostgresStore({ ...connection(), tableName: `missing_${randomId().slice(0, 8)}` });
    const ids = [randomId(), randomId(), randomId()];
    try {
      const outcomes = await Promise.allSettled(ids.map((id) => missing.readRow(id)));
      expect(outcomes.map((o) => (o as PromiseRejectedResult).reason)).toEqual(ids.map(() => expect.any(TableNotFoundError)));
      expect(outcomes.map((o) => (o as PromiseRejectedResult).reason.sessionId)).toEqual(ids);
    } finally {
      await missing.close();
    }
  });

  test("maxBatchSize splits a batch; batch: false sends one statement per call", async () => {
    const ids = Array.from({ length: 10 }, () => randomId());
    const small = new PostgresStore({ ...connection(), tableName: table, maxBatchSize: 4 });
    const off = new PostgresStore({ ...connection(), tableName: table, batch: false });
    try {
      expect((await statementsOf(() => Promise.all(ids.map((id) => small.readRow(id))))).sent).toHaveLength(3);
      expect((await statementsOf(() => Promise.all(ids.map((id) => off.readRow(id))))).sent).toHaveLength(10);
    } finally {
      await small.close();
      await off.close();
    }
  });

  test("lifecycle reads and deletes are coalesced too", async () => {
    const ids = Array.from({ length: 8 }, () => randomId());
    for (const id of ids) await store.insert({ id, serialized: `s ${id}` });
    const reads = await statementsOf(() => Promise.all(ids.map((id) => store.fetch({ id, serialized: null }))));
    expect(reads.sent).toHaveLength(1);
    expect(reads.result.map((record) => record.serialized)).toEqual(ids.map((id) => `s ${id}`));
    const deletes = await statementsOf(() => Promise.all([...ids, randomId()].map((id) => store.remove({ id }))));
    expect(deletes.sent).toHaveLength(1);
    expect(deletes.result).toEqual([...ids.map(() => 1), 0]);
  });
});

test("a closed store refuses row reads and writes", async () => {
  const store = new PostgresStore({ pgPool: counting.pool, tableName: table });
  await store.close();
  expect(() => store.readRow(randomId())).toThrow(StoreClosedError);
  expect(() => store.writeRow({ kind: "destroy", ids: [randomId()] })).toThrow(StoreClosedError);
});
