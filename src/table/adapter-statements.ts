import type { TableName } from "./table-name.ts";

/**
 * The adapter's statements: one per operation. Expiry is compared with a bound timestamp from the
 * adapter's clock, so an expired row is never returned, even before pruning. NULL `expires_at` (rows
 * of the lifecycle API or an Apache::Session app) never expires.
 */
export function adapterStatementsFor(table: TableName) {
  const live = "(expires_at IS NULL OR expires_at > $2::timestamptz)";
  return {
    get: `SELECT a_session, expires_at FROM ${table.sql} WHERE id = $1::bpchar AND ${live}`,
    upsert:
      `INSERT INTO ${table.sql} (id, a_session, expires_at) VALUES ($1::bpchar, $2::text, $3::timestamptz) ` +
      "ON CONFLICT (id) DO UPDATE SET a_session = EXCLUDED.a_session, expires_at = EXCLUDED.expires_at",
    // For a session this process saw live: if it is gone (destroyed elsewhere, e.g. a logout in
    // another tab), it stays gone instead of being resurrected by a late request.
    update: `UPDATE ${table.sql} SET a_session = $2::text, expires_at = $3::timestamptz WHERE id = $1::bpchar`,
    // Never revives an expired row; the last condition skips the row write when the stored expiry is
    // recent enough (touchAfter), so a no-op touch writes no tuple.
    touch:
      `UPDATE ${table.sql} SET expires_at = $3::timestamptz WHERE id = $1::bpchar AND ${live} ` +
      "AND (expires_at IS NULL OR expires_at < $4::timestamptz)",
    destroy: `DELETE FROM ${table.sql} WHERE id = $1::bpchar`,
    // With hashIds: the session id's hash, and the id itself taken as a listed key.
    destroyKeys: `DELETE FROM ${table.sql} WHERE id = ANY($1::bpchar[])`,
    // all, ids and length: payloads too, since only rows that decode are sessions to list or count.
    list: `SELECT id::text AS id, a_session, expires_at FROM ${table.sql} WHERE ${live.replaceAll("$2", "$1")}`,
    clear: `DELETE FROM ${table.sql}`,
    // One indexed batch: SKIP LOCKED leaves rows that a unit of work or another pruner holds.
    prune:
      `DELETE FROM ${table.sql} WHERE id IN (SELECT id FROM ${table.sql} ` +
      "WHERE expires_at <= $1::timestamptz LIMIT $2 FOR UPDATE SKIP LOCKED)",
  };
}

export type AdapterStatements = ReturnType<typeof adapterStatementsFor>;
