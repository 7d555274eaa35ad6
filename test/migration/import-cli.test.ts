// `prisma-pg-session import`: sessions written by the real connect-pg-simple and
// @quixo3/prisma-session-store (through express-session, over HTTP) are copied into our table; the
// browsers' old cookies then open the same sessions on an express app running PgSessionStore.
import { createHmac, randomBytes } from "node:crypto";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { runCli } from "../../src/cli/run-cli.ts";
import { createEncryptingSerializer, type EncryptionKey } from "../../src/index.ts";
import { CookieClient } from "../support/http.ts";
import { runCliProcess } from "../support/cli-process.ts";
import { connectPgSimpleStore, prismaSessionStore, startSessionApp, type PeerStore } from "../support/peer-stores.ts";
import { testDatabaseUrl } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

const users = ["ann", "bob", "cy", "dee"];

/** Logs each user in on an app running the old store; returns each one's browser (its cookie jar) and session id. */
async function loggedIn(peer: PeerStore, names: string[]): Promise<Map<string, { browser: CookieClient; sid: string }>> {
  const app = await startSessionApp(peer.store);
  try {
    const result = new Map<string, { browser: CookieClient; sid: string }>();
    for (const user of names) {
      const browser = new CookieClient(app.url);
      expect((await browser.request("POST", "/login", { user })).status).toBe(200);
      const me = await browser.request("GET", "/me");
      expect(me.body.user).toBe(user);
      result.set(user, { browser, sid: me.body.id });
    }
    return result;
  } finally {
    await app.close();
  }
}

/** An express app on PgSessionStore (our table), serving the browsers of `sessions`. */
async function onOurStore<T>(store: PgSessionStore, work: (url: string) => Promise<T>): Promise<T> {
  const app = await startSessionApp(store);
  try {
    return await work(app.url);
  } finally {
    await app.close();
    await store.close();
  }
}

async function rowsOf(
  table: string,
): Promise<Array<{ id: string; a_session: string; expires_at: Date; created_at: Date; user_id: string | null }>> {
  return (await ctx.admin.query(`SELECT id::text AS id, a_session, expires_at, created_at, user_id FROM "${table}" ORDER BY id`)).rows;
}

