/**
 * `npm start`: the demo on DATABASE_URL, or on the embedded database when it is unset.
 * PORT (default 3000), DEMO_DATA_DIR (embedded data directory, default .data/pglite), SESSION_SECRET.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { PgSessionStore } from "../src/adapters/express-session/index.ts";
import { openDatabase } from "../src/cli/open-database.ts";
import { ensureSchema, PostgresStore, SessionManager } from "../src/index.ts";
import { createDemoApp } from "./app.ts";

const started = Date.now();
const db = await openDatabase({ url: process.env["DATABASE_URL"], dataDir: process.env["DEMO_DATA_DIR"] });
if (db.warning) console.warn(db.warning);
const store = new PostgresStore(db.connection);
await ensureSchema(store);
// The user and device of each session, from what /login puts in it: for "your sessions".
const adapter = new PgSessionStore({ store, userId: (session) => session["user"], device: (session) => session["device"] });
const sessions = new SessionManager({ store, maxWait: 10_000, timeout: 10_000 });
const app = createDemoApp({
  store: adapter,
  sessions,
  storage: db.description,
  secret: process.env["SESSION_SECRET"] ?? randomBytes(32).toString("hex"),
});

const port = Number.parseInt(process.env["PORT"] ?? "3000", 10);
const server = app.listen(port, "127.0.0.1", () => {
  const { port: actual } = server.address() as AddressInfo;
  console.log(`Demo running at http://127.0.0.1:${actual}/ (sessions in ${db.description}; ready in ${Date.now() - started} ms)`);
});
server.on("error", async (error) => {
  console.error(`Cannot listen on port ${port}: ${error.message}`);
  await db.close();
  process.exit(1);
});

// PGlite must be closed, or its next start has to recover the directory: shut down on the usual signals.
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await adapter.close();
  await db.close();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
