import type { TableName } from "./table-name.ts";
import { timedLock } from "./timed-lock.ts";

/**
 * A session's handle: the first 128 bits of SHA-256 of its stored key, in hex. Listings give it
 * instead of the key, and revoking by it is scoped to a user (`user_id = $1 AND <handle> = $2`), so it
 * reaches only that user's few rows through the user index: it opens no session (get and set never
 * take it) and it cannot revoke another user's session.
 *
 * The key's bytes come from immutable functions only (stored keys are printable ASCII, so `escape`
 * decoding with backslashes doubled gives exactly them): Citus refuses a STABLE function such as
 * `convert_to` beside a column reference in a DELETE or UPDATE (revokeOne).
 */
const handle = "substr(encode(sha256(decode(replace(id::text, '\\', '\\\\'), 'escape')), 'hex'), 1, 32)";

/**
 * Live, as the adapters see it: not past its expiry (`now`), and, with an absolute timeout, created
 * after `cutoff` (now minus the timeout; NULL: no absolute timeout). A NULL `expires_at` never
 * expires; a NULL `created_at` (Apache::Session's rows, older versions') is not timed out.
 */
export const live = (now: string, cutoff: string) =>
  `(expires_at IS NULL OR expires_at > ${now}::timestamptz) AND ` +
  `(${cutoff}::timestamptz IS NULL OR created_at IS NULL OR created_at > ${cutoff}::timestamptz)`;

/**
 * The part of superjson's text (`{"json":...}`) at a path, or NULL for a row that is not superjson or
 * that jsonb cannot read: a string escaped as `\u0000` or as half a surrogate pair (which the store
 * refuses to write, but an older version, an import or another program may have stored). Without that
 * guard one such row fails every search of the table, and every write of a row with an index on this
 * expression. Keep it the same as the README's index.
 */
const jsonAt = (path: string) =>
  `(CASE WHEN left(a_session, 8) = '{"json":' AND a_session !~ '(^|[^\\\\])(\\\\\\\\)*\\\\u(0000|[dD][89a-fA-F])' THEN a_session::jsonb #>> ${path}::text[] END)`;

/**
 * The statements on a user's sessions and the activity columns (the third migration's): every
 * statement on a user's rows selects them by `user_id = $1`, one indexed statement each.
 */
