import type { TableName } from "./table-name.ts";
import { live } from "./user-statements.ts";

/**
 * The adapter's statements on many rows (those on one row by id are in row-statements.ts). Expiry is
 * compared with a bound timestamp from the adapter's clock. NULL `expires_at` (rows of the lifecycle
 * API or an Apache::Session app) never expires.
 */
export function adapterStatementsFor(table: TableName) {
  // One indexed batch: SKIP LOCKED leaves rows that a unit of work or another pruner holds.
  const prune =
    `DELETE FROM ${table.sql} WHERE id IN (SELECT id FROM ${table.sql} ` +
    "WHERE expires_at <= $1::timestamptz LIMIT $2 FOR UPDATE SKIP LOCKED)";
  return {
    // all, ids and length: payloads too, since only rows that decode are sessions to list or count.
    // $2: the absolute timeout's cutoff (rows created at or before it have ended), NULL without one.
    list: `SELECT id::text AS id, a_session, expires_at FROM ${table.sql} WHERE ${live("$1", "$2")}`,
    clear: `DELETE FROM ${table.sql}`,
    prune,
    // `prune` that also returns how many rows it deleted and the oldest expiry among them (the
    // `pruned` event, the prune-lag metric): $1 now, $2 batch size.
    reportingPrune: `WITH pruned AS (${prune} RETURNING expires_at) SELECT count(*)::int AS deleted, min(expires_at) AS oldest FROM pruned`,
    // The live rows as `length()` counts them (not expired; with an absolute timeout, created after
    // its cutoff $2, NULL without one; a NULL expiry never expires), without reading payloads: the
    // `session.live` gauge. $1 now.
    countLive: `SELECT count(*)::int AS n FROM ${table.sql} WHERE ${live("$1", "$2")}`,
  };
}

export type AdapterStatements = ReturnType<typeof adapterStatementsFor>;
