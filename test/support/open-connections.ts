import pg from "pg";
import { testDatabaseUrl } from "./database.ts";

/** The PgBouncer port when this test file reaches its database through PgBouncer (the `pgbouncer` project). */
export function pgbouncerPort(): number | undefined {
  const port = process.env["TEST_PGBOUNCER_PORT"];
  return port !== undefined && new URL(testDatabaseUrl()).port === port ? Number(port) : undefined;
}

/**
 * How many connections with this `application_name` are open to the test database, counted where they
 * are accepted: by PostgreSQL (pg_stat_activity) for a direct connection, by PgBouncer (SHOW CLIENTS)
 * behind a pooler, whose server connections outlive its clients and carry whatever name was last set.
 */
export async function openConnectionsOf(applicationName: string): Promise<number> {
  const bouncer = pgbouncerPort();
  if (bouncer === undefined) {
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [applicationName]);
      return rows[0].n;
    } finally {
      await client.end();
    }
  }
  // The admin console speaks the simple query protocol only: no parameters.
  const admin = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${bouncer}/pgbouncer` });
  await admin.connect();
  try {
    const { rows } = await admin.query("SHOW CLIENTS");
    return rows.filter((row: { application_name: string }) => row.application_name === applicationName).length;
  } finally {
    await admin.end();
  }
}
