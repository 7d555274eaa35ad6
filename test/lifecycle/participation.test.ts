import { SessionManager } from "../../src/index.ts";
import { storedRow } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

test("with the caller's transaction client, units of work join the caller's transaction", async () => {
  const outside = new SessionManager({ prisma: ctx.prisma });
  const { id } = await outside.create({ n: 0 });
  const rollback = new Error("caller rolls back");
  let created = "";
  await expect(
    ctx.prisma.$transaction(async (tx) => {
      const inside = new SessionManager({ prisma: tx });
      await inside.open(id, (s) => void (s.data.n = 1));
      created = (await inside.create({ fresh: true })).id;
      expect((await inside.read(id)).data.n).toBe(1);
      expect((await outside.read(id)).data.n).toBe(0);
      throw rollback;
    }),
  ).rejects.toBe(rollback);
  expect((await outside.read(id)).data.n).toBe(0);
  expect(await storedRow(ctx.admin, created)).toBeUndefined();

  await ctx.prisma.$transaction(async (tx) => {
    await new SessionManager({ prisma: tx }).open(id, (s) => void (s.data.n = 2));
  });
  expect((await outside.read(id)).data.n).toBe(2);
});
