import type { TableName } from "./table-name.ts";

/** The statements of one write kind, by the columns they set (see `WriteShape`). */
export interface ShapedStatements {
  plain: string;
  tracked: string;
  owned: string;
}

/**
 * Statements on session rows by id, each in two shapes: for one row, and for many rows in one
 * statement (arrays unnested, one element per row; the coalescer sends these). Timestamps travel as
 * ISO strings in arrays, which both drivers bind alike. An id occurs at most once per batch statement.
 *
 * Upserts and updates come in three column sets: `plain` (payload and expiry: the first two
 * migrations' columns), `tracked` (also `created_at`, kept once set, and `last_active_at`) and `owned`
 * (also `user_id`, and `user_agent` / `ip` unless NULL is given for them). Parameters, in order: id,
 * text, expiry; tracked adds the write's time; owned adds user id, user agent, ip. A touch is plain
 * or tracked (`last_active_at` moves with the expiry, only when the row is written).
 *
 * An upsert returns whether it inserted the row (`inserted`: `xmax = 0` on the row it wrote, which an
 * insert leaves unset and the conflict's update sets), and, for many rows, each row's `id`: the
 * `created` event is then the database's answer, not a guess (no statement more). A destroy of many
 * rows returns the ids it deleted.
 */
export function rowStatementsFor(table: TableName) {
  const t = table.sql;
  const ownedSet = "user_id = EXCLUDED.user_id, user_agent = coalesce(EXCLUDED.user_agent, s.user_agent), ip = coalesce(EXCLUDED.ip, s.ip)";
  const upsertTail = (shape: keyof ShapedStatements) =>
    "ON CONFLICT (id) DO UPDATE SET a_session = EXCLUDED.a_session, expires_at = EXCLUDED.expires_at" +
    (shape === "plain" ? "" : ", created_at = coalesce(s.created_at, EXCLUDED.created_at), last_active_at = EXCLUDED.last_active_at") +
    (shape === "owned" ? `, ${ownedSet}` : "");
  const oneInserted = " RETURNING (s.xmax = 0) AS inserted";
  const manyInserted = " RETURNING s.id::text AS id, (s.xmax = 0) AS inserted";
  // Never revives an expired row; the last condition skips the row write when the stored expiry is
  // recent enough (touchAfter), so a no-op touch writes no tuple.
  const touchWhere = "AND (expires_at IS NULL OR expires_at > $2::timestamptz) AND (expires_at IS NULL OR expires_at < $4::timestamptz)";
  const manyTouchFromWhere =
    "FROM unnest($1::bpchar[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[]) AS v(id, now, expires_at, stale_before) " +
    "WHERE t.id = v.id AND (t.expires_at IS NULL OR t.expires_at > v.now) AND (t.expires_at IS NULL OR t.expires_at < v.stale_before) " +
    "RETURNING t.id::text AS id";
  const manyColumns = {
    plain: { types: "$1::bpchar[], $2::text[], $3::timestamptz[]", names: "id, a_session, expires_at" },
    tracked: { types: "$1::bpchar[], $2::text[], $3::timestamptz[], $4::timestamptz[]", names: "id, a_session, expires_at, at" },
    owned: {
      types: "$1::bpchar[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[], $7::text[]",
      names: "id, a_session, expires_at, at, user_id, user_agent, ip",
    },
  };
  return {
    one: {
      read: `SELECT a_session, expires_at, created_at FROM ${t} WHERE id = $1::bpchar`,
      upsert: {
        plain:
          `INSERT INTO ${t} AS s (id, a_session, expires_at) VALUES ($1::bpchar, $2::text, $3::timestamptz) ` +
          upsertTail("plain") +
          oneInserted,
        tracked:
          `INSERT INTO ${t} AS s (id, a_session, expires_at, created_at, last_active_at) ` +
          "VALUES ($1::bpchar, $2::text, $3::timestamptz, $4::timestamptz, $4::timestamptz) " +
          upsertTail("tracked") +
          oneInserted,
        owned:
          `INSERT INTO ${t} AS s (id, a_session, expires_at, created_at, last_active_at, user_id, user_agent, ip) ` +
          "VALUES ($1::bpchar, $2::text, $3::timestamptz, $4::timestamptz, $4::timestamptz, $5::text, $6::text, $7::text) " +
          upsertTail("owned") +
          oneInserted,
      } satisfies ShapedStatements,
      update: {
        plain: `UPDATE ${t} SET a_session = $2::text, expires_at = $3::timestamptz WHERE id = $1::bpchar`,
        tracked:
          `UPDATE ${t} SET a_session = $2::text, expires_at = $3::timestamptz, ` +
          "created_at = coalesce(created_at, $4::timestamptz), last_active_at = $4::timestamptz WHERE id = $1::bpchar",
        owned:
          `UPDATE ${t} SET a_session = $2::text, expires_at = $3::timestamptz, ` +
          "created_at = coalesce(created_at, $4::timestamptz), last_active_at = $4::timestamptz, " +
          "user_id = $5::text, user_agent = coalesce($6::text, user_agent), ip = coalesce($7::text, ip) WHERE id = $1::bpchar",
      } satisfies ShapedStatements,
      touch: {
        plain: `UPDATE ${t} SET expires_at = $3::timestamptz WHERE id = $1::bpchar ${touchWhere}`,
        tracked:
          `UPDATE ${t} SET expires_at = $3::timestamptz, created_at = coalesce(created_at, $2::timestamptz), last_active_at = $2::timestamptz ` +
          `WHERE id = $1::bpchar ${touchWhere}`,
      },
      destroy: `DELETE FROM ${t} WHERE id = ANY($1::bpchar[])`,
    },
    many: {
      read: `SELECT id::text AS id, a_session, expires_at, created_at FROM ${t} WHERE id = ANY($1::bpchar[])`,
      upsert: {
        plain:
          `INSERT INTO ${t} AS s (id, a_session, expires_at) SELECT * FROM unnest(${manyColumns.plain.types}) ` +
          upsertTail("plain") +
          manyInserted,
        tracked:
          `INSERT INTO ${t} AS s (id, a_session, expires_at, created_at, last_active_at) ` +
          `SELECT v.id, v.a_session, v.expires_at, v.at, v.at FROM unnest(${manyColumns.tracked.types}) AS v(${manyColumns.tracked.names}) ` +
          upsertTail("tracked") +
          manyInserted,
        owned:
          `INSERT INTO ${t} AS s (id, a_session, expires_at, created_at, last_active_at, user_id, user_agent, ip) ` +
          `SELECT v.id, v.a_session, v.expires_at, v.at, v.at, v.user_id, v.user_agent, v.ip FROM unnest(${manyColumns.owned.types}) AS v(${manyColumns.owned.names}) ` +
          upsertTail("owned") +
          manyInserted,
      } satisfies ShapedStatements,
      update: {
        plain:
          `UPDATE ${t} AS t SET a_session = v.a_session, expires_at = v.expires_at ` +
          `FROM unnest(${manyColumns.plain.types}) AS v(${manyColumns.plain.names}) WHERE t.id = v.id RETURNING t.id::text AS id`,
        tracked:
          `UPDATE ${t} AS t SET a_session = v.a_session, expires_at = v.expires_at, created_at = coalesce(t.created_at, v.at), last_active_at = v.at ` +
          `FROM unnest(${manyColumns.tracked.types}) AS v(${manyColumns.tracked.names}) WHERE t.id = v.id RETURNING t.id::text AS id`,
        owned:
          `UPDATE ${t} AS t SET a_session = v.a_session, expires_at = v.expires_at, created_at = coalesce(t.created_at, v.at), last_active_at = v.at, ` +
          "user_id = v.user_id, user_agent = coalesce(v.user_agent, t.user_agent), ip = coalesce(v.ip, t.ip) " +
          `FROM unnest(${manyColumns.owned.types}) AS v(${manyColumns.owned.names}) WHERE t.id = v.id RETURNING t.id::text AS id`,
      } satisfies ShapedStatements,
      touch: {
        plain: `UPDATE ${t} AS t SET expires_at = v.expires_at ` + manyTouchFromWhere,
        tracked:
          `UPDATE ${t} AS t SET expires_at = v.expires_at, created_at = coalesce(t.created_at, v.now), last_active_at = v.now ` +
          manyTouchFromWhere,
      },
      destroy: `DELETE FROM ${t} WHERE id = ANY($1::bpchar[]) RETURNING id::text AS id`,
    },
  };
}

export type RowStatements = ReturnType<typeof rowStatementsFor>;
