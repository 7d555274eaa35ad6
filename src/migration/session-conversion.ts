import type { RowOwner } from "../coalescer/session-rows.ts";
import { InvalidSessionIdError } from "../errors/store-errors.ts";
import { SessionStoreError } from "../errors/session-store-error.ts";
import type { ImportTarget } from "./import-target.ts";
import type { SourceRow } from "./source-format.ts";

/** A session of the old store as the adapter would have written it: key, payload, expiry, owner. */
export interface ImportedRow {
  key: string;
  text: string;
  expiresAt: Date;
  owner: RowOwner | undefined;
}

/** What becomes of one old row: a row to write, or why not (no message ever contains the session id). */
export type Conversion = { kind: "session"; row: ImportedRow } | { kind: "expired" } | { kind: "invalid"; reason: string };

const invalid = (reason: string): Conversion => ({ kind: "invalid", reason });

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

/**
 * Turns an old store's row into the row PgSessionStore would have written for that session: the key of
 * its session id (hashed with `hashIds`), the payload as the adapter stores it (`target.encode`: the
 * cookie's `expires` goes to `expires_at`, as on every write of the adapter), and
 * the old store's expiry. A row whose expiry is at or before `now` is `expired`; one that cannot be
 * read or stored is `invalid`, with a reason for the operator.
 */
export function convertSourceRow(row: SourceRow, target: ImportTarget, now: number): Conversion {
  if (row.expiresAt === null) return invalid("it has no expiry");
  if (row.expiresAt.getTime() <= now) return { kind: "expired" };
  if (typeof row.sid !== "string" || row.sid === "") return invalid("it has no session id");
  if (row.payload === null) return invalid("its data is NULL");
  let session: unknown;
  try {
    session = JSON.parse(row.payload);
  } catch (error) {
    return invalid(`its data is not JSON (${(error as Error).message}); only the stores' default JSON serialization can be moved in`);
  }
  if (typeof session !== "object" || session === null || Array.isArray(session)) {
    return invalid(`its data is ${describe(session)}, not a JSON object`);
  }
  const data = session as Record<string, unknown>;
  const cookie = data["cookie"];
  if (typeof cookie !== "object" || cookie === null || Array.isArray(cookie)) {
    return invalid(
      `its data has ${cookie === undefined ? "no" : `${describe(cookie)} as`} \`cookie\`; express-session loads no session without a cookie object`,
    );
  }

  const { store } = target;
  let key: string;
  try {
    key = target.keyOf(row.sid);
  } catch (error) {
    if (!(error instanceof InvalidSessionIdError)) throw error;
    return invalid(
      row.sid.length > store.maxIdLength
        ? `its session id has ${row.sid.length} characters, more than the id column of ${store.tableName} holds (${store.maxIdLength}): use hashIds (every id then fits) or widen the column`
        : `its session id has characters the id column of ${store.tableName} cannot hold (printable ASCII without spaces)`,
    );
  }
  let owner: RowOwner | undefined;
  try {
    owner = target.ownerOf?.(data);
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    return invalid(`its owner cannot be stored: ${error.message}`);
  }
  let text: string;
  try {
    text = target.encode(data, key);
  } catch (error) {
    if (!(error instanceof SessionStoreError)) throw error;
    // The cause's message, not the error's: that one names the session id.
    return invalid(`its data cannot be serialized: ${error.cause instanceof Error ? error.cause.message : "the serializer failed"}`);
  }
  try {
    target.store.assertStorablePayload(text, key);
  } catch (error) {
    if (!(error instanceof SessionStoreError)) throw error;
    return invalid(`its data cannot be stored: ${error.message}`);
  }
  return { kind: "session", row: { key, text, expiresAt: row.expiresAt, owner } };
}

/** The values of `importStatementsFor(table).insert` (src/table/import-statements.ts) for `rows`, moved in at `at`. */
export function importValues(rows: readonly ImportedRow[], at: Date): unknown[] {
  const iso = at.toISOString();
  return [
    rows.map((row) => row.key),
    rows.map((row) => row.text),
    rows.map((row) => row.expiresAt.toISOString()),
    rows.map(() => iso),
    rows.map((row) => row.owner?.userId ?? null),
    rows.map((row) => row.owner?.userAgent ?? null),
    rows.map((row) => row.owner?.ip ?? null),
  ];
}
