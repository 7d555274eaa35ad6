// What a PgSessionStore's companions (lockedSession, importSessions) read from it, kept out of the
// store's own module so that its public declarations name none of it.
import type { RowOwner } from "../../coalescer/session-rows.ts";
import type { Observer } from "../../observability/observer.ts";
import type { Serializer } from "../../serialization/serializer.ts";
import type { SessionLike } from "./session-payload.ts";

/** What the adapter's companions read from it; not part of the public API. */
export interface AdapterInternals {
  serializer: Serializer;
  /** The key a session id is stored under (the id, or its hash with `hashIds`). @throws InvalidSessionIdError */
  keyOf(sid: string): string;
  /** The owner columns a write of `session` sets (`userId` / `device`); `undefined` without `userId`. */
  ownerOf(session: SessionLike): RowOwner | undefined;
  /** Where its locked units report their spans and lock waits. */
  observer: Observer;
}

const internals = new WeakMap<object, AdapterInternals>();

/** Called once by each PgSessionStore's constructor. */
export function registerAdapterInternals(store: object, found: AdapterInternals): void {
  internals.set(store, found);
}

/** The serializer and key function of a PgSessionStore, so that its companions cannot disagree with it. */
export function adapterInternals(store: object): AdapterInternals {
  const found = internals.get(store);
  if (found === undefined) throw new TypeError("Not a PgSessionStore");
  return found;
}
