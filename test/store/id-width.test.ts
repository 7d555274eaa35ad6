import { ensureSchema, InvalidSessionIdError, PostgresStore } from "../../src/index.ts";
import { randomId } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// ctx.admin is also the pool the stores are given (`pgPool`, two connections).
let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest({ adminPoolSize: 2 });
});
afterAll(() => destroyTest(ctx));

test.each([16, 32, 64])("ensureSchema makes the id column as wide as the store's maxIdLength (%i)", async (maxIdLength) => {
  const table = `width_${maxIdLength}_${randomId().slice(0, 10)}`;
  const store = new PostgresStore({ pgPool: ctx.admin, tableName: table, maxIdLength });
  try {
    await ensureSchema(store);
    const { rows } = await ctx.admin.query(
      "SELECT data_type, character_maximum_length FROM information_schema.columns WHERE table_name = $1 AND column_name = 'id'",
      [table],
    );
    expect(rows).toEqual([{ data_type: "character", character_maximum_length: maxIdLength }]);
    // The widest id the store accepts round-trips; one character more is refused before any SQL.
    const widest = "a".repeat(maxIdLength);
    await store.insert({ id: widest, serialized: "x" });
    expect((await store.fetch({ id: widest, serialized: null })).serialized).toBe("x");
    await expect(store.insert({ id: `${widest}a`, serialized: "x" })).rejects.toThrow(InvalidSessionIdError);
  } finally {
    await store.close();
    await ctx.admin.query(`DROP TABLE IF EXISTS "${table}"`);
  }
});
