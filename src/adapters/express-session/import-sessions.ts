import { importSessionsInto, type ImportOptions, type ImportSummary } from "../../migration/import-sessions.ts";
import type { ImportTarget } from "../../migration/import-target.ts";
import { adapterImportTarget } from "./migration-target.ts";
import { adapterInternals } from "./adapter-internals.ts";
import type { PgSessionStore } from "./pg-session-store.ts";

/** Where `store` writes, as it writes: its store, serializer, keys (`hashIds`) and owner columns (`userId`). */
export function importTargetOf(store: PgSessionStore): ImportTarget {
  const { serializer, keyOf, ownerOf } = adapterInternals(store);
  return adapterImportTarget({ store: store.store, serializer, keyOf, ownerOf });
}

/**
 * Copies the live sessions of connect-pg-simple's or @quixo3/prisma-session-store's table into
 * `into`'s table, as `into` would have written them (same keys with `hashIds`, same serializer,
 * encryption included, its `userId`'s owner columns). See the migration's `importSessionsInto`.
 * @throws TypeError for bad options (before any SQL); store errors as the store maps them
 */
export function importSessions(into: PgSessionStore, options: ImportOptions): Promise<ImportSummary> {
  return importSessionsInto(importTargetOf(into), options);
}
