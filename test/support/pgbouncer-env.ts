export {};

// Setup file of the `pgbouncer` Jest project: every test file of that project reaches this run's
// database through PgBouncer (started by pgbouncer-global-setup.ts) instead of directly.
const port = process.env["TEST_PGBOUNCER_PORT"];
const direct = process.env["TEST_DATABASE_URL"];
if (!port || !direct) throw new Error("PgBouncer is not running: run the `pgbouncer` project through jest (its global setup starts it)");
const url = new URL(direct);
url.hostname = "127.0.0.1";
url.port = port;
process.env["TEST_DATABASE_URL"] = url.toString();
