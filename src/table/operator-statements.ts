import type { TableName } from "./table-name.ts";

/** The operator's statements on a sessions table (sizes are bytes of the stored text). */
export function operatorQueriesFor(table: TableName) {
  return {
    list:
      `SELECT id::text AS id, octet_length(a_session) AS size, expires_at FROM ${table.sql} ` +
      "WHERE ($1::text IS NULL OR id > $1::bpchar) ORDER BY id LIMIT $2",
    show: `SELECT a_session, expires_at FROM ${table.sql} WHERE id = $1::bpchar`,
    countExpired: `SELECT count(*)::int AS n FROM ${table.sql} WHERE expires_at <= $1::timestamptz`,
    // A user's sessions, by the user index (the CLI's `list --user`, `delete --user`).
    listUser:
      `SELECT id::text AS id, octet_length(a_session) AS size, created_at, last_active_at, expires_at, user_agent, ip FROM ${table.sql} ` +
      "WHERE user_id = $1::text AND ($2::text IS NULL OR id > $2::bpchar) ORDER BY id LIMIT $3",
    countUser: `SELECT count(*)::int AS n FROM ${table.sql} WHERE user_id = $1::text`,
    deleteUser: `DELETE FROM ${table.sql} WHERE user_id = $1::text`,
    // The users with the most sessions (stats), expired ones included, as every count of `stats`.
    topUsers:
      `SELECT user_id, count(*)::int AS sessions FROM ${table.sql} WHERE user_id IS NOT NULL ` +
      "GROUP BY user_id ORDER BY sessions DESC, user_id LIMIT $1",
    stats:
      "SELECT count(*)::int AS count, " +
      "count(*) FILTER (WHERE expires_at <= $1::timestamptz)::int AS expired, " +
      "coalesce(sum(octet_length(a_session)), 0)::bigint::text AS total_bytes, " +
      "coalesce(round(avg(octet_length(a_session))), 0)::int AS avg_bytes, " +
      "coalesce(max(octet_length(a_session)), 0)::int AS max_bytes, " +
      "count(user_id)::int AS with_user, count(DISTINCT user_id)::int AS users, " +
      `min(expires_at) AS oldest_expiry, max(expires_at) AS newest_expiry FROM ${table.sql}`,
  };
}
