import type { TableName } from "../table/table-name.ts";

/** The stores whose tables `import` and `readThrough` read. */
export const sourceStoreNames = ["connect-pg-simple", "prisma-session-store"] as const;
export type SourceStoreName = (typeof sourceStoreNames)[number];

/** A session row of the old store's table, as read for moving it in. */
export interface SourceRow {
  /** The row's key in its own table, the order of `import`'s pages (connect-pg-simple: the sid; prisma-session-store: `id`). */
  sourceId: string;
  /** The session id, as in the cookie. */
  sid: string;
  /** The session as the old store serialized it (JSON text). */
  payload: string | null;
  /** When the old store ends it; `null` when the row has none. */
  expiresAt: Date | null;
}

/**
 * The statements on an old store's table. Every SELECT names its columns `source_id`, `sid`, `payload`
 * (text) and `expires_at` (timestamptz).
 */
export interface SourceStatements {
  count: string;
  /** The first page in `source_id` order; $1: the page size. */
  firstPage: string;
  /** The page after `source_id` $1; $2: the page size. */
  nextPage: string;
  /** The row of the session id $1. */
  bySid: string;
  /**
   * The row of the session id $1, locked against deletion until the transaction ends (`FOR KEY SHARE`:
   * a DELETE waits for it; the old store's own updates of the row do not).
   */
  bySidLocked: string;
  /** Deletes the rows of the session ids in the text[] $1. */
  deleteBySids: string;
  /** Deletes the rows whose session id's `hashIds: true` key (see {@link sha256KeySql}) is in the text[] $1. */
  deleteBySha256Keys: string;
  /** Deletes every row. */
  deleteAll: string;
}

/** How one old store keeps its sessions: its default table and the statements that read it. */
export interface SourceFormat {
  readonly name: SourceStoreName;
  /** The table the store uses when not told otherwise. */
  readonly defaultTable: string;
  statementsFor(table: TableName): SourceStatements;
}

/** A row as the statements return it (drivers may hand a timestamp over as a Date or as text). */
export interface SelectedSourceRow {
  source_id: string;
  sid: string;
  payload: string | null;
  expires_at: Date | string | null;
}

export function sourceRowOf(row: SelectedSourceRow): SourceRow {
  const at = row.expires_at === null ? null : new Date(row.expires_at);
  return {
    sourceId: row.source_id,
    sid: row.sid,
    payload: row.payload,
    expiresAt: at === null || Number.isNaN(at.getTime()) ? null : at,
  };
}

/**
 * The key `hashIds: true` stores for the session id in `column` (src/adapters/express-session/id-hasher.ts):
 * the first 24 bytes of the SHA-256 of its UTF-8, in base64url (32 characters, no padding), computed
 * by PostgreSQL (sha256() is PostgreSQL 11+). Not indexed: a statement using it reads the whole table.
 */
export function sha256KeySql(column: string): string {
  return `translate(encode(substring(sha256(convert_to(${column}::text, 'UTF8')) from 1 for 24), 'base64'), '+/', '-_')`;
}
