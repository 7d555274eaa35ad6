import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { randomId, testDatabaseUrl } from "../support/database.ts";
import { runCliProcess } from "../support/cli-process.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

const root = join(import.meta.dirname, "..", "..");
const cliArgs = ["--import", "tsx", "src/cli/main.ts"];

const cli = runCliProcess;

let ctx: TestContext;
const HOUR = 3_600_000;
const live = randomId();
const other = randomId();
const expired = [randomId(), randomId(), randomId()];

beforeAll(async () => {
  ctx = await initTest({ table: "cli" });
  const store = new PgSessionStore({ datasourceUrl: ctx.url, tableName: ctx.table, pruneSessionInterval: false, userId: (s) => s["user"] });
  const cookie = { originalMaxAge: HOUR, expires: new Date(Date.now() + HOUR) };
  await store.set(live, { cookie, user: "ann", at: new Date("2026-11-25T08:00:00Z") } as never);
  await store.set(other, { cookie, user: "bob" } as never);
  await store.close();
  for (const id of expired) {
    await ctx.admin.query(`INSERT INTO "${ctx.table}" (id, a_session, expires_at) VALUES ($1, '{"json":{}}', now() - interval '1 hour')`, [
      id,
    ]);
  }
});
afterAll(() => destroyTest(ctx));

test("stats counts sessions, expired ones and payload sizes", async () => {
  const run = await cli(["stats", "--table", ctx.table, "--json"]);
  expect(run.code).toBe(0);
  const stats = JSON.parse(run.stdout);
  const { rows } = await ctx.admin.query(
    `SELECT sum(octet_length(a_session))::int AS total, max(octet_length(a_session))::int AS max FROM "${ctx.table}"`,
  );
  expect(stats).toMatchObject({ count: 5, expired: 3, totalBytes: rows[0].total, maxBytes: rows[0].max });
  expect(stats).toMatchObject({
    users: 2,
    withUser: 2,
    topUsers: [
      { userId: "ann", sessions: 1 },
      { userId: "bob", sessions: 1 },
    ],
  });
  expect(new Date(stats.newestExpiry).getTime()).toBeGreaterThan(Date.now());
  const human = await cli(["stats", "--table", ctx.table]);
  expect(human.stdout).toMatch(/sessions: +5 \(3 expired\)/);
  expect(human.stdout).toMatch(/users: +2 \(2 session\(s\) with a user\)\nmost sessions: "ann" 1, "bob" 1/);
});

test("list pages through sessions in id order", async () => {
  const all = [live, other, ...expired].sort();
  const first = JSON.parse((await cli(["list", "--table", ctx.table, "--json", "--limit", "2"])).stdout);
  expect(first.sessions.map((s: { id: string }) => s.id)).toEqual(all.slice(0, 2));
  expect(first.sessions[0]).toEqual({ id: all[0], size: expect.any(Number), expiresAt: expect.any(String) });
  const second = JSON.parse((await cli(["list", "--table", ctx.table, "--json", "--limit", "2", "--after", first.next])).stdout);
  expect(second.sessions.map((s: { id: string }) => s.id)).toEqual(all.slice(2, 4));
  const human = await cli(["list", "--table", ctx.table, "--limit", "2"]);
  expect(human.stdout).toMatch(/^id +size +expiresAt/);
  expect(human.stdout).toContain(`more: --after ${all[1]}`);
});

test("show decodes a session; unknown and malformed ids have their own exit codes", async () => {
  const human = await cli(["show", live, "--table", ctx.table]);
  expect(human.code).toBe(0);
  expect(human.stdout).toContain("user: 'ann'");
  expect(human.stdout).toContain("at: 2026-11-25T08:00:00.000Z");
  const json = JSON.parse((await cli(["show", live, "--table", ctx.table, "--json"])).stdout);
  expect(json).toMatchObject({ id: live, data: { user: "ann", at: "2026-11-25T08:00:00.000Z" } });

  const missing = await cli(["show", randomId(), "--table", ctx.table, "--json"]);
  expect(missing.code).toBe(3);
  expect(JSON.parse(missing.stdout).error.name).toBe("SessionNotFoundError");
  const malformed = await cli(["show", "x'; DROP TABLE sessions; --", "--table", ctx.table]);
  expect(malformed.code).toBe(2);
  expect(malformed.stderr).toMatch(/InvalidSessionIdError/);
});

