import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { startSessionApp, type Framework } from "./session-app.ts";

// One app server of its own process (see session-app-process.ts): its own store, pool and write cache,
// on the table named by SESSION_APP_TABLE. Prints its URL as one JSON line; ends on SIGTERM.
const framework = process.env["SESSION_APP_FRAMEWORK"] as Framework;
const store = new PgSessionStore({
  datasourceUrl: process.env["TEST_DATABASE_URL"]!,
  tableName: process.env["SESSION_APP_TABLE"]!,
  pruneSessionInterval: false,
});
const app = await startSessionApp(framework, store);
process.stdout.write(`${JSON.stringify({ url: app.url })}\n`);
process.once("SIGTERM", () => {
  void app
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
