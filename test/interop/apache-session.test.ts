import { spawn } from "node:child_process";
import { perl, perlDataSource, perlScript } from "./perl-script.ts";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { CorruptPayloadError, SessionManager } from "../../src/index.ts";
import { eventually, someoneWaitsForLock } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// The real Apache::Session::Postgres (Debian libapache-session-perl + libdbd-pg-perl) on the table our
// migrations made: what we claim is that both can share it, with the same row locks.
const dsn = perlDataSource();

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest({ store: true });
});
afterAll(() => destroyTest(ctx));

test("the Perl module creates and reads sessions in the migrated table (expiry column and all)", async () => {
  const id = /^ID ([0-9a-f]{32})$/m.exec(perl("create", dsn))![1]!;
  expect(perl("read", dsn, id)).toBe("WHO perl\n");
  const { rows } = await ctx.admin.query("SELECT expires_at FROM sessions WHERE id = $1", [id]);
  expect(rows).toEqual([{ expires_at: null }]);
});

test("a row locked by the Perl module makes our materialize wait, and we then see Perl's commit", async () => {
  const id = /^ID ([0-9a-f]{32})$/m.exec(perl("create", dsn))![1]!;
  const holder = spawn("perl", [perlScript, "hold", dsn, id]);
  const closed = new Promise((r) => holder.on("close", r));
  let out = "";
  holder.stdout.on("data", (c: Buffer) => (out += c.toString()));
  await eventually(async () => out.includes("LOCKED"));
  const before = (await ctx.admin.query("SELECT a_session FROM sessions WHERE id = $1", [id])).rows[0].a_session;

  const ours = ctx.store.transaction(async (tx) => (await tx.materialize({ id, serialized: null })).serialized);
  await eventually(() => someoneWaitsForLock(ctx.admin, ctx.applicationName));
  holder.stdin.write("go\n");
  const seen = await ours;
  await closed;
  expect(out).toContain("RELEASED");
  // What we read is Perl's update (held => 1), committed before our lock was granted: the row as it
  // is now, and not the row as it was while Perl held it.
  const after = (await ctx.admin.query("SELECT a_session FROM sessions WHERE id = $1", [id])).rows[0].a_session;
  expect(after).not.toBe(before);
  expect(seen).toBe(after);
});

test("our lifecycle reports a Perl payload as corrupt (never rewrites it); our pruning never touches Perl rows", async () => {
  const id = /^ID ([0-9a-f]{32})$/m.exec(perl("create", dsn))![1]!;
  const before = (await ctx.admin.query("SELECT a_session FROM sessions WHERE id = $1", [id])).rows[0];
  const sessions = new SessionManager({ store: ctx.store });
  await expect(sessions.open(id, () => undefined)).rejects.toBeInstanceOf(CorruptPayloadError);
  const adapter = new PgSessionStore({ store: ctx.store, pruneSessionInterval: false, now: () => Date.now() + 365 * 86_400_000 });
  await adapter.prune();
  expect((await ctx.admin.query("SELECT a_session FROM sessions WHERE id = $1", [id])).rows[0]).toEqual(before);
  expect(perl("read", dsn, id)).toBe("WHO perl\n");
});
