// The adapters' expiry prune, run to the end, telling what the `pruned` event and the prune-lag metric
// need: how many rows it deleted and the oldest expiry among them. And the live count of `session.live`.
// The statements are the table's (adapter-statements.ts: `reportingPrune`, `countLive`).
import type { PostgresStore } from "../store/postgres-store.ts";
import { adapterStatementsFor } from "../table/adapter-statements.ts";
import type { Observer } from "./observer.ts";

/**
 * Deletes expired rows in batches of `batchSize` until a batch comes back short. When the oldest
 * expiry is `wanted` (the `pruned` event, the prune-lag metric), each batch reports it too
 * (`reportingPrune`); otherwise the plain DELETE runs, as cheap as before there were events.
 */
async function pruneExpired(
  store: PostgresStore,
  wanted: boolean,
  now: Date,
  batchSize: number,
): Promise<{ deleted: number; oldest: Date | null }> {
  const statements = adapterStatementsFor(store.table);
  let deleted = 0;
  let oldest: Date | null = null;
  for (;;) {
    if (!wanted) {
      const batch = await store.execute(statements.prune, [now, batchSize]);
      deleted += batch;
      if (batch < batchSize) return { deleted, oldest };
      continue;
    }
    const [row] = await store.query<{ deleted: number; oldest: Date | string | null }>(statements.reportingPrune, [now, batchSize]);
    const batch = Number(row?.deleted ?? 0);
    deleted += batch;
    // The first batch holds the oldest rows it found, but batches are not ordered: take the minimum.
    const found = row?.oldest == null ? null : new Date(row.oldest);
    if (found !== null && (oldest === null || found < oldest)) oldest = found;
    if (batch < batchSize) return { deleted, oldest };
  }
}

/** Counts the live rows as the adapters' `length()` would, without reading payloads: one statement on the expiry index. */
async function countLive(store: PostgresStore, now: Date, cutoff: Date | null): Promise<number> {
  const [row] = await store.query<{ n: number }>(adapterStatementsFor(store.table).countLive, [now, cutoff]);
  return Number(row?.n ?? 0);
}

/** One prune run of a layer. */
export interface PruneRun {
  /** Whether the layer prunes expired rows (the lifecycle API only with `ttl`), before `more`. */
  expired: boolean;
  /** The layer's clock now, in ms since the epoch. */
  now: number;
  batchSize: number;
  /** The absolute timeout's cutoff (now minus the timeout), for the live count; `null` without one. */
  cutoff: Date | null;
  /** More pruning after the expired rows (the absolute timeout's). @returns rows deleted */
  more?: () => Promise<number>;
}

/**
 * Deletes the expired rows (and what `more` deletes), fires `pruned`, records the prune metrics and,
 * when `session.live` is reported, counts the live rows. @returns rows deleted
 */
export async function runPrune(observer: Observer, store: PostgresStore, run: PruneRun): Promise<number> {
  const start = performance.now();
  const now = new Date(run.now);
  const { deleted, oldest } = run.expired
    ? await pruneExpired(store, observer.watches("pruned"), now, run.batchSize)
    : { deleted: 0, oldest: null };
  const total = deleted + ((await run.more?.()) ?? 0);
  observer.pruned(total, start, oldest, run.now);
  if (observer.countsLive) observer.liveCounted(await countLive(store, now, run.cutoff));
  return total;
}
