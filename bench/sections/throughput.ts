import type { StoreName } from "../stores/types.ts";
import type { SegmentArgs } from "../worker/main.ts";
import { workloadNames } from "../worker/workloads.ts";
import { rotated, seedOf, worker, type MeasuredSegment, type RunContext } from "./context.ts";
import { Cells } from "./summary.ts";

/** Measured operations per segment at most (MemoryStore would otherwise fill its heap in `create`). */
const maxOps = 50_000;

/**
 * The express-session Store API workloads: every workload × concurrency, `repeats` rounds back to back,
 * each round running every store once in a rotated order. Rounds of one cell are adjacent (about a minute
 * for all of a workload's cells), so time-based write avoidance (touchAfter, 60 s by default) sees what a
 * continuously running store sees.
 */
export async function throughputSection(context: RunContext): Promise<Cells> {
  const { config, log } = context;
  const stores = config.stores;
  const cells = new Cells();
  for (const workload of workloadNames) {
    for (const concurrency of config.concurrencies) {
      for (let round = 0; round < config.repeats; round++) {
        if (workload === "destroy") await topUpForDestroy(context, cells, stores, concurrency);
        for (const store of rotated(stores, round + concurrency)) {
          const args: SegmentArgs = {
            workload,
            concurrency,
            durationMs: config.segmentMs,
            warmupMs: config.warmupMs,
            maxOps,
            seed: seedOf(round, workload, concurrency),
          };
          const result = await worker(context, store).call<MeasuredSegment>("segment", args);
          cells.add(store, workload, concurrency, result);
        }
      }
      const line = stores.map((store) => `${store} ${Math.round(cells.get(store, workload, concurrency)!.median.opsPerSec)}`);
      log(`${workload} c=${concurrency}: ${line.join(", ")} ops/s`);
    }
    // Autovacuum may be off on the server (it is on the development machines): clear dead rows between
    // workloads (unmeasured), as autovacuum would in production, so later workloads do not inherit the bloat.
    await context.database.pool.query("VACUUM");
  }
  return cells;
}

// `destroy` consumes ids made by `create`; top each store up (unmeasured) to what it can destroy in a
// segment, estimated from its `create` rate (a destroy costs about as much), with a margin.
async function topUpForDestroy(context: RunContext, cells: Cells, stores: StoreName[], concurrency: number): Promise<void> {
  const seconds = (context.config.segmentMs + context.config.warmupMs) / 1000;
  await Promise.all(
    stores.map((store) => {
      const rate = cells.get(store, "create", concurrency)?.median.opsPerSec ?? 1000;
      const count = Math.min(maxOps + maxOps / 5, Math.ceil(rate * seconds * 2));
      return worker(context, store).call("topUp", { count, concurrency: 16 });
    }),
  );
}
