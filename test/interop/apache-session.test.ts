import { spawn } from "node:child_process";
import type pg from "pg";
import { perl, perlDataSource, perlScript } from "./perl-script.ts";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { CorruptPayloadError, PostgresStore, SessionManager } from "../../src/index.ts";
import { adminPool, eventually, someoneWaitsForLock, testDatabaseUrl } from "../support/database.ts";

// The real Apache::Session::Postgres (Debian libapache-session-perl + libdbd-pg-perl) on the table our
// migrations made: what we claim is that both can share it, with the same row locks.
const dsn = perlDataSource();


let pool: pg.Pool;
let store: PostgresStore;
beforeAll(() => {
  pool = adminPool();
  store = new PostgresStore({ datasourceUrl: testDatabaseUrl() });
});
afterAll(async () => {
  await store.close();
  await pool.end();
});

test("the Perl module creates and reads sessions in the migrated table (expiry column and all)", async () => {
  const id = /^ID ([0-9a-f]{32})$/m.exec(perl("create", dsn))![1]!;
  expect(perl("read", dsn, id)).toBe("WHO perl\n");
  const { rows } = await pool.query("SELECT expires_at FROM sessions WHERE id = $1", [id]);
  expect(rows).toEqual([{ expires_at: null }]);
});

test("a row locked by the Perl module makes our materialize wait, and we then see Perl's commit", async () => {
  const id = /^ID ([0-9a-f]{32})$/m.exec(perl("create", dsn))![1]!;
  const holder = spawn("perl", [perlScript, "hold", dsn, id]);
  const closed = new Promise((r) => holder.on("close", r));
  let out = "";
  holder.stdout.on("data", (c: Buffer) => (out += c.toString()));
  await eventually(async () => out.includes("LOCKED"));
  const before = (await pool.query("SELECT a_session FROM sessions WHERE id = $1", [id])).rows[0].a_session;

  const ours = store.transaction(async (tx) => (await tx.materialize({ id, serialized: null })).serialized);
  await eventually(() => someoneWaitsForLock(pool));
  holder.stdin.write("go\n");
  const seen = await ours;
  await closed;
  expect(out).toContain("RELEASED");
  expect(seen).not.toBe(before); // Perl's update (held => 1), committed before our lock was granted
});

test("our lifecycle reports a Perl payload as corrupt (never rewrites it); our pruning never touches Perl rows", async () => {
  const id = /^ID ([0-9a-f]{32})$/m.exec(perl("create", dsn))![1]!;
  const before = (await pool.query("SELECT a_session FROM sessions WHERE id = $1", [id])).rows[0];
  const sessions = new SessionManager({ store });
  await expect(sessions.open(id, () => undefined)).rejects.toBeInstanceOf(CorruptPayloadError);
  const adapter = new PgSessionStore({ store, pruneSessionInterval: false, now: () => Date.now() + 365 * 86_400_000 });
  await adapter.prune();
  expect((await pool.query("SELECT a_session FROM sessions WHERE id = $1", [id])).rows[0]).toEqual(before);
  expect(perl("read", dsn, id)).toBe("WHO perl\n");
});
