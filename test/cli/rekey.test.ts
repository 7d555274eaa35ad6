import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { createEncryptingSerializer, PostgresStore, SessionManager, superjsonSerializer, type EncryptionKey } from "../../src/index.ts";
import { sessionHandle } from "../../src/errors/session-handle.ts";
import { randomId, testDatabaseUrl } from "../support/database.ts";
import { runCliProcess, type CliRun } from "../support/cli-process.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

const root = join(import.meta.dirname, "..", "..");
const cliArgs = ["--import", "tsx", "src/cli/main.ts"];

const cli = runCliProcess;

const keyA: EncryptionKey = { id: "2026-05", key: randomBytes(32).toString("base64") };
const keyB: EncryptionKey = { id: "2026-11", key: randomBytes(32).toString("base64") };
const keyC: EncryptionKey = { id: "elsewhere", key: randomBytes(32).toString("base64") };
const envOf = (...keys: EncryptionKey[]) => ({ SESSION_ENCRYPTION_KEYS: keys.map((k) => `${k.id}:${k.key as string}`).join(",") });
const underA = /^enc:v1:2026-05:/;
const underB = /^enc:v1:2026-11:/;

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

async function newTable(): Promise<{ table: string; store: PostgresStore }> {
  const table = await ctx.newTable("rekey");
  const store = new PostgresStore({ datasourceUrl: ctx.url, tableName: table });
  ctx.cleanup(() => store.close());
  return { table, store };
}

function manager(store: PostgresStore, ...keys: EncryptionKey[]): SessionManager {
  return new SessionManager({ store, serializer: createEncryptingSerializer({ keys }) });
}

async function rowsOf(table: string): Promise<Array<{ id: string; a_session: string | null; expires_at: Date | null }>> {
  return (await ctx.admin.query(`SELECT id::text AS id, a_session, expires_at FROM "${table}" ORDER BY id`)).rows;
}

async function textOf(table: string, id: string): Promise<string | null> {
  return (await ctx.admin.query(`SELECT a_session FROM "${table}" WHERE id = $1`, [id])).rows[0].a_session;
}

