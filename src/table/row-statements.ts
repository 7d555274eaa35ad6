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
/**
 * What the `bounded` many-row writes add to their condition: a `lock_timeout` of 50 ms for the
 * statement (a volatile function is evaluated on each row before the write locks it; `true`: for this
 * statement's transaction only). A batch finds a row another transaction holds (a locked unit, a Perl
 * app, psql) within 50 ms instead of waiting for it with every other caller in the batch; the coalescer
 * then writes the batch with the skip-locked statements. Costs nothing on rows that are free.
 */
const boundedLockWait = " AND set_config('lock_timeout', '50ms', true) IS NOT NULL";

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
  // The many-row writes; with `bound`, a condition that sets a short lock_timeout (boundedLockWait).
  const manyWrites = (bound: string) => {
    const upsertWhere = bound === "" ? "" : `WHERE ${bound.slice(" AND ".length)} `;
    const touchFromWhere = manyTouchFromWhere.replace(" RETURNING t.id::text AS id", `${bound} RETURNING t.id::text AS id`);
    return {
      read: `SELECT id::text AS id, a_session, expires_at, created_at FROM ${t} WHERE id = ANY($1::bpchar[])`,
      upsert: {
        plain:
          `INSERT INTO ${t} AS s (id, a_session, expires_at) SELECT * FROM unnest(${manyColumns.plain.types}) ` +
          `${upsertWhere}` +
          upsertTail("plain") +
          manyInserted,
        tracked:
          `INSERT INTO ${t} AS s (id, a_session, expires_at, created_at, last_active_at) ` +
          `SELECT v.id, v.a_session, v.expires_at, v.at, v.at FROM unnest(${manyColumns.tracked.types}) AS v(${manyColumns.tracked.names}) ` +
          `${upsertWhere}` +
          upsertTail("tracked") +
          manyInserted,
        owned:
          `INSERT INTO ${t} AS s (id, a_session, expires_at, created_at, last_active_at, user_id, user_agent, ip) ` +
          `SELECT v.id, v.a_session, v.expires_at, v.at, v.at, v.user_id, v.user_agent, v.ip FROM unnest(${manyColumns.owned.types}) AS v(${manyColumns.owned.names}) ` +
          `${upsertWhere}` +
          upsertTail("owned") +
          manyInserted,
      } satisfies ShapedStatements,
      update: {
        plain:
          `UPDATE ${t} AS t SET a_session = v.a_session, expires_at = v.expires_at ` +
          `FROM unnest(${manyColumns.plain.types}) AS v(${manyColumns.plain.names}) WHERE t.id = v.id${bound} RETURNING t.id::text AS id`,
        tracked:
          `UPDATE ${t} AS t SET a_session = v.a_session, expires_at = v.expires_at, created_at = coalesce(t.created_at, v.at), last_active_at = v.at ` +
          `FROM unnest(${manyColumns.tracked.types}) AS v(${manyColumns.tracked.names}) WHERE t.id = v.id${bound} RETURNING t.id::text AS id`,
        owned:
          `UPDATE ${t} AS t SET a_session = v.a_session, expires_at = v.expires_at, created_at = coalesce(t.created_at, v.at), last_active_at = v.at, ` +
          "user_id = v.user_id, user_agent = coalesce(v.user_agent, t.user_agent), ip = coalesce(v.ip, t.ip) " +
          `FROM unnest(${manyColumns.owned.types}) AS v(${manyColumns.owned.names}) WHERE t.id = v.id${bound} RETURNING t.id::text AS id`,
      } satisfies ShapedStatements,
      touch: {
        plain: `UPDATE ${t} AS t SET expires_at = v.expires_at ` + touchFromWhere,
        tracked:
          `UPDATE ${t} AS t SET expires_at = v.expires_at, created_at = coalesce(t.created_at, v.now), last_active_at = v.now ` +
          touchFromWhere,
      },
      destroy: `DELETE FROM ${t} WHERE id = ANY($1::bpchar[])${bound} RETURNING id::text AS id`,
    };
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
    many: manyWrites(""),
    bounded: manyWrites(boundedLockWait),
    skipLocked: skipLockedStatementsFor(t, manyColumns, upsertTail, manyTouchFromWhere),
  };
}