test("connect-pg-simple: a dry run counts and writes nothing; the run copies the live sessions as PgSessionStore writes them; a re-run skips them; the old cookies stay logged in", async () => {
  const peer = await connectPgSimpleStore(ctx.admin, ctx.url);
  ctx.cleanup(() => peer.close());
  const sessions = await loggedIn(peer, [...users, "eve"]);
  // eve's session has expired; four rows no store could load, or our id column cannot hold.
  await ctx.admin.query(`UPDATE ${peer.sql} SET expire = now() - interval '1 minute' WHERE sid = $1`, [sessions.get("eve")!.sid]);
  const valid = JSON.stringify({ cookie: { originalMaxAge: 3_600_000, httpOnly: true, path: "/" }, user: "zed" });
  const tooLong = `L${randomBytes(30).toString("base64url")}`; // 41 characters
  await ctx.admin.query(
    `INSERT INTO ${peer.sql} (sid, sess, expire) VALUES ` +
      "('0-not-an-object', '\"just text\"', now() + interval '1 hour'), ('1-no-cookie', '{\"user\":\"x\"}', now() + interval '1 hour'), " +
      "($1, $2, now() + interval '1 hour'), ('2 has a space', $2, now() + interval '1 hour')",
    [tooLong, valid],
  );
  const table = await ctx.newTable("imp_cps");
  const args = ["import", "--from", "connect-pg-simple", "--source-table", peer.table, "--table", table];

  const dry = await runCliProcess([...args, "--dry-run", "--json"]);
  expect(dry.code).toBe(0);
  const dryRun = JSON.parse(dry.stdout);
  expect(dryRun).toMatchObject({
    from: "connect-pg-simple",
    sourceTable: peer.table,
    table,
    dryRun: true,
    total: 9,
    read: 9,
    imported: 4,
    skippedExisting: 0,
    skippedExpired: 1,
    invalid: 4,
    interrupted: false,
  });
  expect(dryRun.invalidRows).toEqual([
    { sourceId: "0-not-an…", reason: "its data is string, not a JSON object" },
    { sourceId: "1-no-coo…", reason: "its data has no `cookie`; express-session loads no session without a cookie object" },
    { sourceId: "2 has a …", reason: expect.stringContaining("its session id has characters the id column") },
    {
      sourceId: `${tooLong.slice(0, 8)}…`,
      reason: expect.stringContaining(`its session id has 41 characters, more than the id column of ${table} holds (32): use hashIds`),
    },
  ]);
  expect(await rowsOf(table)).toEqual([]);

  const run = await runCliProcess([...args, "--batch-size", "4"]);
  expect(run.code).toBe(0);
  // Off a terminal: a line per batch, then the summary; no session id is printed, only 8 characters of the invalid rows'.
  expect(run.stdout.split("\n").filter((line) => line.startsWith("read "))).toEqual([
    expect.stringMatching(/^read 4 of 9, imported \d$/),
    expect.stringMatching(/^read 8 of 9, imported \d$/),
    "read 9 of 9, imported 4",
  ]);
  expect(run.stdout).toContain(`9 row(s) read from connect-pg-simple's table ${peer.table} into ${table}`);
  expect(run.stdout).toContain("  imported: 4");
  expect(run.stdout).toContain("  expired, skipped: 1");
  expect(run.stdout).toContain("  invalid, skipped: 4");
  expect(run.stdout).toContain("    row 1-no-coo…: its data has no `cookie`");
  for (const { sid } of sessions.values()) expect(run.stdout + run.stderr).not.toContain(sid);
  expect(run.stdout).not.toContain(tooLong);

  // What PgSessionStore writes for the same login, natively: the imported rows hold exactly that text.
  const nativeTable = await ctx.newTable("imp_native");
  const native = await onOurStore(
    new PgSessionStore({ pgPool: ctx.admin, tableName: nativeTable, pruneSessionInterval: false }),
    async (url) => {
      await new CookieClient(url).request("POST", "/login", { user: "ann" });
      return (await rowsOf(nativeTable))[0]!;
    },
  );
  const rows = await rowsOf(table);
  expect(rows.map((row) => row.id).sort()).toEqual(users.map((user) => sessions.get(user)!.sid).sort());
  const old = new Map<string, Date>(
    (await ctx.admin.query(`SELECT sid, expire::timestamptz AS expire FROM ${peer.sql}`)).rows.map((r: { sid: string; expire: Date }) => [
      r.sid,
      r.expire,
    ]),
  );
  for (const row of rows) {
    expect(row.expires_at).toEqual(old.get(row.id));
    expect(row.user_id).toBeNull();
    expect(row.created_at).toBeInstanceOf(Date);
  }
  expect(rows.find((row) => row.id === sessions.get("ann")!.sid)!.a_session).toBe(native.a_session);

  const again = await runCliProcess([...args, "--json"]);
  expect(JSON.parse(again.stdout)).toMatchObject({ read: 9, imported: 0, skippedExisting: 4, skippedExpired: 1, invalid: 4 });
  expect(await rowsOf(table)).toEqual(rows);
  // The old table is only read.
  expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM ${peer.sql}`)).rows[0].n).toBe(9);

  // Cut over: the same app on PgSessionStore, the browsers with the cookies the old app gave them.
  const store = new PgSessionStore({ pgPool: ctx.admin, tableName: table, pruneSessionInterval: false });
  await onOurStore(store, async (url) => {
    for (const user of users) {
      const { browser, sid } = sessions.get(user)!;
      const here = new CookieClient(url, browser.cookies);
      expect((await here.request("GET", "/me")).body).toEqual({ id: sid, user, cart: [{ sku: `sku-${user}`, qty: 2 }], visits: 0 });
      expect((await here.request("POST", "/visit")).body).toEqual({ visits: 1 });
      expect((await here.request("GET", "/me")).body).toMatchObject({ id: sid, user, visits: 1 });
    }
    // The expired session is not here: eve gets a new, empty session.
    const eve = new CookieClient(url, sessions.get("eve")!.browser.cookies);
    expect((await eve.request("GET", "/me")).body).toMatchObject({ user: null });
  });
});

test("prisma-session-store, keyed by HMAC (hashIds) and encrypted as the adapter is configured: the old cookies stay logged in", async () => {
  const peer = await prismaSessionStore(ctx.admin, ctx.url);
  ctx.cleanup(() => peer.close());
  const sessions = await loggedIn(peer, users);
  await ctx.admin.query(`UPDATE ${peer.sql} SET "expiresAt" = (now() AT TIME ZONE 'UTC') - interval '1 minute' WHERE sid = $1`, [
    sessions.get("dee")!.sid,
  ]);
  await ctx.admin.query(
    `INSERT INTO ${peer.sql} (id, sid, data, "expiresAt") VALUES ('broken-row', 'broken-sid', 'not json {', now() + interval '1 day')`,
  );
  const table = await ctx.newTable("imp_pss");
  const secret = "the app's hashIds secret";
  const key: EncryptionKey = { id: "2026-11", key: randomBytes(32).toString("base64") };
  const env = { SESSION_HASH_IDS_SECRET: secret, SESSION_ENCRYPTION_KEYS: `${key.id}:${key.key as string}` };
  // A connection in another time zone than the server's: prisma-session-store's UTC timestamps are read as UTC all the same.
  const url = new URL(ctx.url);
  url.searchParams.set("options", "-c TimeZone=Pacific/Chatham");

  const run = await runCliProcess(
    [
      "import",
      "--from",
      "prisma-session-store",
      "--source-table",
      peer.table,
      "--table",
      table,
      "--hash-ids",
      "hmac",
      "--encrypt",
      "--json",
      "--url",
      url.toString(),
    ],
    env,
  );
  expect(run.code).toBe(0);
  const summary = JSON.parse(run.stdout);
  expect(summary).toMatchObject({ read: 5, imported: 3, skippedExisting: 0, skippedExpired: 1, invalid: 1 });
  expect(summary.invalidRows).toEqual([
    {
      sourceId: "broken-r…",
      reason: expect.stringMatching(/^its data is not JSON \(.*\); only the stores' default JSON serialization can be moved in$/),
    },
  ]);

  const hmac = (sid: string) => createHmac("sha256", secret).update(sid).digest().subarray(0, 24).toString("base64url");
  const rows = await rowsOf(table);
  const expiry = new Map<string, Date>(
    (await ctx.admin.query(`SELECT sid, "expiresAt" AT TIME ZONE 'UTC' AS at FROM ${peer.sql}`)).rows.map(
      (r: { sid: string; at: Date }) => [r.sid, r.at],
    ),
  );
  expect(rows.map((row) => row.id).sort()).toEqual(["ann", "bob", "cy"].map((user) => hmac(sessions.get(user)!.sid)).sort());
  for (const user of ["ann", "bob", "cy"]) {
    const row = rows.find((r) => r.id === hmac(sessions.get(user)!.sid))!;
    expect(row.a_session).toMatch(/^enc:v1:2026-11:/);
    expect(row.expires_at).toEqual(expiry.get(sessions.get(user)!.sid));
    // prisma-session-store's expiry: the login plus the cookie's maxAge.
    expect(Math.abs(row.expires_at.getTime() - (row.created_at.getTime() + 3_600_000))).toBeLessThan(60_000);
  }

  // Without the secret, or with the wrong one, nothing is found: the keys are the adapter's.
  const store = new PgSessionStore({
    pgPool: ctx.admin,
    tableName: table,
    pruneSessionInterval: false,
    hashIds: { secret },
    serializer: createEncryptingSerializer({ keys: [key] }),
  });
  await onOurStore(store, async (url) => {
    for (const user of ["ann", "bob", "cy"]) {
      const { browser, sid } = sessions.get(user)!;
      expect((await new CookieClient(url, browser.cookies).request("GET", "/me")).body).toEqual({
        id: sid,
        user,
        cart: [{ sku: `sku-${user}`, qty: 2 }],
        visits: 0,
      });
    }
  });
});

test("bad arguments are refused before any SQL (exit 2); a missing old table is named (exit 1)", async () => {
  const table = await ctx.newTable("imp_args");
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [["import"], {}, /import needs --from connect-pg-simple or --from prisma-session-store/],
    [["import", "--from", "connect-redis"], {}, /from must be one of "connect-pg-simple", "prisma-session-store", got "connect-redis"/],
    [["import", "--from", "connect-pg-simple", "--source-table", 'x"; DROP TABLE y'], {}, /sourceTable must be an SQL identifier/],
    [["import", "--from", "connect-pg-simple", "--hash-ids", "md5"], {}, /--hash-ids must be sha256 .* or hmac/],
    [["import", "--from", "connect-pg-simple", "--hash-ids", "hmac"], {}, /SESSION_HASH_IDS_SECRET, which is not set/],
    [["import", "--from", "connect-pg-simple", "--encrypt"], {}, /--encrypt reads its keys from SESSION_ENCRYPTION_KEYS/],
    [["list", "--from", "connect-pg-simple"], {}, /--from apply to import, not list/],
    [["import", "--from", "connect-pg-simple", "--source-table", table], {}, /are both/],
  ];
  for (const [args, env, message] of cases) {
    const run = await runCliProcess([...args, "--table", table], env);
    expect({ args, code: run.code }).toEqual({ args, code: 2 });
    expect(run.stderr).toMatch(message);
  }
  const missing = await runCliProcess([
    "import",
    "--from",
    "connect-pg-simple",
    "--source-table",
    "no_such_session_table",
    "--table",
    table,
  ]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(
    /TableNotFoundError: connect-pg-simple's table no_such_session_table cannot be read .*relation "no_such_session_table" does not exist/,
  );
});

test("Ctrl-C stops after the batch in progress: exit 130, and no session id is printed; run again, the rest is imported and the first batch skipped", async () => {
  const peer = await connectPgSimpleStore(ctx.admin, ctx.url);
  ctx.cleanup(() => peer.close());
  for (let i = 0; i < 5; i++) {
    const session = { cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000), path: "/" }, user: `u${i}` };
    await new Promise<void>((resolve, reject) =>
      peer.store.set(randomBytes(24).toString("base64url"), session as never, (error) => (error ? reject(error) : resolve())),
    );
  }
  const order = (await ctx.admin.query(`SELECT sid FROM ${peer.sql} ORDER BY sid`)).rows.map((row: { sid: string }) => row.sid);
  const table = await ctx.newTable("imp_int");
  const args = ["import", "--from", "connect-pg-simple", "--source-table", peer.table, "--table", table, "--batch-size", "2"];
  const env = { DATABASE_URL: testDatabaseUrl() };

  // In this process, so that the signal arrives exactly once the first batch is reported.
  let out = "";
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    if (String(chunk).startsWith("read 2 of 5")) process.emit("SIGINT");
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await runCli(args, env);
  } finally {
    process.stdout.write = write;
  }
  expect(code).toBe(130);
  expect(out).toContain("  imported: 2");
  expect(out).toContain("interrupted: run it again to continue (the sessions already here are skipped and counted)");
  expect(process.listenerCount("SIGINT")).toBe(0);

  const rest = await runCliProcess([...args, "--json"]);
  expect(rest.code).toBe(0);
  expect(JSON.parse(rest.stdout)).toMatchObject({ read: 5, imported: 3, skippedExisting: 2, interrupted: false });
  expect((await rowsOf(table)).map((row) => row.id).sort()).toEqual([...order].sort());
  // The sessions ids (live credentials) appear in neither run's output, not even shortened to resume.
  for (const sid of order) {
    expect(out).not.toContain(sid);
    expect(rest.stdout + rest.stderr).not.toContain(sid);
  }

  const withAfter = await runCliProcess([...args, "--after", order[1]!]);
  expect(withAfter.code).toBe(2);
  expect(withAfter.stderr).toMatch(/import has no --after: run it again to continue/);
});
