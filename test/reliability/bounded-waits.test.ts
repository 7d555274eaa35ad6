// One user's slow unit or failing statement never holds up or undoes other users' work: a unit
// whose function never settles ends at its timeout, a destroy that fails leaves the session as it was, and a session whose
// data jsonb refuses neither breaks searches nor the writes of a table with the README's index.
import type { SessionData } from "express-session";
import pg from "pg";
import { SessionManager, TransactionTimeoutError } from "../../src/index.ts";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { randomId } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;

beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

const hour = 3_600_000;
const sessionOf = (data: Record<string, unknown>) =>
  ({
    cookie: { originalMaxAge: hour, expires: new Date(Date.now() + hour), httpOnly: true, path: "/" },
    ...data,
  }) as unknown as SessionData;

function call<T>(run: (done: (error: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))));
}

/** A connection of its own that holds the row lock of `id` until `release()`. */
async function holdLock(table: string, id: string): Promise<{ release: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: ctx.url });
  await client.connect();
  await client.query("BEGIN");
  await client.query(`SELECT 1 FROM "${table}" WHERE id = $1 FOR UPDATE`, [id]);
  return {
    release: async () => {
      await client.query("COMMIT");
      await client.end();
    },
  };
}

describe.each([
  ["its own pool", () => ({ datasourceUrl: ctx.url })],
  ["a PrismaClient", () => ({ prisma: ctx.prisma })],
])("a unit of work through %s", (_, connection) => {
  test("whose function never settles rejects with TransactionTimeoutError at its timeout, and frees the row", async () => {
    const table = await ctx.newTable("hung");
    const sessions = new SessionManager({ ...connection(), tableName: table, timeout: 400 });
    try {
      const { id } = await sessions.create({ n: 0 });
      await expect(sessions.open(id, () => new Promise<never>(() => undefined))).rejects.toBeInstanceOf(TransactionTimeoutError);
      await sessions.open(id, (s) => {
        s.data.n = 1;
      });
      expect((await sessions.read(id)).data.n).toBe(1);
    } finally {
      await sessions.close();
    }
  });
});

test("a destroy whose DELETE fails leaves the session as it was: the next save writes it", async () => {
  const table = await ctx.newTable("undestroyed");
  await ctx.admin.query(
    `CREATE FUNCTION "${table}_refuse"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'deletes refused'; END $$`,
  );
  const store = new PgSessionStore({ datasourceUrl: ctx.url, tableName: table, pruneSessionInterval: false });
  try {
    const sid = randomId();
    await call((done) => store.set(sid, sessionOf({ n: 1 }), done));
    await call((done) => store.get(sid, done));
    await ctx.admin.query(`CREATE TRIGGER refuse BEFORE DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION "${table}_refuse"()`);
    await expect(call((done) => store.destroy(sid, done))).rejects.toThrow();
    await ctx.admin.query(`DROP TRIGGER refuse ON "${table}"`);
    await call((done) => store.set(sid, sessionOf({ n: 2 }), done));
    expect(await call<SessionData & { n: number }>((done) => store.get(sid, done as never))).toMatchObject({ n: 2 });
  } finally {
    await store.close();
  }
});

describe("a session whose data jsonb refuses (a NUL, half a surrogate pair)", () => {
  test("is stored and read back; findSessions skips it; with the README's index the others' saves in its batch land", async () => {
    const table = await ctx.newTable("jsonb");
    await ctx.admin.query(
      `CREATE INDEX "${table}_email_idx" ON "${table}" ((CASE WHEN left(a_session, 8) = '{"json":' ` +
        `AND a_session !~ '(^|[^\\\\])(\\\\\\\\)*\\\\u(0000|[dD][89a-fA-F])' THEN a_session::jsonb #>> '{json,user,email}' END))`,
    );
    const store = new PgSessionStore({ datasourceUrl: ctx.url, tableName: table, pruneSessionInterval: false });
    try {
      const hostile = [randomId(), randomId()];
      const others = Array.from({ length: 8 }, () => randomId());
      // One turn: the hostile saves share batch statements with the others.
      await Promise.all([
        call((done) => store.set(hostile[0]!, sessionOf({ user: { email: "nul\u0000@x" } }), done)),
        call((done) => store.set(hostile[1]!, sessionOf({ user: { email: "\ud800@x" } }), done)),
        ...others.map((sid) => call((done) => store.set(sid, sessionOf({ user: { email: "a@b.example" } }), done))),
      ]);
      expect(await call((done) => store.get(hostile[0]!, done as never))).toMatchObject({ user: { email: "nul\u0000@x" } });
      const { sessions } = await store.findSessions({ path: ["user", "email"], equals: "a@b.example", limit: 100 });
      expect(sessions.map((s) => s.id).sort()).toEqual([...others].sort());
    } finally {
      await store.close();
    }
  });
});
