import type { RowOwner } from "../coalescer/session-rows.ts";
import type { PostgresStore } from "../store/postgres-store.ts";

/**
 * Where moved-in sessions go, keyed and serialized exactly as the adapter that will read them does:
 * its store (table, id column, payload limits), its key function (`hashIds`), its way of storing a
 * session (serializer included) and, with its `userId` option, the owner columns it would write. The
 * adapters build it (src/adapters/express-session/migration-target.ts); this folder knows nothing else of them.
 */
export interface ImportTarget {
  store: PostgresStore;
  /** The key a session id is stored under (the id, or its hash). @throws InvalidSessionIdError */
  keyOf(sid: string): string;
  /**
   * The text stored for `session` (an old store's session, `cookie` included) under `key`, as the
   * adapter writes it. @throws SessionStoreError when it cannot be serialized
   */
  encode(session: Record<string, unknown>, key: string): string;
  /** The owner columns of a session (`userId` / `device`); `undefined`: none (user_id stays NULL). */
  ownerOf?: ((session: Record<string, unknown>) => RowOwner | undefined) | undefined;
}
