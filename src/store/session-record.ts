import { CorruptPayloadError, InvalidSessionIdError, PayloadTooLargeError } from "../errors/store-errors.ts";

/**
 * One row of the sessions table, as Apache::Session's store sees it: `$session->{data}->{_session_id}` and
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

/**
 * Checks a serialized payload before any SQL. PostgreSQL text cannot hold NUL, and the driver would
 * silently replace unpaired surrogates with U+FFFD: both are refused rather than stored altered.
 */
export function assertStorablePayload(
  serialized: unknown,
  context: { sessionId: string; table: string },
  maxPayloadBytes: number,
): asserts serialized is string | null {
  if (serialized === null) return;
  if (typeof serialized !== "string") {
    throw new CorruptPayloadError(`Serialized session must be a string or null, got ${typeof serialized}`, context);
  }
  if (serialized.includes("\0") || !serialized.isWellFormed()) {
    throw new CorruptPayloadError("Serialized session contains NUL or unpaired surrogates, which PostgreSQL text cannot hold", context);
  }
  // A UTF-8 character is at most 3 bytes per UTF-16 code unit: count bytes only when it could matter.
  if (serialized.length * 3 > maxPayloadBytes) {
    const bytes = Buffer.byteLength(serialized, "utf8");
    if (bytes > maxPayloadBytes) {
      throw new PayloadTooLargeError(`Serialized session is ${bytes} bytes, more than maxPayloadBytes (${maxPayloadBytes})`, context);
    }
  }
}
