import { sha256KeySql, type SourceFormat } from "./source-format.ts";

/**
 * connect-pg-simple's table (its table.sql): `sid varchar` primary key, `sess json` (the session as
 * JSON, cookie included), `expire timestamp(6)` without time zone. It writes `expire` with
 * `to_timestamp()` and compares it with `to_timestamp()`, so the value is the connection's local time:
 * `expire::timestamptz` reads it back in the same time zone (the server's `TimeZone`, unless the app's
 * connections set another). Pages follow its primary key.
 */
export const connectPgSimpleFormat: SourceFormat = {
  name: "connect-pg-simple",
  defaultTable: "session",
  statementsFor(table) {
    const select = `SELECT sid::text AS source_id, sid::text AS sid, sess::text AS payload, expire::timestamptz AS expires_at FROM ${table.sql}`;
    return {
      count: `SELECT count(*)::int AS n FROM ${table.sql}`,
      firstPage: `${select} ORDER BY sid LIMIT $1`,
      nextPage: `${select} WHERE sid > $1::text ORDER BY sid LIMIT $2`,
      bySid: `${select} WHERE sid = $1::text`,
      bySidLocked: `${select} WHERE sid = $1::text FOR KEY SHARE`,
      deleteBySids: `DELETE FROM ${table.sql} WHERE sid = ANY($1::text[])`,
      deleteBySha256Keys: `DELETE FROM ${table.sql} WHERE ${sha256KeySql("sid")} = ANY($1::text[])`,
      deleteAll: `DELETE FROM ${table.sql}`,
    };
  },
};
