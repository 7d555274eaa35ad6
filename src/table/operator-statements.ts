import type { TableName } from "./table-name.ts";

/** The operator's statements on a sessions table (sizes are bytes of the stored text). */
export function operatorQueriesFor(table: TableName) {
  return {
    list:
      `SELECT id::text AS id, octet_length(a_session) AS size, expires_at FROM ${table.sql} ` +
      "WHERE ($1::text IS NULL OR id > $1::bpchar) ORDER BY id LIMIT $2",
    show: `SELECT a_session, expires_at FROM ${table.sql} WHERE id = $1::bpchar`,
    countExpired: `SELECT count(*)::int AS n FROM ${table.sql} WHERE expires_at <= $1::timestamptz`,
    stats:
      "SELECT count(*)::int AS count, " +
      "count(*) FILTER (WHERE expires_at <= $1::timestamptz)::int AS expired, " +
      "coalesce(sum(octet_length(a_session)), 0)::bigint::text AS total_bytes, " +
      "coalesce(round(avg(octet_length(a_session))), 0)::int AS avg_bytes, " +
      "coalesce(max(octet_length(a_session)), 0)::int AS max_bytes, " +
      `min(expires_at) AS oldest_expiry, max(expires_at) AS newest_expiry FROM ${table.sql}`,
  };
}
