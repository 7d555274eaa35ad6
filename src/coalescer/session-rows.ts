/** A session row as the adapters read it. */
export interface StoredRow {
  a_session: string | null;
  expires_at: Date | null;
}

/** A write to session rows by id. `destroy` may name several ids (a session id and its stored key). */
export type RowWrite =
  | { kind: "upsert"; id: string; text: string; expiresAt: Date }
  | { kind: "update"; id: string; text: string; expiresAt: Date }
  | { kind: "touch"; id: string; now: Date; expiresAt: Date; staleBefore: Date }
  | { kind: "destroy"; ids: readonly string[] };

/**
 * Reads and writes of session rows by id, each settling once its own statement has committed. Two
 * implementations: one statement per call (direct-rows.ts), and concurrent calls coalesced into one
 * statement per kind (coalesced-rows.ts).
 */
export interface SessionRows {
  /** The row with this id, whatever its expiry; `undefined` when there is none. */
  read(id: string): Promise<StoredRow | undefined>;
  /** @returns the number of rows the write changed (an upsert: 1) */
  write(op: RowWrite): Promise<number>;
}

/** The ids a write touches. */
export function idsOf(op: RowWrite): readonly string[] {
  return op.kind === "destroy" ? op.ids : [op.id];
}
