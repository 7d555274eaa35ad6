// importSessions (what `prisma-pg-session import` runs): resuming, never overwriting, the owner
// columns of the adapter's `userId`, and rows that cannot be moved in. The sessions are written by
// connect-pg-simple's own store.
import { randomBytes } from "node:crypto";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { importSessions, type ImportProgress } from "../../src/adapters/express-session/index.ts";
import { connectPgSimpleStore, type PeerStore } from "../support/peer-stores.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
let peer: PeerStore;
const HOUR = 3_600_000;
/** The session ids written by connect-pg-simple, in the old table's order (what import pages through). */
let sids: string[];

function oldSet(sid: string, session: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => peer.store.set(sid, session as never, (error) => (error ? reject(error) : resolve())));
}

beforeAll(async () => {
  ctx = await initTest();
  peer = await connectPgSimpleStore(ctx.admin, ctx.url);
  for (let i = 0; i < 7; i++) {
    const sid = randomBytes(24).toString("base64url");
    await oldSet(sid, {
      cookie: { originalMaxAge: HOUR, expires: new Date(Date.now() + HOUR), httpOnly: true, path: "/" },
      user: `user${i}`,
      n: i,
    });
  }
  sids = (await ctx.admin.query(`SELECT sid FROM ${peer.sql} ORDER BY sid`)).rows.map((row: { sid: string }) => row.sid);
});
afterAll(async () => {
  await peer?.close();
  await destroyTest(ctx);
});

async function newAdapter(options: Partial<ConstructorParameters<typeof PgSessionStore>[0]> = {}): Promise<PgSessionStore> {
  const table = await ctx.newTable("imp_api");
  const store = new PgSessionStore({ pgPool: ctx.admin, tableName: table, pruneSessionInterval: false, ...options });
  ctx.cleanup(() => store.close());
  return store;
}

test("an interrupted run names no old key; running it again imports the rest, skips what is here, keeps a session written here meanwhile", async () => {
  const store = await newAdapter();
  const controller = new AbortController();
  const progress: ImportProgress[] = [];
  const first = await importSessions(store, {
    from: "connect-pg-simple",
    sourceTable: peer.table,
    batchSize: 3,
    signal: controller.signal,
    onProgress: (p) => {
      progress.push(p);
      controller.abort(); // Ctrl-C during the first batch: the batch is finished, the run stops
    },
  });
  expect(progress).toEqual([{ read: 3, imported: 3, skippedExisting: 0, skippedExpired: 0, invalid: 0, total: 7 }]);
  expect(first).toMatchObject({ read: 3, imported: 3, interrupted: true });
  for (const sid of sids) expect(JSON.stringify(first)).not.toContain(sid);
  expect((await store.ids()).sort()).toEqual(sids.slice(0, 3).sort());

  // Meanwhile the app (on the new store) saved one of the sessions not moved yet: that one is newer.
  await store.set(sids[5]!, { cookie: { originalMaxAge: HOUR, expires: new Date(Date.now() + 2 * HOUR) }, user: "written here" } as never);

  const second = await importSessions(store, {
    from: "connect-pg-simple",
    sourceTable: peer.table,
    batchSize: 3,
  });
  expect(second).toMatchObject({ read: 7, imported: 3, skippedExisting: 4, interrupted: false });
  expect(await store.get(sids[5]!)).toMatchObject({ user: "written here" });
  expect((await store.get(sids[6]!)) as unknown).toMatchObject({
    user: expect.stringMatching(/^user\d$/),
    cookie: { originalMaxAge: HOUR },
  });

  const again = await importSessions(store, { from: "connect-pg-simple", sourceTable: peer.table });
  expect(again).toMatchObject({ read: 7, imported: 0, skippedExisting: 7 });
});

test("a dry run writes nothing, even with sessions to import", async () => {
  const store = await newAdapter();
  const summary = await importSessions(store, { from: "connect-pg-simple", sourceTable: peer.table, dryRun: true, batchSize: 2 });
  expect(summary).toMatchObject({ dryRun: true, read: 7, imported: 7, skippedExisting: 0 });
  expect(await store.length()).toBe(0);
});

test("with the adapter's userId, the owner is stored as a write of the adapter would; an owner it refuses makes the row invalid", async () => {
  const store = await newAdapter({
    userId: (session) => session["user"] as string,
    device: () => ({ userAgent: "imported", ip: "192.0.2.1" }),
  });
  const summary = await importSessions(store, { from: "connect-pg-simple", sourceTable: peer.table });
  expect(summary).toMatchObject({ read: 7, imported: 7 });
  const page = await store.userSessions("user3");
  expect(page.sessions).toEqual([expect.objectContaining({ userAgent: "imported", ip: "192.0.2.1", createdAt: expect.any(Date) })]);

  const picky = await newAdapter({ userId: (session) => (session["n"] === 4 ? (42 as never) : (session["user"] as string)) });
  const refused = await importSessions(picky, { from: "connect-pg-simple", sourceTable: peer.table });
  expect(refused).toMatchObject({ read: 7, imported: 6, invalid: 1 });
  expect(refused.invalidRows).toEqual([
    { sourceId: expect.any(String), reason: expect.stringMatching(/^its owner cannot be stored: userId\(session\)/) },
  ]);
});

test("expiry is judged by the given clock: what has ended by then is skipped", async () => {
  const store = await newAdapter();
  const summary = await importSessions(store, { from: "connect-pg-simple", sourceTable: peer.table, now: () => Date.now() + 2 * HOUR });
  expect(summary).toMatchObject({ read: 7, imported: 0, skippedExpired: 7 });
});

test("bad options are TypeErrors / RangeErrors before any SQL", async () => {
  const store = await newAdapter();
  await expect(importSessions(store, { from: "connect-mongo" as never })).rejects.toThrow(/from must be one of/);
  await expect(importSessions(store, { from: "connect-pg-simple", sourceTable: "a.b.c" })).rejects.toThrow(
    /sourceTable must be an SQL identifier/,
  );
  await expect(importSessions(store, { from: "connect-pg-simple", batchSize: 0 })).rejects.toThrow(RangeError);
  await expect(importSessions(store, { from: "connect-pg-simple", after: "x" } as never)).rejects.toThrow(/after is not an option/);
  await expect(importSessions(store, { from: "prisma-session-store", sourceTable: store.store.tableName })).rejects.toThrow(/are both/);
});
