import fc from "fast-check";
import {
  CorruptPayloadError,
  DuplicateSessionIdError,
  InvalidSessionIdError,
  PayloadTooLargeError,
  PostgresStore,
  SessionNotFoundError,
  SessionStoreError,
  type SessionRecord,
  type StoreTransaction,
} from "../../src/index.ts";
import { parseTableName } from "../../src/table/table-name.ts";
import { Canary } from "../support/canary.ts";
import { checkProperty, propertyTimeout } from "../support/check-property.ts";
import { randomId } from "../support/database.ts";
import { hostileId, hostileTableName, hostileText, hugeText } from "../support/hostile-arbitraries.ts";
import { preview } from "../support/preview.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// Property-based: PostgresStore's four operations with hostile ids and payloads (on the store's own
// node-postgres connection), and the store's constructor with hostile table names (on a PrismaClient
// handle, alone and in transactions). Every call returns the result a model of the table predicts or
// the typed error it predicts; nothing is injected (a canary row and a canary table are checked after
// every case, and the whole table is compared with the model at the end).
//
// Cases run in batches of BATCH concurrently (one fast-check run = one batch, distinct ids within a
// batch), which keeps 10 000 cases to seconds.

const BATCH = 25;
const RUNS = 400; // 400 × 25 = 10 000 cases
const maxPayloadBytes = 1024 * 1024;

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

type Op = "insert" | "update" | "materialize" | "remove";
interface StoreCase {
  op: Op;
  id: unknown;
  serialized: unknown;
}
type Outcome = { value: unknown } | { error: new (...args: never[]) => Error };

// Ids reused across runs, so that duplicates, updates and removals of existing rows happen.
const reusedIds = [
  ...Array.from({ length: 12 }, (_, i) => `k${i}`),
  "'OR'1'='1'--",
  "';DROP/**/TABLE/**/sessions;--",
  "a".repeat(32),
  "$1",
  "\\",
];

const storeCase: fc.Arbitrary<StoreCase> = fc.record({
  op: fc.constantFrom<Op>("insert", "update", "materialize", "remove"),
  id: fc.oneof({ arbitrary: hostileId, weight: 3 }, { arbitrary: fc.constantFrom(...reusedIds), weight: 2 }),
  serialized: fc.oneof(
    { arbitrary: hostileText, weight: 40 },
    { arbitrary: fc.constant(null), weight: 2 },
    { arbitrary: hugeText, weight: 1 },
    { arbitrary: fc.oneof(fc.integer(), fc.object({ maxDepth: 1 }), fc.constant(undefined)), weight: 2 },
  ),
});

/** What Apache::Session's contract says a call does, given the table's content (an independent restatement of it). */
function predict(model: Map<string, string | null>, c: StoreCase): Outcome {
  const validId = typeof c.id === "string" && /^[\x21-\x7e]+$/.test(c.id) && c.id.length <= 32;
  if (!validId) return { error: InvalidSessionIdError };
  const id = c.id as string;
  if (c.op === "insert" || c.op === "update") {
    const s = c.serialized;
    if (s !== null && typeof s !== "string") return { error: CorruptPayloadError };
    if (typeof s === "string" && (s.includes("\0") || !s.isWellFormed())) return { error: CorruptPayloadError };
    if (typeof s === "string" && Buffer.byteLength(s, "utf8") > maxPayloadBytes) return { error: PayloadTooLargeError };
  }
  switch (c.op) {
    case "insert":
      return model.has(id) ? { error: DuplicateSessionIdError } : { value: undefined };
    case "update":
      return { value: model.has(id) ? 1 : 0 };
    case "materialize":
      return model.has(id) ? { value: model.get(id) } : { error: SessionNotFoundError };
    case "remove":
      return { value: model.has(id) ? 1 : 0 };
  }
}

function apply(model: Map<string, string | null>, c: StoreCase): void {
  const id = c.id as string;
  if (c.op === "insert" || (c.op === "update" && model.has(id))) model.set(id, c.serialized as string | null);
  if (c.op === "remove") model.delete(id);
}

async function run(store: PostgresStore | StoreTransaction, c: StoreCase): Promise<unknown> {
  const record = { id: c.id, serialized: c.serialized } as SessionRecord;
  switch (c.op) {
    case "insert":
      return store.insert(record);
    case "update":
      return store.update(record);
    case "materialize":
      return (await store.materialize(record)).serialized;
    case "remove":
      return store.remove(record);
  }
}

