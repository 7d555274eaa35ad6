import { InvalidSessionIdError } from "../errors/store-errors.ts";

/**
 * One row of the sessions table, as the seed's store sees it: `$session->{data}->{_session_id}` and
 * `$session->{serialized}`. `serialized` is `null` for a NULL `a_session`.
 */
export interface SessionRecord {
  id: string;
  serialized: string | null;
}

// Printable ASCII without space. Wider than the lifecycle's hex rule, so express-session's base64url ids
// fit, but it keeps out what a char(n) column would silently alter or reject: trailing spaces (char
// comparison ignores them, so "ab " would match row "ab"), NUL, and non-ASCII.
const storableId = /^[\x21-\x7e]+$/;

/** Checks an id before any SQL: a non-empty printable-ASCII string that fits the id column. */
export function assertStorableId(id: unknown, table: string, maxLength: number): asserts id is string {
  const context = { sessionId: typeof id === "string" ? id : undefined, table };
  if (typeof id !== "string" || !storableId.test(id)) {
    throw new InvalidSessionIdError(`Invalid session ID: ${JSON.stringify(id)}`, context);
  }
  if (id.length > maxLength) {
    throw new InvalidSessionIdError(
      `Invalid session ID: ${id.length} characters, but the id column of ${table} holds ${maxLength} (char(${maxLength})). ` +
        "To store longer ids, widen the column in your Prisma schema (@db.Char(n)), migrate, and set maxIdLength.",
      context,
    );
  }
}
