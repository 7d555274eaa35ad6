import { ensureSchema, PostgresStore } from "../../src/index.ts";
import { randomId } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

/** Columns, types, nullability, defaults, primary key and indexes of a table, with its own name factored out. */
async function catalog(table: string) {
  const columns = await ctx.admin.query(
    `SELECT column_name, data_type, character_maximum_length, datetime_precision, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  const indexes = await ctx.admin.query(
    `SELECT replace(i.relname, $1, 'T') AS name, replace(pg_get_indexdef(i.oid), $1, 'T') AS definition, x.indisprimary, x.indisunique
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
      WHERE t.relname = $1 ORDER BY 1`,
    [table],
  );
  const constraints = await ctx.admin.query(
    `SELECT replace(conname, $1, 'T') AS name, contype, pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = $1 ORDER BY 1`,
    [table],
  );
  return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
}

test("ensureSchema makes the same table as the migrations, is idempotent, and writes no _prisma_migrations", async () => {
  const migrated = await ctx.newTable("mig");
  const ensured = `ens_${randomId().slice(0, 12)}`;
  const store = new PostgresStore({ datasourceUrl: ctx.url, tableName: ensured });
  ctx.cleanup(() => store.close());
  await ensureSchema(store);
  await ensureSchema(store);
  const expected = await catalog(migrated);
  expect(expected.columns.map((c) => c.column_name)).toEqual([
    "id",
    "a_session",
    "expires_at",
    "user_id",
    "created_at",
    "last_active_at",
    "user_agent",
    "ip",
  ]);
  expect(expected.indexes.map((i) => i.name)).toEqual(["T_created_at_idx", "T_expires_at_idx", "T_pkey", "T_user_id_idx"]);
  expect(await catalog(ensured)).toEqual(expected);
  const { rows } = await ctx.admin.query("SELECT to_regclass('public._prisma_migrations') AS t");
  expect(rows[0].t).toBeNull();
});

test("ensureSchema completes a table made by the first migration only (an Apache::Session table), keeping its rows", async () => {
  const table = `seed_${randomId().slice(0, 12)}`;
  await ctx.admin.query(
    `CREATE TABLE "${table}" ("id" CHAR(32) NOT NULL, "a_session" TEXT, CONSTRAINT "${table}_pkey" PRIMARY KEY ("id"))`,
  );
  await ctx.admin.query(`INSERT INTO "${table}" (id, a_session) VALUES ('abc', 'perl data')`);
  const seedStore = new PostgresStore({ datasourceUrl: ctx.url, tableName: table });
  try {
    await ensureSchema(seedStore);
  } finally {
    await seedStore.close();
  }
  const migrated = await ctx.newTable("mig");
  expect(await catalog(table)).toEqual(await catalog(migrated));
  const { rows } = await ctx.admin.query(`SELECT a_session, expires_at FROM "${table}"`);
  expect(rows).toEqual([{ a_session: "perl data", expires_at: null }]);
});

test("ensureSchema run by several instances at once: every call succeeds and makes the migrations' table", async () => {
  const migrated = await catalog(await ctx.newTable("mig"));
  // Several fresh tables: one race alone may happen to run one call after the other.
  for (let round = 0; round < 5; round++) {
    const table = `race_${randomId().slice(0, 12)}`;
    // App instances starting together, each with its own store and connection.
    const instances = Array.from({ length: 4 }, () => new PostgresStore({ datasourceUrl: ctx.url, tableName: table }));
    try {
      const outcomes = await Promise.allSettled(instances.map((instance) => ensureSchema(instance)));
      expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
    }
    expect(await catalog(table)).toEqual(migrated);
  }
});
