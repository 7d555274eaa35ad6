import { createHash } from "node:crypto";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { SessionManager, PostgresStore } from "../../src/index.ts";
import { sessionHandle } from "../../src/errors/session-handle.ts";
import { deferred, randomId } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// A session id is a credential, and so is the key stored for it (with hashIds, `destroy` accepts the
// key): neither may reach a log through what the library throws or reports. Each failure path below is
// provoked for a known id; everything a logger would print of the error (as pino serializes errors:
// message, stack, enumerable properties, the cause chain; and JSON.stringify) and every operationFailed
// event is searched for the id and the key. The session is named by its handle instead.

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

/** An error as pino's standard serializer prints it, with its cause chain. */
function asLogged(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 5) return error;
  const plain: Record<string, unknown> = { type: error.constructor.name, message: error.message, stack: error.stack };
  for (const [key, value] of Object.entries(error)) plain[key] = value;
  if (error.cause !== undefined) plain["cause"] = asLogged(error.cause, depth + 1);
  return plain;
}

function expectNoCredential(what: unknown, secrets: string[]): void {
  const text = `${JSON.stringify(asLogged(what))}\n${JSON.stringify(what)}\n${String(what)}`;
  for (const secret of secrets) expect(text).not.toContain(secret);
}

const keyOf = (sid: string) => createHash("sha256").update(sid).digest().subarray(0, 24).toString("base64url");

test("express store with hashIds: a corrupt row, a failed save, an outage: neither the id nor the stored key is logged", async () => {
  const table = await ctx.newTable("leak");
  const failed: unknown[] = [];
  const store = new PgSessionStore({ prisma: ctx.counting.prisma, tableName: table, hashIds: true, pruneSessionInterval: false });
  ctx.cleanup(() => store.close());
  store.on("operationFailed", (event: unknown) => failed.push(event));
  const sid = `live-${randomId()}`;
  const key = keyOf(sid);
  const cookie = { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) };
  await store.set(sid, { cookie, user: "ann" } as never);
  await ctx.admin.query(`UPDATE "${table}" SET a_session = $1 WHERE id = $2`, [`{"json":{"cookie":{},"secret":"${sid}"`, key]);
  const errors: unknown[] = [];
  errors.push(await store.get(sid).catch((e: unknown) => e));
  // A trigger of the application's that refuses the save, quoting the row in its detail.
  await ctx.admin.query(
    `CREATE FUNCTION "${table}_no"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused' USING DETAIL = NEW.id || NEW.a_session; END $$`,
  );
  await ctx.admin.query(`CREATE TRIGGER no BEFORE UPDATE ON "${table}" FOR EACH ROW EXECUTE FUNCTION "${table}_no"()`);
  errors.push(await store.set(sid, { cookie, user: sid } as never).catch((e: unknown) => e));
  const down = new PgSessionStore({ datasourceUrl: "postgresql://nobody@127.0.0.1:1/none", hashIds: true, pruneSessionInterval: false });
  ctx.cleanup(() => down.close());
  down.on("operationFailed", (event: unknown) => failed.push(event));
  errors.push(await down.get(sid).catch((e: unknown) => e));
  expect(errors.map((e) => (e as Error).name)).toEqual(["CorruptPayloadError", "SessionDatabaseError", "StoreUnavailableError"]);
  for (const error of [...errors, ...failed]) expectNoCredential(error, [sid, key]);
  expect((errors[0] as Error).message).toContain(sessionHandle(key));
  expect(failed.length).toBeGreaterThanOrEqual(3);
});

test("lifecycle API: not found, duplicate, lock timeout, corrupt row: the id is not logged", async () => {
  const table = await ctx.newTable("leak");
  const store = new PostgresStore({ prisma: ctx.counting.prisma, tableName: table });
  const manager = new SessionManager({ store, lockTimeout: 100 });
  const failed: unknown[] = [];
  manager.on("operationFailed", (event: unknown) => failed.push(event));
  ctx.cleanup(() => manager.close());
  const { id } = await manager.create({ user: "ann" });
  const errors: unknown[] = [];
  const missing = randomId();
  errors.push(await manager.open(missing, () => undefined).catch((e: unknown) => e));
  errors.push(await store.insert({ id, serialized: "x" }).catch((e: unknown) => e));
  const release = deferred();
  const entered = deferred();
  const holder = manager.open(id, async () => {
    entered.resolve();
    await release.promise;
  });
  await entered.promise;
  try {
    errors.push(await manager.open(id, () => undefined).catch((e: unknown) => e));
  } finally {
    release.resolve();
    await holder;
  }
  await ctx.admin.query(`UPDATE "${table}" SET a_session = $1 WHERE id = $2`, [`{"json":{"broken":"${id}"`, id]);
  errors.push(await manager.read(id).catch((e: unknown) => e));
  expect(errors.map((e) => (e as Error).name)).toEqual([
    "SessionNotFoundError",
    "DuplicateSessionIdError",
    "LockTimeoutError",
    "CorruptPayloadError",
  ]);
  for (const error of [...errors, ...failed]) expectNoCredential(error, [id, missing]);
  expect(failed.length).toBeGreaterThanOrEqual(3);
});
