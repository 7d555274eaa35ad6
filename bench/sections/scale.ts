import { storeDefinition } from "../stores/index.ts";
import type { StoreName } from "../stores/types.ts";
import type { SegmentArgs } from "../worker/main.ts";
import { rotated, storesWith, worker, type MeasuredSegment, type RunContext } from "./context.ts";
import { Cells } from "./summary.ts";

/** The stores measured against a big table: ours, and connect-pg-simple (one DELETE for its prune). */
const bigTableStores: StoreName[] = ["ours", "connect-pg-simple"];

function scaleStoresOf(context: RunContext): StoreName[] {
  return storesWith(context, "canFill").filter((store) => bigTableStores.includes(store));
}

export interface PruneRow {
  store: StoreName;
  rowsBefore: number;
  rowsAfter: number;
  totalMs: number;
  batches: number;
  medianBatchMs: number;
  p99BatchMs: number;
  longestBatchMs: number;
  lastBatchesMs: number[];
  statements: number;
}

export interface ScaleResult {
  /** Cells keyed `get 1 KB` / `set 100 KB` ..., concurrency 1. */
  payload: Cells;
  /** Cells keyed `get @ 10 k rows` / `set @ 1 M rows` ..., concurrency 16. */
  rows: Cells;
  rowCounts: Array<{ label: string; store: StoreName; rows: number }>;
  fillMs: Record<string, number>;
  prune: PruneRow[];
}

export function sizeLabel(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MB` : `${bytes / 1024} KB`;
}

function rowsLabel(rows: number): string {
  return rows >= 1_000_000 ? `${rows / 1_000_000} M rows` : `${Math.round(rows / 1000)} k rows`;
}

/** Scale: payload size, table size and pruning. */
export async function scaleSection(context: RunContext): Promise<ScaleResult> {
  const payload = await payloadSizes(context);
  const rows = new Cells();
  const rowCounts: ScaleResult["rowCounts"] = [];
  const smallLabel = rowsLabel(context.config.poolSize);
  await measureRows(context, rows, smallLabel, rowCounts);
  const fillMs = await fill(context);
  await measureRows(context, rows, `${rowsLabel(context.config.scale.bigRows)} expired + ${smallLabel}`, rowCounts);
  const prune: PruneRow[] = [];
  for (const store of scaleStoresOf(context)) {
    const rowsBefore = await countRows(context, store);
    const result = await worker(context, store).call<Omit<PruneRow, "store" | "rowsBefore" | "rowsAfter">>("prune");
    prune.push({ store, rowsBefore, rowsAfter: await countRows(context, store), ...result });
    context.log(
      `prune ${store}: ${Math.round(result.totalMs)} ms in ${result.batches} DELETE(s), longest ${Math.round(result.longestBatchMs)} ms`,
    );
  }
  return { payload, rows, rowCounts, fillMs, prune };
}

async function payloadSizes(context: RunContext): Promise<Cells> {
  const { config } = context;
  const stores = config.stores;
  const cells = new Cells();
  for (const bytes of config.scale.payloadSizes) {
    await Promise.all(stores.map((store) => worker(context, store).call("payloadSeed", { bytes })));
    for (let round = 0; round < Math.min(2, config.repeats); round++) {
      for (const kind of ["get", "set"] as const) {
        for (const store of rotated(stores, round)) {
          const args: SegmentArgs = {
            workload: `payload-${kind}`,
            concurrency: 1,
            durationMs: config.scale.payloadSegmentMs,
            warmupMs: 100,
            bytes,
          };
          cells.add(store, `${kind} ${sizeLabel(bytes)}`, 1, await worker(context, store).call<MeasuredSegment>("segment", args));
        }
      }
    }
    context.log(`payload ${sizeLabel(bytes)} measured`);
  }
  return cells;
}

async function measureRows(context: RunContext, cells: Cells, label: string, counts: ScaleResult["rowCounts"]): Promise<void> {
  const { config } = context;
  const scaleStores = scaleStoresOf(context);
  for (const store of scaleStores) counts.push({ label, store, rows: await countRows(context, store) });
  for (let round = 0; round < config.repeats; round++) {
    for (const kind of ["get", "set"] as const) {
      for (const store of rotated(scaleStores, round)) {
        const args: SegmentArgs = {
          workload: kind,
          concurrency: 16,
          durationMs: config.segmentMs,
          warmupMs: config.warmupMs,
          seed: round + 1,
        };
        cells.add(store, `${kind} @ ${label}`, 16, await worker(context, store).call<MeasuredSegment>("segment", args));
      }
    }
  }
  context.log(`get/set @ ${label} measured`);
}

/** Adds `bigRows` expired ~1 KB rows to each scale store's table (tables in parallel, in chunks), then refreshes statistics. */
async function fill(context: RunContext): Promise<Record<string, number>> {
  const { bigRows } = context.config.scale;
  const chunk = 100_000;
  const fillMs: Record<string, number> = {};
  await Promise.all(
    scaleStoresOf(context).map(async (store) => {
      const definition = storeDefinition(store);
      if (definition.fillExpired === undefined) return;
      const started = performance.now();
      for (let from = 1; from <= bigRows; from += chunk) {
        await context.database.pool.query(definition.fillExpired(from, Math.min(bigRows, from + chunk - 1)));
      }
      fillMs[store] = performance.now() - started;
      context.log(`filled ${store} with ${bigRows} expired rows in ${Math.round(fillMs[store] / 1000)} s`);
    }),
  );
  await context.database.pool.query("ANALYZE");
  return fillMs;
}

async function countRows(context: RunContext, store: StoreName): Promise<number> {
  const sql = storeDefinition(store).countRows;
  if (sql === undefined) return Number.NaN;
  const { rows } = await context.database.pool.query<{ n: number }>(sql);
  return rows[0]?.n ?? Number.NaN;
}
