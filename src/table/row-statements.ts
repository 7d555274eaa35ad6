import type { TableName } from "./table-name.ts";

/**
 * Statements on session rows by id, each in two shapes: for one row, and for many rows in one
 * statement (arrays unnested, one element per row; the coalescer sends these). Timestamps travel as
 * ISO strings in arrays, which both drivers bind alike. An id occurs at most once per batch statement.
 */
export function rowStatementsFor(table: TableName) {
  const t = table.sql;
  return {
    one: {
      read: `SELECT a_session, expires_at FROM ${t} WHERE id = $1::bpchar`,
      upsert:
        `INSERT INTO ${t} (id, a_session, expires_at) VALUES ($1::bpchar, $2::text, $3::timestamptz) ` +
        "ON CONFLICT (id) DO UPDATE SET a_session = EXCLUDED.a_session, expires_at = EXCLUDED.expires_at",
      update: `UPDATE ${t} SET a_session = $2::text, expires_at = $3::timestamptz WHERE id = $1::bpchar`,
      // Never revives an expired row; the last condition skips the row write when the stored expiry is
      // recent enough (touchAfter), so a no-op touch writes no tuple.
      touch:
        `UPDATE ${t} SET expires_at = $3::timestamptz WHERE id = $1::bpchar ` +
        "AND (expires_at IS NULL OR expires_at > $2::timestamptz) AND (expires_at IS NULL OR expires_at < $4::timestamptz)",
      destroy: `DELETE FROM ${t} WHERE id = ANY($1::bpchar[])`,
    },
    many: {
      read: `SELECT id::text AS id, a_session, expires_at FROM ${t} WHERE id = ANY($1::bpchar[])`,
      upsert:
        `INSERT INTO ${t} (id, a_session, expires_at) SELECT * FROM unnest($1::bpchar[], $2::text[], $3::timestamptz[]) ` +
        "ON CONFLICT (id) DO UPDATE SET a_session = EXCLUDED.a_session, expires_at = EXCLUDED.expires_at",
      update:
        `UPDATE ${t} AS t SET a_session = v.a_session, expires_at = v.expires_at ` +
        "FROM unnest($1::bpchar[], $2::text[], $3::timestamptz[]) AS v(id, a_session, expires_at) " +
        "WHERE t.id = v.id RETURNING t.id::text AS id",
      touch:
        `UPDATE ${t} AS t SET expires_at = v.expires_at ` +
        "FROM unnest($1::bpchar[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[]) AS v(id, now, expires_at, stale_before) " +
        "WHERE t.id = v.id AND (t.expires_at IS NULL OR t.expires_at > v.now) AND (t.expires_at IS NULL OR t.expires_at < v.stale_before) " +
        "RETURNING t.id::text AS id",
      destroy: `DELETE FROM ${t} WHERE id = ANY($1::bpchar[]) RETURNING id::text AS id`,
    },
  };
}

export type RowStatements = ReturnType<typeof rowStatementsFor>;
