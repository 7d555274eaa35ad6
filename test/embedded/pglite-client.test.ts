// The embedded database's client (PGlite answering the stores' SQL) under every layer that takes a
// `prisma` handle: the statements, arrays and types the stores send, errors mapped like the server's,
// locks and isolation levels in transactions.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { openEmbeddedDatabase, type EmbeddedDatabase } from "../../src/embedded/index.ts";
import { DuplicateSessionIdError, ensureSchema, PostgresStore, SessionManager, SessionNotFoundError } from "../../src/index.ts";
import { randomId } from "../support/database.ts";

let dataDir: string;
let db: EmbeddedDatabase;
let store: PostgresStore;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "pps-pglite-client-"));
  db = await openEmbeddedDatabase({ dataDir });
  store = new PostgresStore({ prisma: db.client });
  await ensureSchema(store);
}, 120_000);
afterAll(async () => {
  await store?.close();
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test("the store contract, with a duplicate id mapped to DuplicateSessionIdError", async () => {
  const id = randomId();
  await store.insert({ id, serialized: '{"json":{"n":1}}' });
  expect((await store.fetch({ id, serialized: null })).serialized).toBe('{"json":{"n":1}}');
  await expect(store.insert({ id, serialized: "x" })).rejects.toBeInstanceOf(DuplicateSessionIdError);
  expect(await store.remove({ id })).toBe(1);
  await expect(store.fetch({ id, serialized: null })).rejects.toBeInstanceOf(SessionNotFoundError);
});

test("coalesced reads and writes (arrays as parameters, timestamps back as Dates) through the express-session store", async () => {
  const adapter = new PgSessionStore({ prisma: db.client, pruneSessionInterval: false });
  const sids = Array.from({ length: 5 }, () => randomId());
  const cookie = { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) };
  await Promise.all(sids.map((sid, i) => adapter.set(sid, { cookie, n: i } as never)));
  const read = await Promise.all([...sids, randomId()].map((sid) => adapter.get(sid)));
  expect(read.map((session) => (session as { n?: number } | null)?.n ?? null)).toEqual([0, 1, 2, 3, 4, null]);
  await Promise.all(sids.map((sid) => adapter.destroy(sid)));
  expect(await Promise.all(sids.map((sid) => adapter.get(sid)))).toEqual([null, null, null, null, null]);
  await adapter.close();
});

test("a unit of work runs in one transaction at the isolation level asked for, and a throw rolls it back", async () => {
  const sessions = new SessionManager({ prisma: db.client });
  const { id } = await sessions.create({ n: 1 });
  const level = await store.transaction((tx) => tx.query<{ transaction_isolation: string }>("SHOW transaction_isolation", []), {
    isolationLevel: "Serializable",
  });
  expect(level).toEqual([{ transaction_isolation: "serializable" }]);
  await expect(
    sessions.open(id, (session) => {
      session.data["n"] = 2;
      throw new Error("the app failed");
    }),
  ).rejects.toThrow("the app failed");
  expect((await sessions.read(id)).data["n"]).toBe(1);
  await sessions.open(id, (session) => void (session.data["n"] = 3), { isolationLevel: "RepeatableRead" });
  expect((await sessions.read(id)).data["n"]).toBe(3);
  await sessions.close();
});
