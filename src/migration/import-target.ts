import type { RowOwner } from "../coalescer/session-rows.ts";
import type { Serializer } from "../serialization/serializer.ts";
import type { PostgresStore } from "../store/postgres-store.ts";

/**
 * Where moved-in sessions go, keyed and serialized exactly as the adapter that will read them does:
 * its store (table, id column, payload limits), its serializer, its key function (`hashIds`) and, with
 * its `userId` option, the owner columns it would write.
 */
export interface ImportTarget {
  store: PostgresStore;
  serializer: Serializer;
  /** The key a session id is stored under (the id, or its hash). @throws InvalidSessionIdError */
  keyOf(sid: string): string;
  /** The owner columns of a session (`userId` / `device`); `undefined`: none (user_id stays NULL). */
  ownerOf?: ((session: Record<string, unknown>) => RowOwner | undefined) | undefined;
}
