// The adapters' side of moving in from another store (src/migration): what a moved-in session becomes
// (the adapter's keys, serialization and owner columns) and the `readThrough` of a layer. The
// dependency points one way: the adapters use src/migration, never the reverse.
import type { RowOwner } from "../../coalescer/session-rows.ts";
import type { ImportTarget } from "../../migration/import-target.ts";
import { ReadThrough } from "../../migration/read-through.ts";
import type { SourceTable } from "../../migration/source-formats.ts";
import { encode } from "../../serialization/codec.ts";
import type { Serializer } from "../../serialization/serializer.ts";
import type { PostgresStore } from "../../store/postgres-store.ts";
import type { HashIdsOption } from "./id-hasher.ts";
import { report, type Logger } from "./logger.ts";
import { toStoredSession, type SessionLike } from "./session-payload.ts";

/** What a layer writes with: its store, serializer, key function and (PgSessionStore with `userId`) owner columns. */
export interface AdapterWrites {
  store: PostgresStore;
  serializer: Serializer;
  keyOf(sid: string): string;
  ownerOf?: ((session: SessionLike) => RowOwner | undefined) | undefined;
}

/** Where sessions moved in for this layer go, stored as its own writes store them. */
export function adapterImportTarget({ store, serializer, keyOf, ownerOf }: AdapterWrites): ImportTarget {
  return {
    store,
    keyOf,
    encode: (session, key) => encode(serializer, toStoredSession(session), { sessionId: key, table: store.tableName }),
    ownerOf: ownerOf && ((session) => ownerOf(session as SessionLike)),
  };
}

/**
 * A layer's ReadThrough, or `undefined` without the option. `source` is the option as
 * normalizeAdapterOptions checked it, before the layer opened its store: nothing here throws.
 */
export function readThroughOf(
  source: SourceTable | undefined,
  writes: AdapterWrites,
  hashIds: HashIdsOption | undefined,
  now: () => number,
  logger: Logger,
): ReadThrough | undefined {
  if (source === undefined) return undefined;
  return new ReadThrough({
    source,
    target: adapterImportTarget(writes),
    // HMAC keys were refused with the option.
    keys: hashIds === true ? "sha256" : "sid",
    now,
    report: (message, error) => report(logger, message, error),
  });
}
