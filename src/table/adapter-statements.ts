import type { TableName } from "./table-name.ts";

/**
 * The adapter's statements on many rows (those on one row by id are in row-statements.ts). Expiry is
 * compared with a bound timestamp from the adapter's clock. NULL `expires_at` (rows of the lifecycle
 * API or an Apache::Session app) never expires.
 */
export function adapterStatementsFor(table: TableName) {
  return {
    // all, ids and length: payloads too, since only rows that decode are sessions to list or count.
    // $2: the absolute timeout's cutoff (rows created at or before it have ended), NULL without one.
    list:
      `SELECT id::text AS id, a_session, expires_at FROM ${table.sql} WHERE (expires_at IS NULL OR expires_at > $1::timestamptz) ` +
      "AND ($2::timestamptz IS NULL OR created_at IS NULL OR created_at > $2::timestamptz)",
    clear: `DELETE FROM ${table.sql}`,
    // One indexed batch: SKIP LOCKED leaves rows that a unit of work or another pruner holds.
    prune:
      `DELETE FROM ${table.sql} WHERE id IN (SELECT id FROM ${table.sql} ` +
      "WHERE expires_at <= $1::timestamptz LIMIT $2 FOR UPDATE SKIP LOCKED)",
  };
}

export type AdapterStatements = ReturnType<typeof adapterStatementsFor>;
