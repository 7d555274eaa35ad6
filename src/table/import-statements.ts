import type { TableName } from "./table-name.ts";

/**
 * Writing sessions moved in from another store's table (`import`, `readThrough`): an INSERT that never
 * overwrites (`ON CONFLICT (id) DO NOTHING`: a row already here, written by the app or an earlier run,
 * is newer or the same), setting the columns a first write of the adapter sets (`created_at` and
 * `last_active_at` to the time of the move, and the owner's with the adapter's `userId`). One statement
 * for any number of rows: $1 keys, $2 payloads, $3 expiries, $4 the time of the move, $5-$7 the owner
 * columns (arrays unnested; timestamps as ISO text, which every driver binds alike).
 */
export function importStatementsFor(table: TableName) {
  const t = table.sql;
  return {
    insert:
      `INSERT INTO ${t} (id, a_session, expires_at, created_at, last_active_at, user_id, user_agent, ip) ` +
      "SELECT v.id, v.a_session, v.expires_at, v.at, v.at, v.user_id, v.user_agent, v.ip " +
      "FROM unnest($1::bpchar[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[], $7::text[]) " +
      "AS v(id, a_session, expires_at, at, user_id, user_agent, ip) " +
      "ON CONFLICT (id) DO NOTHING RETURNING id::text AS id",
    /** The keys of $1 already here (a dry run's count). */
    existing: `SELECT id::text AS id FROM ${t} WHERE id = ANY($1::bpchar[])`,
    /** The row $1 as the adapters read it (inside a transaction: what its last statement sees). */
    row: `SELECT a_session, expires_at, created_at FROM ${t} WHERE id = $1::bpchar`,
  };
}

export type ImportStatements = ReturnType<typeof importStatementsFor>;