test(
  "PostgresStore insert/update/materialize/remove: hostile ids and payloads get the model's result or its typed error; nothing is injected",
  async () => {
    const table = await ctx.newTable("fuzz");
    const canary = await Canary.plant(ctx.admin, table);
    const store = new PostgresStore({
      datasourceUrl: ctx.url,
      tableName: table,
      maxPayloadBytes,
      pool: { max: 15, connectionTimeoutMillis: 30_000 },
    });
    const model = new Map<string, string | null>();
    const outcomes: Record<string, number> = {};
    let cases = 0;
    try {
      await checkProperty(
        fc.asyncProperty(
          fc.uniqueArray(
            storeCase.filter((c) => c.id !== canary.id),
            {
              minLength: BATCH,
              maxLength: BATCH,
              selector: (c) => (typeof c.id === "string" ? c.id : Symbol()),
            },
          ),
          async (batch) => {
            // Distinct ids: the cases of a batch do not affect each other, so the model predicts each alone.
            const predictions = batch.map((c) => predict(model, c));
            await Promise.all(
              batch.map(async (c, i) => {
                const predicted = predictions[i]!;
                let actual: Outcome;
                try {
                  actual = { value: await run(store, c) };
                } catch (error) {
                  if (!(error instanceof SessionStoreError))
                    throw new Error(`untyped error for ${c.op}(${preview(c.id)}): ${String(error)}`, { cause: error });
                  actual = { error: error.constructor as new () => Error };
                }
                cases += 1;
                const label = `${c.op} → ${"error" in actual ? actual.error.name : "ok"}`;
                outcomes[label] = (outcomes[label] ?? 0) + 1;
                if ("error" in predicted) {
                  if (!("error" in actual) || actual.error !== predicted.error) {
                    throw new Error(
                      `${c.op}(${preview(c.id)}, ${preview(c.serialized)}): expected ${predicted.error.name}, got ${"error" in actual ? actual.error.name : preview(actual.value)}`,
                    );
                  }
                } else if ("error" in actual || actual.value !== predicted.value) {
                  throw new Error(
                    `${c.op}(${preview(c.id)}, ${preview(c.serialized)}): expected ${preview(predicted.value)}, got ${"error" in actual ? actual.error.name : preview(actual.value)}`,
                  );
                }
                await canary.assertIntact();
              }),
            );
            batch.forEach((c, i) => {
              if (!("error" in predictions[i]!)) apply(model, c);
            });
          },
        ),
        { seed: 1_193_455_027, numRuns: RUNS },
      );
      // The table holds exactly what the model says, byte for byte.
      const { rows } = await ctx.admin.query(`SELECT id::text AS id, a_session FROM "${table}" WHERE id <> $1`, [canary.id]);
      expect(new Map(rows.map((row) => [row.id as string, row.a_session as string | null]))).toEqual(model);
      console.log(
        `PostgresStore fuzz: ${cases} cases, ${canary.checks} canary checks, ${model.size} rows at the end\n${JSON.stringify(outcomes, null, 2)}`,
      );
      expect(cases).toBeGreaterThanOrEqual(10_000);
    } finally {
      await store.close();
      await canary.remove();
    }
  },
  propertyTimeout(120_000),
);

// The validator's rule, restated: one or two parts, each an SQL identifier of at most 63 characters.
// null, like undefined, means "not set": the default table.
const identifier = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const isValidTableName = (name: unknown) =>
  name === null ||
  name === undefined ||
  (typeof name === "string" && name.split(".").length <= 2 && name.split(".").every((part) => identifier.test(part)));

test(
  "table names: hostile names are a TypeError before any SQL; valid ones work or fail typed; nothing is injected",
  async () => {
    const table = await ctx.newTable("fuzz");
    const canary = await Canary.plant(ctx.admin, table);
    // Valid names of relations that exist but are not sessions tables, and of this run's own tables.
    const existing = [
      table,
      `public.${table}`,
      canary.table,
      "sessions",
      "pg_class",
      "pg_catalog.pg_class",
      "information_schema.tables",
      "pg_stat_activity",
    ];
    const outcomes: Record<string, number> = {};
    let cases = 0;
    try {
      await checkProperty(
        fc.asyncProperty(
          fc.array(
            fc.record({
              name: hostileTableName(existing),
              op: fc.constantFrom<Op>("update", "materialize", "remove"),
              inTransaction: fc.boolean(),
            }),
            {
              minLength: BATCH,
              maxLength: BATCH,
            },
          ),
          async (batch) => {
            await Promise.all(
              batch.map(async ({ name, op, inTransaction }) => {
                let store: PostgresStore;
                try {
                  store = new PostgresStore({ prisma: ctx.prisma, tableName: name as string });
                } catch (error) {
                  cases += 1;
                  if (!(error instanceof TypeError))
                    throw new Error(`tableName ${preview(name)}: expected a TypeError, got ${String(error)}`);
                  if (isValidTableName(name)) throw new Error(`valid tableName ${preview(name)} was refused: ${(error as Error).message}`);
                  outcomes["refused (TypeError)"] = (outcomes["refused (TypeError)"] ?? 0) + 1;
                  await canary.assertIntact();
                  return;
                }
                if (!isValidTableName(name)) throw new Error(`invalid tableName ${preview(name)} was accepted`);
                const given = (name ?? "sessions") as string;
                expect(store.table).toEqual(parseTableName(given));
                expect(store.table.sql).toBe(
                  given
                    .split(".")
                    .map((part) => `"${part}"`)
                    .join("."),
                );
                // An id no table holds: nothing may change, whatever the table.
                const id = randomId();
                try {
                  const c = { op, id, serialized: "x" };
                  await (inTransaction ? store.transaction((tx) => run(tx, c)) : run(store, c));
                  outcomes[`${op} → ok`] = (outcomes[`${op} → ok`] ?? 0) + 1;
                } catch (error) {
                  if (!(error instanceof SessionStoreError))
                    throw new Error(`untyped error for tableName ${preview(name)}, ${op}: ${String(error)}`, { cause: error });
                  outcomes[`${op} → ${error.name}`] = (outcomes[`${op} → ${error.name}`] ?? 0) + 1;
                }
                cases += 1;
                await canary.assertIntact();
              }),
            );
          },
        ),
        { seed: 331_860_742, numRuns: RUNS },
      );
      console.log(`table name fuzz: ${cases} cases, ${canary.checks} canary checks\n${JSON.stringify(outcomes, null, 2)}`);
      expect(cases).toBeGreaterThanOrEqual(10_000);
    } finally {
      await canary.remove();
    }
  },
  propertyTimeout(120_000),
);