test("rekey: a dry run only counts; a run moves every readable row to the first key, data intact, and leaves the rest, counted", async () => {
  const { table, store } = await newTable();
  const oldApp = manager(store, keyA);
  const sessions = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < 5; i++) {
    const data = { user: `user${i}`, at: new Date(Date.UTC(2026, 0, i + 1)), cart: new Map([["sku", i]]), big: BigInt(i) * 10n ** 20n };
    const { id } = await oldApp.create(data);
    sessions.set(id, { ...data, _session_id: id });
  }
  const adapter = new PgSessionStore({ store, serializer: createEncryptingSerializer({ keys: [keyA] }), pruneSessionInterval: false });
  const web = randomId();
  await adapter.set(web, { cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000) }, user: "web" } as never);
  const { id: current } = await manager(store, keyB).create({ user: "already new" });
  const { id: unknownKey } = await manager(store, keyC).create({ user: "someone else's" });
  const { id: damaged } = await oldApp.create({ user: "damaged" });
  await ctx.admin.query(`UPDATE "${table}" SET a_session = left(a_session, length(a_session) - 3) WHERE id = $1`, [damaged]);
  const plaintext = randomId();
  const nullRow = randomId();
  await ctx.admin.query(`INSERT INTO "${table}" (id, a_session) VALUES ($1, $2), ($3, NULL)`, [
    plaintext,
    superjsonSerializer.serialize({ user: "plain", at: new Date(0) }),
    nullRow,
  ]);
  const before = await rowsOf(table);
  expect(before).toHaveLength(11);

  const dry = await cli(["rekey", "--dry-run", "--json", "--table", table], envOf(keyB, keyA));
  expect(dry.code).toBe(0);
  expect(JSON.parse(dry.stdout)).toEqual({
    keyId: "2026-11",
    dryRun: true,
    checked: 11,
    rekeyed: 6,
    encrypted: 0,
    current: 1,
    plaintext: 1,
    undecryptable: 2,
    nullPayloads: 1,
    locked: 0,
    gone: 0,
    unknownKeyIds: { elsewhere: 1 },
    remaining: 9,
  });
  expect(await rowsOf(table)).toEqual(before);

  const run = await cli(["rekey", "--batch-size", "2", "--table", table], envOf(keyB, keyA));
  expect(run.code).toBe(0);
  // Off a terminal: a line per batch (6 batches of 2, the last one short), then the summary.
  expect(run.stdout.split("\n").filter((line) => line.startsWith("checked "))).toEqual([
    expect.stringMatching(/^checked 2 of 11, re-encrypted \d$/),
    expect.stringMatching(/^checked 4 of 11/),
    expect.stringMatching(/^checked 6 of 11/),
    expect.stringMatching(/^checked 8 of 11/),
    expect.stringMatching(/^checked 10 of 11/),
    "checked 11 of 11, re-encrypted 6",
  ]);
  expect(run.stdout).toContain('11 row(s) checked for key "2026-11"');
  expect(run.stdout).toContain("re-encrypted from an older key: 6");
  expect(run.stdout).toContain("plaintext, left as is: 1 (--plaintext encrypts them)");
  expect(run.stdout).toContain("undecryptable, left as is: 2 (unknown key ids: elsewhere ×1)");
  expect(run.stdout).toContain('3 row(s) not under "2026-11"');

  const after = await rowsOf(table);
  const beforeById = new Map(before.map((row) => [row.id, row]));
  for (const row of after) {
    const old = beforeById.get(row.id)!;
    expect(row.expires_at).toEqual(old.expires_at);
    if ([unknownKey, damaged, plaintext, nullRow, current].includes(row.id)) expect(row.a_session).toBe(old.a_session);
    else expect(row.a_session).toMatch(underB);
  }
  // Readable with the new key alone, exactly as written.
  const newOnly = manager(store, keyB);
  for (const [id, data] of sessions) expect((await newOnly.read(id)).data).toEqual(data);
  const webOnly = new PgSessionStore({ store, serializer: createEncryptingSerializer({ keys: [keyB] }), pruneSessionInterval: false });
  expect(await webOnly.get(web)).toMatchObject({ user: "web" });
  await Promise.all([adapter.close(), webOnly.close()]);

  const again = JSON.parse((await cli(["rekey", "--json", "--table", table], envOf(keyB, keyA))).stdout);
  expect(again).toMatchObject({ checked: 11, rekeyed: 0, current: 7, plaintext: 1, undecryptable: 2, remaining: 3 });

  const migrate = await cli(["rekey", "--plaintext", "--json", "--table", table], envOf(keyB, keyA));
  expect(migrate.code).toBe(0);
  expect(JSON.parse(migrate.stdout)).toMatchObject({
    encrypted: 1,
    plaintext: 0,
    current: 7,
    undecryptable: 2,
    nullPayloads: 1,
    remaining: 2,
  });
  expect(await textOf(table, plaintext)).toMatch(underB);
  expect((await newOnly.read(plaintext)).data).toEqual({ user: "plain", at: new Date(0) });
  expect(await textOf(table, nullRow)).toBeNull();
  expect(await textOf(table, damaged)).toBe(beforeById.get(damaged)!.a_session);
});

test("rekey: a row a running unit of work holds is skipped and counted, never overwritten; the next run moves it", async () => {
  const { table, store } = await newTable();
  const app = manager(store, keyA);
  const { id: held } = await app.create({ n: 1 });
  const { id: free } = await app.create({ n: 1 });
  let during: CliRun | undefined;
  // The unit holds its row lock (FOR UPDATE) for the whole CLI run, then writes.
  await app.open(
    held,
    async (session) => {
      during = await cli(["rekey", "--json", "--table", table], envOf(keyB, keyA));
      session.data["n"] = 2;
    },
    { timeout: 60_000 },
  );
  expect(during?.code).toBe(0);
  expect(JSON.parse(during!.stdout)).toMatchObject({ checked: 2, rekeyed: 1, locked: 1, remaining: 1 });
  expect(await textOf(table, held)).toMatch(underA); // what the unit wrote, under its key
  expect(await textOf(table, free)).toMatch(underB);
  expect((await app.read(held)).data).toMatchObject({ n: 2 });

  const next = JSON.parse((await cli(["rekey", "--json", "--table", table], envOf(keyB, keyA))).stdout);
  expect(next).toMatchObject({ rekeyed: 1, current: 1, locked: 0, remaining: 0 });
  expect(await textOf(table, held)).toMatch(underB);
  expect((await manager(store, keyB).read(held)).data).toMatchObject({ n: 2 });
}, 60_000);

