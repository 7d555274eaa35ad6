import { sha256KeySql, type SourceFormat } from "./source-format.ts";

/**
 * @quixo3/prisma-session-store's table: its README's model `Session { id String @id; sid String
 * @unique; data String; expiresAt DateTime }` without `@@map`, so the table is `"Session"` (the client's
 * `prisma.session`, its default `sessionModelName`). `data` is the session serialized with its
 * `serializer` (`JSON.stringify` unless the app gave another); `expiresAt` is Prisma's `timestamp(3)`
 * without time zone, which Prisma writes in UTC. `id` is a random cuid (or the sid with
 * `dbRecordIdIsSessionId`): pages follow it, the primary key.
 */
export const prismaSessionStoreFormat: SourceFormat = {
  name: "prisma-session-store",
  defaultTable: "Session",
  statementsFor(table) {
    const select = `SELECT "id" AS source_id, "sid" AS sid, "data" AS payload, "expiresAt" AT TIME ZONE 'UTC' AS expires_at FROM ${table.sql}`;
    return {
      count: `SELECT count(*)::int AS n FROM ${table.sql}`,
      firstPage: `${select} ORDER BY "id" LIMIT $1`,
      nextPage: `${select} WHERE "id" > $1::text ORDER BY "id" LIMIT $2`,
      bySid: `${select} WHERE "sid" = $1::text`,
      bySidLocked: `${select} WHERE "sid" = $1::text FOR KEY SHARE`,
      deleteBySids: `DELETE FROM ${table.sql} WHERE "sid" = ANY($1::text[])`,
      deleteBySha256Keys: `DELETE FROM ${table.sql} WHERE ${sha256KeySql('"sid"')} = ANY($1::text[])`,
      deleteAll: `DELETE FROM ${table.sql}`,
    };
  },
};
