import pg from "pg";

/** Drops this run's database, even if a test left connections open. */
export default async function globalTeardown(): Promise<void> {
  const name = process.env["TEST_DATABASE_NAME"];
  const adminUrl = process.env["TEST_ADMIN_DATABASE_URL"];
  if (!name || !adminUrl) return;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}