/**
 * The many-row writes in a form that never waits on a row lock another transaction holds (a unit of
 * work's, a Perl app's, psql's): `l` locks the batch's rows in key order with SKIP LOCKED, the write
 * changes only rows in `l`, and the result also names the rows it skipped (`skipped`: visible but held
 * by someone else), which the coalescer then writes one by one. One statement still, no waiting, so no
 * deadlock between batches of two servers and no batch stalled behind one user's lock. Each returns
 * `id`, `skipped` and, for an upsert, `inserted`. Citus refuses FOR UPDATE in a statement on several
 * shards: there the coalescer goes back to the plain form (see coalesced-rows.ts).
 */
function skipLockedStatementsFor(
  t: string,
  columns: Record<keyof ShapedStatements, { types: string; names: string }>,
  upsertTail: (shape: keyof ShapedStatements) => string,
  touchFromWhere: string,
) {
  const locked = `l AS (SELECT id FROM ${t} WHERE id = ANY($1::bpchar[]) ORDER BY id FOR UPDATE SKIP LOCKED)`;
  const heldElsewhere = `SELECT id FROM ${t} WHERE id = ANY($1::bpchar[]) AND id NOT IN (SELECT id FROM l)`;
  // Rows the write changed, then rows it left because another transaction holds them.
  const changedOrSkipped = (write: string) =>
    `WITH ${locked}, w AS (${write}) SELECT id::text AS id, false AS skipped FROM w UNION ALL SELECT id::text, true FROM (${heldElsewhere}) AS h`;
  const onLocked = "AND t.id IN (SELECT id FROM l) RETURNING t.id";
  const update = (set: string, shape: keyof ShapedStatements) =>
    changedOrSkipped(
      `UPDATE ${t} AS t SET ${set} FROM unnest(${columns[shape].types}) AS v(${columns[shape].names}) WHERE t.id = v.id ${onLocked}`,
    );
  const upsert = (insert: string, shape: keyof ShapedStatements) =>
    `WITH ${locked}, h AS (${heldElsewhere}), ` +
    `w AS (${insert} FROM unnest(${columns[shape].types}) AS v(${columns[shape].names}) WHERE v.id NOT IN (SELECT id FROM h) ` +
    `${upsertTail(shape)} RETURNING s.id, (s.xmax = 0) AS inserted) ` +
    "SELECT id::text AS id, inserted, false AS skipped FROM w UNION ALL SELECT id::text, false, true FROM h";
  // The touch's own conditions, with the lock's: a row held elsewhere is skipped, not left unwritten.
  const touchWhere = touchFromWhere.replace(" RETURNING t.id::text AS id", ` ${onLocked}`);
  const tracked = "created_at = coalesce(t.created_at, v.at), last_active_at = v.at";
  return {
    upsert: {
      plain: upsert(`INSERT INTO ${t} AS s (id, a_session, expires_at) SELECT v.id, v.a_session, v.expires_at`, "plain"),
      tracked: upsert(
        `INSERT INTO ${t} AS s (id, a_session, expires_at, created_at, last_active_at) SELECT v.id, v.a_session, v.expires_at, v.at, v.at`,
        "tracked",
      ),
      owned: upsert(
        `INSERT INTO ${t} AS s (id, a_session, expires_at, created_at, last_active_at, user_id, user_agent, ip) ` +
          "SELECT v.id, v.a_session, v.expires_at, v.at, v.at, v.user_id, v.user_agent, v.ip",
        "owned",
      ),
    } satisfies ShapedStatements,
    update: {
      plain: update("a_session = v.a_session, expires_at = v.expires_at", "plain"),
      tracked: update(`a_session = v.a_session, expires_at = v.expires_at, ${tracked}`, "tracked"),
      owned: update(
        `a_session = v.a_session, expires_at = v.expires_at, ${tracked}, ` +
          "user_id = v.user_id, user_agent = coalesce(v.user_agent, t.user_agent), ip = coalesce(v.ip, t.ip)",
        "owned",
      ),
    } satisfies ShapedStatements,
    touch: {
      plain: changedOrSkipped(`UPDATE ${t} AS t SET expires_at = v.expires_at ${touchWhere}`),
      tracked: changedOrSkipped(
        `UPDATE ${t} AS t SET expires_at = v.expires_at, created_at = coalesce(t.created_at, v.now), last_active_at = v.now ${touchWhere}`,
      ),
    },
    destroy: changedOrSkipped(`DELETE FROM ${t} AS t WHERE true ${onLocked}`),
  };
}

export type RowStatements = ReturnType<typeof rowStatementsFor>;
