// readThrough on the embedded database (PGlite: one connection): ending a session in a locked unit
// deletes the old copy on the unit's own transaction; on a second connection it would wait forever.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SessionEngine } from "../../src/adapters/web/session-engine.ts";
import { openEmbeddedDatabase, type EmbeddedDatabase } from "../../src/embedded/index.ts";
import { ensureSchema, PostgresStore } from "../../src/index.ts";

let dataDir: string;
let db: EmbeddedDatabase;
let store: PostgresStore;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "pps-read-through-"));
  db = await openEmbeddedDatabase({ dataDir });
  store = new PostgresStore({ prisma: db.client });
  await ensureSchema(store);
  // connect-pg-simple's table (its table.sql, in one statement).
  await store.query('CREATE TABLE "session" (sid varchar PRIMARY KEY, sess json NOT NULL, expire timestamp(6) NOT NULL)', []);
}, 120_000);
afterAll(async () => {
  await store?.close();
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function oldSession(user: string): Promise<string> {
  const sid = randomBytes(24).toString("base64url");
  const expires = new Date(Date.now() + 3_600_000);
  const sess = { cookie: { originalMaxAge: 3_600_000, expires: expires.toISOString(), httpOnly: true, path: "/" }, user };
  await store.query('INSERT INTO "session" (sid, sess, expire) VALUES ($1, $2::json, to_timestamp($3))', [
    sid,
    JSON.stringify(sess),
    expires.getTime() / 1000,
  ]);
  return sid;
}

const count = async (sql: string, id: string) => (await store.query<{ n: number }>(sql, [id]))[0]!.n;

test("a locked unit's remove ends the session and its old copy on the one connection", async () => {
  const engine = new SessionEngine({ store, pruneSessionInterval: false, readThrough: { from: "connect-pg-simple" } });
  try {
    const sid = await oldSession("ann");
    expect((await engine.read(sid))?.data).toEqual({ user: "ann" });
    await engine.locked(sid, (writes) => writes.remove(sid));
    expect(await count('SELECT count(*)::int AS n FROM "session" WHERE sid = $1', sid)).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM sessions WHERE id = $1", sid)).toBe(0);
    expect(await engine.read(sid)).toBeUndefined();
  } finally {
    await engine.close();
  }
});