test("delete removes one session; deleting it again is 'not found'", async () => {
  expect((await cli(["delete", other, "--table", ctx.table])).code).toBe(0);
  expect((await ctx.admin.query(`SELECT 1 FROM "${ctx.table}" WHERE id = $1`, [other])).rowCount).toBe(0);
  expect((await cli(["delete", other, "--table", ctx.table])).code).toBe(3);
  expect((await cli(["delete", "--table", ctx.table])).code).toBe(2);
});

test("prune: --dry-run deletes nothing; then only expired rows go, batch by batch, as plain lines off a terminal", async () => {
  const dry = JSON.parse((await cli(["prune", "--dry-run", "--table", ctx.table, "--json"])).stdout);
  expect(dry).toEqual({ expired: 3, deleted: 0, dryRun: true });
  expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM "${ctx.table}"`)).rows[0].n).toBe(4);
  const run = await cli(["prune", "--batch-size", "2", "--table", ctx.table]);
  expect(run.code).toBe(0);
  expect(run.stdout).toBe("deleted 2 of 3\ndeleted 3 of 3\npruned 3 expired session(s)\n");
  const { rows } = await ctx.admin.query(`SELECT id::text AS id FROM "${ctx.table}"`);
  expect(rows.map((r) => r.id)).toEqual([live]);
});

test("prune shows a progress bar on a terminal", async () => {
  const tty = mkdtempSync(join(tmpdir(), "pps-tty-"));
  try {
    const t = await ctx.newTable("clitty");
    await ctx.admin.query(
      `INSERT INTO "${t}" (id, a_session, expires_at) SELECT md5(g::text), '{}', now() - interval '1 day' FROM generate_series(1, 5) g`,
    );
    const command = [process.execPath, ...cliArgs, "prune", "--table", t, "--batch-size", "2"].join(" ");
    // `script` gives the CLI a pseudo-terminal, as a person at a shell would.
    const run = spawnSync("script", ["-qec", command, join(tty, "typescript")], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: "", DATABASE_URL: testDatabaseUrl() },
      encoding: "utf8",
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/pruning \[.*\] 5\/5/);
    expect(run.stdout).not.toContain("deleted 2 of 5");
  } finally {
    rmSync(tty, { recursive: true, force: true });
  }
});

test("schema creates a missing table and is idempotent, saying which it did", async () => {
  const name = `cli_schema_${randomId().slice(0, 8)}`;
  const first = await cli(["schema", "--table", name]);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain(`created table ${name}`);
  const again = await cli(["schema", "--table", name, "--json"]);
  expect(JSON.parse(again.stdout)).toMatchObject({ table: name, ensured: true, created: false });
  const { rows } = await ctx.admin.query(
    "SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
    [name],
  );
  expect(rows.map((r) => r.column_name)).toEqual([
    "id",
    "a_session",
    "expires_at",
    "user_id",
    "created_at",
    "last_active_at",
    "user_agent",
    "ip",
  ]);
});

describe("a user's sessions", () => {
  let table: string;
  const cara = [randomId(), randomId(), randomId()].sort();
  beforeAll(async () => {
    table = await ctx.newTable("cliuser");
    for (const [i, id] of cara.entries()) {
      await ctx.admin.query(
        `INSERT INTO "${table}" (id, a_session, expires_at, created_at, last_active_at, user_id, user_agent, ip)
         VALUES ($1, '{"json":{}}', now() + interval '1 hour', '2026-11-25T08:00:00Z', now(), 'cara', $2, '192.0.2.7')`,
        [id, `Agent/${i}`],
      );
    }
    await ctx.admin.query(`INSERT INTO "${table}" (id, a_session, user_id) VALUES ($1, '{"json":{}}', 'dan'), ($2, '{"json":{}}', NULL)`, [
      randomId(),
      randomId(),
    ]);
  });

  test("list --user pages through the user's sessions with their activity and device", async () => {
    const first = JSON.parse((await cli(["list", "--user", "cara", "--limit", "2", "--table", table, "--json"])).stdout);
    expect(first.user).toBe("cara");
    expect(first.sessions.map((s: { id: string }) => s.id)).toEqual(cara.slice(0, 2));
    expect(first.sessions[0]).toEqual({
      id: cara[0],
      size: 11,
      createdAt: "2026-11-25T08:00:00.000Z",
      lastActiveAt: expect.any(String),
      expiresAt: expect.any(String),
      userAgent: "Agent/0",
      ip: "192.0.2.7",
    });
    const second = JSON.parse(
      (await cli(["list", "--user", "cara", "--limit", "2", "--after", first.next, "--table", table, "--json"])).stdout,
    );
    expect(second.sessions.map((s: { id: string }) => s.id)).toEqual(cara.slice(2));
    const human = await cli(["list", "--user", "cara", "--table", table]);
    expect(human.stdout).toMatch(/^id +size +createdAt +lastActiveAt +expiresAt +ip +userAgent/);
    expect(human.stdout).toContain("Agent/2");
    expect(JSON.parse((await cli(["list", "--user", "nobody", "--table", table, "--json"])).stdout).sessions).toEqual([]);
  });

  test("delete --user counts without --yes (a dry run), deletes with it, and prints the count", async () => {
    const dry = await cli(["delete", "--user", "cara", "--table", table]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe('3 session(s) of user "cara" would be deleted (dry run: add --yes to delete them)\n');
    expect(JSON.parse((await cli(["delete", "--user", "cara", "--yes", "--dry-run", "--table", table, "--json"])).stdout)).toEqual({
      user: "cara",
      sessions: 3,
      deleted: 0,
      dryRun: true,
    });
    expect((await ctx.admin.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n).toBe(5);
    const run = await cli(["delete", "--user", "cara", "--yes", "--table", table]);
    expect(run.stdout).toBe('deleted 3 session(s) of user "cara"\n');
    const { rows } = await ctx.admin.query(`SELECT user_id FROM "${table}" ORDER BY user_id`);
    expect(rows.map((r) => r.user_id)).toEqual(["dan", null]);
    expect(JSON.parse((await cli(["delete", "--user", "cara", "--yes", "--table", table, "--json"])).stdout)).toMatchObject({ deleted: 0 });
  });

  test.each([
    ["an empty user", ["list", "--user", "", "--table", "sessions"], /TypeError: --user must be 1 to 1024 characters/],
    ["a session id and --user", ["delete", "abc", "--user", "cara"], /UsageError: delete takes either a session id or --user, not both/],
    ["--user on another command", ["stats", "--user", "cara"], /UsageError: --user and --yes apply to list and delete, not stats/],
    ["--yes on another command", ["prune", "--yes"], /UsageError: --user and --yes apply to list and delete, not prune/],
  ])("%s is bad input (exit code 2)", async (_label, args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe("bad input and unreachable databases", () => {
  test.each([
    ["a malformed URL", ["stats", "--url", "not a url"], 2, /datasourceUrl must be a postgresql/],
    ["an injected table name", ["stats", "--table", 'x"; DROP TABLE sessions; --'], 2, /tableName must be an SQL identifier/],
    ["an unknown command", ["frobnicate"], 2, /unknown command/],
    ["no command", [], 2, /Usage: prisma-pg-session/],
    ["a bad --limit", ["list", "--limit", "0"], 2, /--limit must be a positive whole number/],
    ["an unknown option", ["list", "--bogus"], 2, /UsageError: unknown option --bogus\n\nUsage: prisma-pg-session/],
    ["an option without its value", ["list", "--limit"], 2, /UsageError: Option '--limit <value>' argument missing/],
    [
      "an unreachable server",
      ["stats", "--url", "postgresql://postgres@127.0.0.1:1/none"],
      4,
      /StoreUnavailableError: Session store unavailable/,
    ],
    [
      "a missing table",
      ["stats", "--table", "no_such_table"],
      1,
      /TableNotFoundError: table no_such_table does not exist: run `npx prisma migrate deploy`/,
    ],
  ])("%s", async (_label, args, code, message) => {
    const run = await cli(args as string[]);
    expect(run.code).toBe(code);
    expect(run.stderr + run.stdout).toMatch(message);
  });
});

test("without DATABASE_URL or --url, it uses the embedded database", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "pps-cli-embedded-"));
  try {
    expect((await cli(["schema", "--data-dir", dataDir], { DATABASE_URL: "" })).code).toBe(0);
    const stats = await cli(["stats", "--json", "--data-dir", dataDir], { DATABASE_URL: "" });
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ count: 0, expired: 0 });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