describe("rekey's keys come from SESSION_ENCRYPTION_KEYS only", () => {
  test.each<[string, string[], Record<string, string | undefined>, RegExp]>([
    ["unset", ["rekey"], {}, /UsageError: rekey reads its keys from SESSION_ENCRYPTION_KEYS .*which is not set/],
    ["empty", ["rekey"], { SESSION_ENCRYPTION_KEYS: "" }, /which is empty/],
    [
      "a key of the wrong length",
      ["rekey"],
      { SESSION_ENCRYPTION_KEYS: `short:${randomBytes(16).toString("base64")}` },
      /RangeError: SESSION_ENCRYPTION_KEYS: key "short" is not 32 bytes/,
    ],
    ["an entry without an id", ["rekey"], { SESSION_ENCRYPTION_KEYS: randomBytes(32).toString("base64") }, /entry 1 is not id:key/],
    ["duplicate ids", ["rekey"], envOf(keyA, { id: keyA.id, key: keyB.key }), /key id "2026-05" is listed twice/],
    ["keys on the command line", ["rekey", "--keys", `a:${keyA.key as string}`], envOf(keyA), /UsageError: unknown option --keys/],
  ])("%s: exit 2, the key never printed", async (_label, args, env, message) => {
    const run = await cli([...args, "--json"], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(JSON.parse(run.stdout).error.exitCode).toBe(2);
    for (const value of Object.values(env)) {
      for (const key of (value ?? "").split(",").map((entry) => entry.slice(entry.indexOf(":") + 1))) {
        if (key.length > 8) expect(run.stdout + run.stderr).not.toContain(key);
      }
    }
  });

  test("the usage text documents the variable and its format", async () => {
    const help = await cli(["--help"]);
    expect(help.stdout).toMatch(/rekey \[--dry-run\] \[--batch-size N\] \[--plaintext\]/);
    expect(help.stdout).toMatch(/SESSION_ENCRYPTION_KEYS +keys of createEncryptingSerializer, for rekey: id:key\[,id:key\.\.\.\]/);
  });
});

test("rekey shows a progress bar on a terminal", async () => {
  const tty = mkdtempSync(join(tmpdir(), "pps-tty-"));
  try {
    const { table, store } = await newTable();
    const app = manager(store, keyA);
    for (let i = 0; i < 5; i++) await app.create({ i });
    const command = [process.execPath, ...cliArgs, "rekey", "--table", table, "--batch-size", "2"].join(" ");
    // `script` gives the CLI a pseudo-terminal, as a person at a shell would.
    const run = spawnSync("script", ["-qec", command, join(tty, "typescript")], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: "", DATABASE_URL: testDatabaseUrl(), ...envOf(keyB, keyA) },
      encoding: "utf8",
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/rekeying \[.*\] 5\/5/);
    expect(run.stdout).not.toContain("checked 2 of 5");
    expect(run.stdout).toContain("re-encrypted from an older key: 5");
  } finally {
    rmSync(tty, { recursive: true, force: true });
  }
});

test("show decrypts with SESSION_ENCRYPTION_KEYS (plaintext rows too); without the key it fails as corrupt, naming the session by its handle", async () => {
  const { table, store } = await newTable();
  const { id } = await manager(store, keyA).create({ user: "ann", at: new Date("2026-11-25T08:00:00Z") });
  const plaintext = randomId();
  await ctx.admin.query(`INSERT INTO "${table}" (id, a_session) VALUES ($1, $2)`, [
    plaintext,
    superjsonSerializer.serialize({ user: "plain" }),
  ]);

  const shown = await cli(["show", id, "--json", "--table", table], envOf(keyB, keyA));
  expect(shown.code).toBe(0);
  expect(JSON.parse(shown.stdout)).toMatchObject({ id, data: { user: "ann", at: "2026-11-25T08:00:00.000Z", _session_id: id } });
  const plain = await cli(["show", plaintext, "--json", "--table", table], envOf(keyA));
  expect(JSON.parse(plain.stdout)).toMatchObject({ id: plaintext, data: { user: "plain" } });

  const withoutKeys = await cli(["show", id, "--json", "--table", table]);
  expect(withoutKeys.code).toBe(1);
  expect(JSON.parse(withoutKeys.stdout).error).toMatchObject({ name: "CorruptPayloadError" });
  // Named by its handle: the id is a credential.
  expect(withoutKeys.stderr).toContain(sessionHandle(id));
  expect(withoutKeys.stderr).not.toContain(id);
  const wrongKey = await cli(["show", id, "--json", "--table", table], envOf(keyC));
  expect(wrongKey.code).toBe(1);
  expect(JSON.parse(wrongKey.stdout).error.name).toMatch(/EncryptedPayloadError|CorruptPayloadError/);
  expect(await textOf(table, id)).toMatch(underA); // nothing written
});
