import type { SegmentArgs } from "../worker/main.ts";
import { rotated, storesWith, worker, type MeasuredSegment, type RunContext } from "./context.ts";
import { Cells } from "./summary.ts";

/** Locked units at each concurrency, on distinct ids (one per caller) and on one hot id. */
export async function lockedSection(context: RunContext): Promise<Cells> {
  const { config, log } = context;
  // The stores with a locked read-modify-write unit: ours (SessionManager.open) and raw pg (BEGIN ... FOR UPDATE ... COMMIT).
  const lockedStores = storesWith(context, "hasLocked");
  const callers = Math.max(...config.locked.concurrencies);
  await Promise.all(lockedStores.map((store) => worker(context, store).call("lockedSeed", { callers, bytes: config.payloadBytes })));
  const cells = new Cells();
  for (const concurrency of config.locked.concurrencies) {
    // At concurrency 1 a hot id is a distinct id.
    const kinds = concurrency === 1 ? (["locked-distinct"] as const) : (["locked-distinct", "locked-hot"] as const);
    for (const workload of kinds) {
      for (let round = 0; round < config.repeats; round++) {
        for (const store of rotated(lockedStores, round + concurrency)) {
          const args: SegmentArgs = { workload, concurrency, durationMs: config.segmentMs, warmupMs: config.warmupMs };
          cells.add(store, workload, concurrency, await worker(context, store).call<MeasuredSegment>("segment", args));
        }
      }
      const line = lockedStores.map((store) => `${store} ${Math.round(cells.get(store, workload, concurrency)!.median.opsPerSec)}`);
      log(`${workload} c=${concurrency}: ${line.join(", ")} units/s`);
    }
  }
  return cells;
}
