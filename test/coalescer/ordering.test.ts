import fc from "fast-check";
import pg from "pg";
import type { RowOwner, RowTracking, RowWrite } from "../../src/coalescer/session-rows.ts";
import { PostgresStore } from "../../src/index.ts";
import { checkProperty, propertyTimeout } from "../support/check-property.ts";
import { createTable, testDatabaseUrl } from "../support/database.ts";

// Writes issued together through the coalescer must end exactly as the same writes run one after the
// other: same rows, same result for every caller. A few ids make collisions (several writes to one id
// in one batch) the common case.
const ids = ["a".repeat(32), "b".repeat(32), "c".repeat(32)];
const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 0, minutes));

const id = fc.constantFrom(...ids);
const minute = fc.integer({ min: 0, max: 30 });
// Each column set (plain, tracked, owned: see WriteShape), so that writes of one kind but different
// statements share batches; nulls included (a NULL user agent or ip keeps the stored one).
const owner: fc.Arbitrary<RowOwner> = fc.record({
  userId: fc.option(fc.constantFrom("u1", "u2"), { nil: null }),
  userAgent: fc.option(fc.constantFrom("ua1", "ua2"), { nil: null }),
  ip: fc.option(fc.constantFrom("10.0.0.1", "::1"), { nil: null }),
});
const track: fc.Arbitrary<RowTracking | undefined> = fc.option(
  fc.record({ at: minute.map(at), owner: fc.option(owner, { nil: undefined }) }),
  { nil: undefined },
);
const write: fc.Arbitrary<RowWrite> = fc.oneof(
  fc.record({ kind: fc.constant("upsert" as const), id, text: fc.string({ maxLength: 4 }), expiresAt: minute.map(at), track }),
  fc.record({ kind: fc.constant("update" as const), id, text: fc.string({ maxLength: 4 }), expiresAt: minute.map(at), track }),
  fc.record({
    kind: fc.constant("touch" as const),
    id,
    now: minute.map(at),
    expiresAt: minute.map(at),
    staleBefore: minute.map(at),
    track: fc.option(fc.constant(true), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant("destroy" as const), ids: fc.uniqueArray(id, { minLength: 1, maxLength: 2 }) }),
);
const initialRow = fc.option(fc.record({ text: fc.string({ maxLength: 4 }), expiresAt: minute.map(at), track }), { nil: undefined });

let pool: pg.Pool;
let batched: PostgresStore;
let oneByOne: PostgresStore;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 4 });
  batched = new PostgresStore({ pgPool: pool, tableName: await createTable(pool, "ob") });
  oneByOne = new PostgresStore({ pgPool: pool, tableName: await createTable(pool, "os"), batch: false });
});
afterAll(async () => {
  await batched.close();
  await oneByOne.close();
  await pool.end();
});

// Every column, the activity and owner columns included.
async function rowsOf(store: PostgresStore) {
  return store.query(
    `SELECT id, a_session, expires_at, created_at, last_active_at, user_id, user_agent, ip FROM ${store.table.sql} ORDER BY id`,
    [],
  );
}

test(
  "writes issued in one tick end as if run one after the other, with each caller's own result",
  async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.array(initialRow, { minLength: 3, maxLength: 3 }),
        fc.array(write, { minLength: 1, maxLength: 12 }),
        async (initial, writes) => {
          for (const store of [batched, oneByOne]) {
            await store.execute(`DELETE FROM ${store.table.sql}`, []);
            for (const [index, row] of initial.entries()) {
              if (row !== undefined)
                await store.writeRow({ kind: "upsert", id: ids[index]!, text: row.text, expiresAt: row.expiresAt, track: row.track });
            }
          }
          const together = await Promise.all(writes.map((op) => batched.writeRow(op)));
          const sequential: number[] = [];
          for (const op of writes) sequential.push(await oneByOne.writeRow(op));
          expect(together).toEqual(sequential);
          expect(await rowsOf(batched)).toEqual(await rowsOf(oneByOne));
        },
      ),
      { seed: 20261127, numRuns: 80 },
    );
  },
  propertyTimeout(60_000),
);
