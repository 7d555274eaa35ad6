import { PostgresStore } from "../../src/index.ts";
import { parseTableName } from "../../src/table/table-name.ts";
import { countingClient, randomId, storedRow } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

test("tableName points the store at another table and leaves `sessions` alone", async () => {
  const table = await ctx.newTable("other");
  const store = new PostgresStore({ datasourceUrl: ctx.url, tableName: table });
  const id = randomId();
  try {
    await store.insert({ id, serialized: "elsewhere" });
    expect((await storedRow(ctx.admin, id, table))?.a_session).toBe("elsewhere");
    expect(await storedRow(ctx.admin, id)).toBeUndefined();
    expect(store.tableName).toBe(table);
  } finally {
    await store.close();
  }
});

test("schema.table is supported and quoted per part", async () => {
  const schema = `s_${randomId().slice(0, 8)}`;
  await ctx.admin.query(`CREATE SCHEMA ${schema}`);
  await ctx.admin.query(`CREATE TABLE ${schema}."Sessions" (id char(32) PRIMARY KEY, a_session text)`);
  const store = new PostgresStore({ datasourceUrl: ctx.url, tableName: `${schema}.Sessions` });
  try {
    const id = randomId();
    await store.insert({ id, serialized: "mixed case, own schema" });
    const { rows } = await ctx.admin.query(`SELECT a_session FROM ${schema}."Sessions" WHERE id = $1`, [id]);
    expect(rows[0].a_session).toBe("mixed case, own schema");
  } finally {
    await store.close();
  }
});

test.each([
  'sessions"; DROP TABLE sessions; --',
  "sessions; DELETE FROM sessions",
  "a.b.c",
  "",
  " sessions",
  "1sessions",
  "sess ions",
  'x"y',
  "a".repeat(64),
  "sessions\0",
  "séssions",
])("tableName %j is rejected before any SQL runs", async (tableName) => {
  const counting = countingClient(1);
  try {
    expect(() => new PostgresStore({ prisma: counting.prisma, tableName })).toThrow(TypeError);
    expect(() => parseTableName(tableName)).toThrow(TypeError);
    expect(() => parseTableName(tableName)).toThrow(/^tableName must be an SQL identifier or schema.table /);
    expect(counting.statements).toEqual([]);
  } finally {
    await counting.close();
  }
  const { rows } = await ctx.admin.query("SELECT to_regclass('public.sessions') IS NOT NULL AS present");
  expect(rows[0].present).toBe(true);
});

test("parseTableName quotes valid names", () => {
  expect(parseTableName("sessions").sql).toBe('"sessions"');
  expect(parseTableName("app.Web_Sessions$1").sql).toBe('"app"."Web_Sessions$1"');
});
