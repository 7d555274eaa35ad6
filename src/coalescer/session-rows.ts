/** A session row as the adapters read it. */
export interface StoredRow {
  a_session: string | null;
  expires_at: Date | null;
  /** NULL for rows of Apache::Session and of versions before the user-sessions migration. */
  created_at: Date | null;
}

/** Whose session a row is: written by upserts and updates that carry it (see {@link RowTracking}). */
export interface RowOwner {
  /** `user_id`; `null` clears it (the session no longer belongs to a user). */
  userId: string | null;
  /** `user_agent`; `null` keeps what is stored. */
  userAgent: string | null;
  /** `ip`; `null` keeps what is stored. */
  ip: string | null;
}

/** The activity columns a write keeps: `created_at` (set once), `last_active_at`, and the owner. */
export interface RowTracking {
  /** When the write happens: `last_active_at`, and `created_at` of a row that has none. */
  at: Date;
  /** The owner columns; absent, `user_id`, `user_agent` and `ip` are left as they are. */
  owner?: RowOwner | undefined;
}

/**
 * A write to session rows by id. `destroy` may name several ids (a session id and its stored key).
 * `track` also writes the activity columns (the third migration's): without it a write touches only
 * the columns of the first two, as before.
 */
export type RowWrite =
  | { kind: "upsert"; id: string; text: string; expiresAt: Date; track?: RowTracking | undefined }
  | { kind: "update"; id: string; text: string; expiresAt: Date; track?: RowTracking | undefined }
  | { kind: "touch"; id: string; now: Date; expiresAt: Date; staleBefore: Date; track?: boolean | undefined }
  | { kind: "destroy"; ids: readonly string[] };

/**
 * Which columns a write sets, hence which statement it takes: `plain` (payload and expiry), `tracked`
 * (also `created_at` and `last_active_at`), `owned` (also the owner's columns).
 */
export type WriteShape = "plain" | "tracked" | "owned";

export function shapeOf(op: RowWrite): WriteShape {
  switch (op.kind) {
    case "destroy":
      return "plain";
    case "touch":
      return op.track === true ? "tracked" : "plain";
    default:
      return op.track === undefined ? "plain" : op.track.owner === undefined ? "tracked" : "owned";
  }
}

/**
 * Reads and writes of session rows by id, each settling once its own statement has committed. Two
 * implementations: one statement per call (direct-rows.ts), and concurrent calls coalesced into one
 * statement per kind (coalesced-rows.ts).
 */
export interface SessionRows {
  /** The row with this id, whatever its expiry; `undefined` when there is none. */
  read(id: string): Promise<StoredRow | undefined>;
  /**
   * @returns the number of rows the write changed; for an upsert, the rows it inserted: 1 for a new
   * row, 0 when it updated an existing one (the statement's RETURNING tells, no statement more)
   */
  write(op: RowWrite): Promise<number>;
  /** A destroy of `ids` that tells which rows it deleted (ordered as a destroy write). @returns their ids */
  deleteRows(ids: readonly string[]): Promise<string[]>;
}

/** The ids a write touches. */
export function idsOf(op: RowWrite): readonly string[] {
  return op.kind === "destroy" ? op.ids : [op.id];
}
