import type pg from "pg";
import { SessionManager } from "../../src/index.ts";
import { adminPool, newPrismaClient, storedRow, type TestPrismaClient } from "../support/database.ts";

let pool: pg.Pool;
let prisma: TestPrismaClient;
beforeAll(() => {
  pool = adminPool();
  prisma = newPrismaClient();
});
afterAll(async () => {
  await prisma.$disconnect();
  await pool.end();
});

test("with the caller's transaction client, units of work join the caller's transaction", async () => {
  const outside = new SessionManager({ prisma });
  const { id } = await outside.create({ n: 0 });
  const rollback = new Error("caller rolls back");
  let created = "";
  await expect(
    prisma.$transaction(async (tx) => {
      const inside = new SessionManager({ prisma: tx });
      await inside.open(id, (s) => void (s.data.n = 1));
      created = (await inside.create({ fresh: true })).id;
      expect((await inside.read(id)).data.n).toBe(1);
      expect((await outside.read(id)).data.n).toBe(0);
      throw rollback;
    }),
  ).rejects.toBe(rollback);
  expect((await outside.read(id)).data.n).toBe(0);
  expect(await storedRow(pool, created)).toBeUndefined();

  await prisma.$transaction(async (tx) => {
    await new SessionManager({ prisma: tx }).open(id, (s) => void (s.data.n = 2));
  });
  expect((await outside.read(id)).data.n).toBe(2);
});