export function userStatementsFor(table: TableName) {
  const t = table.sql;
  return {
    /**
     * A user's live sessions, newest first, a page at a time: keyset on (created_at, handle), so a
     * cursor holds neither an id nor an offset. `cursor_at` is `created_at` as exact text (microseconds,
     * UTC) for the next page's cursor. Parameters: user, now, cutoff, current key, cursor time,
     * cursor handle, limit.
     */
    list:
      "SELECT handle, current, created_at, last_active_at, expires_at, user_agent, ip, cursor_at FROM (" +
      `SELECT ${handle} AS handle, coalesce(id = $4::bpchar, false) AS current, created_at, last_active_at, expires_at, user_agent, ip, ` +
      "coalesce(created_at, '-infinity'::timestamptz) AS sort_at, " +
      `CASE WHEN created_at IS NULL THEN '-infinity' ELSE to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END AS cursor_at ` +
      `FROM ${t} WHERE user_id = $1::text AND ${live("$2", "$3")}) AS s ` +
      "WHERE $5::timestamptz IS NULL OR (sort_at, handle) < ($5::timestamptz, $6::text) " +
      "ORDER BY sort_at DESC, handle DESC LIMIT $7",
    /** Parameters: user, now, cutoff. */
    count: `SELECT count(*)::int AS n FROM ${t} WHERE user_id = $1::text AND ${live("$2", "$3")}`,
    /** One session of a user, by handle. Parameters: user, handle, now, cutoff. */
    revokeOne: `DELETE FROM ${t} WHERE user_id = $1::text AND ${handle} = $2::text RETURNING id::text AS id, (${live("$3", "$4")}) AS live`,
    /**
     * Every session of a user (expired ones too), but the one with key $2 (NULL: none spared); each
     * deleted key, and whether it was live. Parameters: user, spared key, now, cutoff.
     */
    revokeAll:
      `DELETE FROM ${t} WHERE user_id = $1::text AND ($2::bpchar IS NULL OR id <> $2::bpchar) ` +
      `RETURNING id::text AS id, (${live("$3", "$4")}) AS live`,
    /**
     * Live sessions whose superjson data holds `$2` at path `$1` (text[], starting with `json`), in id
     * order after `$5`. An expression index on exactly `jsonAt` with the path as a constant makes it
     * an index scan (see the README). Parameters: path, value, now, cutoff, after, limit.
     */
    find:
      `SELECT id::text AS id, a_session, expires_at FROM ${t} WHERE ${jsonAt("$1")} = $2::text AND ${live("$3", "$4")} ` +
      "AND ($5::bpchar IS NULL OR id > $5::bpchar) ORDER BY id LIMIT $6",
    /** Sessions past the absolute timeout, in batches (SKIP LOCKED as the expiry prune). Parameters: cutoff, batch size. */
    pruneCreatedBefore: `DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE created_at <= $1::timestamptz LIMIT $2 FOR UPDATE SKIP LOCKED)`,

    // The lifecycle API's writes with the activity columns.
    /** SessionManager.create. Parameters: id, text, now, user, user agent, ip, expiry (NULL: none, without `ttl`). */
    insert:
      `INSERT INTO ${t} (id, a_session, created_at, last_active_at, user_id, user_agent, ip, expires_at) ` +
      "VALUES ($1::bpchar, $2::text, $3::timestamptz, $3::timestamptz, $4::text, $5::text, $6::text, $7::timestamptz)",
    /** The write of SessionManager.open. Parameters: id, text, now, new expiry (NULL: left as it is, without `ttl`). */
    update:
      `UPDATE ${t} SET a_session = $2::text, created_at = coalesce(created_at, $3::timestamptz), last_active_at = $3::timestamptz, ` +
      "expires_at = coalesce($4::timestamptz, expires_at) WHERE id = $1::bpchar",
    /** SessionManager.open of unchanged data with `ttl`, past `touchAfter`: the expiry alone. Parameters: id, now, new expiry. */
    touch:
      `UPDATE ${t} SET created_at = coalesce(created_at, $2::timestamptz), last_active_at = $2::timestamptz, ` +
      "expires_at = $3::timestamptz WHERE id = $1::bpchar",
    /** `materialize` with `created_at` and `expires_at`, for the absolute timeout and `ttl`. Parameters: id. */
    lock: `SELECT a_session, created_at, expires_at FROM ${t} WHERE id = $1::bpchar FOR UPDATE`,
    /** `lock` under a `lock_timeout`. Parameters: id, the timeout (`'5000ms'`). */
    lockWithin: timedLock(`SELECT a_session, created_at, expires_at FROM ${t} WHERE id = $1::bpchar FOR UPDATE`),
    /**
     * SessionManager.rotate's new row: the old row's user, creation time and expiry, with new id and
     * text (the old row is locked and deleted in the same transaction). Parameters: old id, new id, text, now.
     */
    rotate:
      `INSERT INTO ${t} (id, a_session, expires_at, created_at, last_active_at, user_id, user_agent, ip) ` +
      "SELECT $2::bpchar, $3::text, expires_at, coalesce(created_at, $4::timestamptz), $4::timestamptz, user_id, user_agent, ip " +
      `FROM ${t} WHERE id = $1::bpchar`,
  };
}

export type UserStatements = ReturnType<typeof userStatementsFor>;

/**
 * The index expression that makes `find` on `path` (the data's path, without superjson's `json`) an
 * index scan: for the README and the tests. `path` must be given as it will be queried.
 */
export function findIndexExpression(path: readonly string[]): string {
  const literal = `{${["json", ...path].map((part) => `"${part.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")}}`;
  return jsonAt(`'${literal.replaceAll("'", "''")}'`);
}
