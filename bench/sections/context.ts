import type { BenchConfig } from "../config.ts";
import type { BenchDatabase } from "../setup/database.ts";
import type { StoreName } from "../stores/types.ts";
import type { SegmentResult } from "../worker/runner.ts";
import type { WorkerHandle } from "../worker/rpc.ts";

/** What every section of the run gets from bench/run.ts. */
export interface RunContext {
  config: BenchConfig;
  database: BenchDatabase;
  workers: Map<StoreName, WorkerHandle>;
  /** What each worker's store can do beyond the express-session API. */
  capabilities: Map<StoreName, StoreCapabilities>;
  log: (line: string) => void;
}

export interface StoreCapabilities {
  hasLocked: boolean;
  hasPrune: boolean;
  canFill: boolean;
}

/** The selected stores that can do something, in report order. */
export function storesWith(context: RunContext, capability: keyof StoreCapabilities): StoreName[] {
  return context.config.stores.filter((store) => context.capabilities.get(store)?.[capability] === true);
}

export type MeasuredSegment = SegmentResult & { misses: number };

export function worker(context: RunContext, name: StoreName): WorkerHandle {
  const handle = context.workers.get(name);
  if (handle === undefined) throw new Error(`no worker for ${name}`);
  return handle;
}

/** The stores in a different order each round, so no store always runs first (or right after another). */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** A per-round, per-cell seed, so every store sees the same operation sequence in a round. */
export function seedOf(...parts: Array<string | number>): number {
  let hash = 2_166_136_261;
  for (const char of parts.join("|")) hash = Math.imul(hash ^ char.charCodeAt(0), 16_777_619);
  return hash >>> 0;
}
