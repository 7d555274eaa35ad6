// React Router session storage with `ttl` as a function of the data: it decides the lifetime of the row
// and of the cookie (Max-Age), over the cookie's maxAge and commitSession's own.
import { createPgSessionStorage } from "../../../src/adapters/react-router/index.ts";
import { destroyTest, initTest, type TestContext } from "../../support/test-context.ts";
import { cookieHeader, sessionIdOf } from "./fixture.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest({ table: "rr_ttl" });
});
afterAll(() => destroyTest(ctx));

const secret = "react router ttl secret";
const day = 86_400;
const hour = 3_600;

function newStorage() {
  const storage = createPgSessionStorage<{ user: string; rememberMe: boolean | "broken" }>({
    prisma: ctx.prisma,
    tableName: ctx.table,
    pruneSessionInterval: false,
    cookie: { secrets: [secret], maxAge: 600 },
    ttl: (data) => (data.rememberMe === "broken" ? -1 : data.rememberMe === true ? 30 * day : hour),
  });
  ctx.cleanup(() => storage.close());
  return storage;
}

async function expiryOf(id: string): Promise<number> {
  const { rows } = await ctx.admin.query<{ expires_at: Date }>(`SELECT expires_at FROM "${ctx.table}" WHERE id = $1`, [id]);
  return rows[0]!.expires_at.getTime();
}

test("create, update and lockSession: row and cookie get the function's lifetime for the data", async () => {
  const storage = newStorage();
  const fresh = await storage.getSession(null);
  fresh.set("user", "ann");
  let before = Date.now();
  const created = await storage.commitSession(fresh, { maxAge: 10 }); // the function wins over this too
  const id = sessionIdOf(created, secret);
  expect(created).toContain(`; Max-Age=${hour};`);
  expect(await expiryOf(id)).toBeGreaterThanOrEqual(before + hour * 1000);
  expect(await expiryOf(id)).toBeLessThanOrEqual(Date.now() + hour * 1000);

  const session = await storage.getSession(cookieHeader(created));
  session.set("rememberMe", true);
  before = Date.now();
  const remembered = await storage.commitSession(session);
  expect(remembered).toContain(`; Max-Age=${30 * day};`);
  expect(await expiryOf(id)).toBeGreaterThanOrEqual(before + 30 * day * 1000);
  expect(await expiryOf(id)).toBeLessThanOrEqual(Date.now() + 30 * day * 1000);

  before = Date.now();
  await storage.lockSession(session, (s) => s.set("rememberMe", false));
  expect(await expiryOf(id)).toBeGreaterThanOrEqual(before + hour * 1000);
  expect(await expiryOf(id)).toBeLessThanOrEqual(Date.now() + hour * 1000);
});

test("a bad result: commitSession fails with a RangeError naming ttl, and the row is as it was", async () => {
  const storage = newStorage();
  const fresh = await storage.getSession(null);
  fresh.set("user", "ann");
  const header = cookieHeader(await storage.commitSession(fresh));
  const id = sessionIdOf(header, secret);
  const { rows: before } = await ctx.admin.query(`SELECT a_session, expires_at FROM "${ctx.table}" WHERE id = $1`, [id]);
  const session = await storage.getSession(header);
  session.set("rememberMe", "broken");
  await expect(storage.commitSession(session)).rejects.toThrow(RangeError);
  await expect(storage.commitSession(session)).rejects.toThrow(/^ttl\(data\) must return a number of seconds/);
  const { rows: after } = await ctx.admin.query(`SELECT a_session, expires_at FROM "${ctx.table}" WHERE id = $1`, [id]);
  expect(after).toEqual(before);
});

test("the lifetime is whole seconds up to 400 days, for row and cookie alike: under 1 s ends the session", async () => {
  const storage = createPgSessionStorage<{ user: string; lifetime: number }>({
    prisma: ctx.prisma,
    tableName: ctx.table,
    pruneSessionInterval: false,
    cookie: { secrets: [secret] },
    ttl: (data) => data.lifetime ?? hour,
  });
  ctx.cleanup(() => storage.close());
  const fresh = await storage.getSession(null);
  fresh.set("user", "ann");
  const header = cookieHeader(await storage.commitSession(fresh));
  const id = sessionIdOf(header, secret);

  const session = await storage.getSession(header);
  session.set("lifetime", 1000 * day);
  let before = Date.now();
  expect(await storage.commitSession(session)).toContain(`; Max-Age=${400 * day};`);
  expect(await expiryOf(id)).toBeGreaterThanOrEqual(before + 400 * day * 1000);
  expect(await expiryOf(id)).toBeLessThanOrEqual(Date.now() + 400 * day * 1000);

  session.set("lifetime", 90.7);
  before = Date.now();
  expect(await storage.commitSession(session)).toContain("; Max-Age=90;");
  expect(await expiryOf(id)).toBeGreaterThanOrEqual(before + 90_000);
  expect(await expiryOf(id)).toBeLessThanOrEqual(Date.now() + 90_000);

  session.set("lifetime", 0.5);
  const ended = await storage.commitSession(session);
  expect(ended).toMatch(/^connect\.sid=;/);
  const { rows } = await ctx.admin.query(`SELECT 1 FROM "${ctx.table}" WHERE id = $1`, [id]);
  expect(rows).toEqual([]);
});
