import { medianOf } from "../report/stats.ts";
import type { StoreName } from "../stores/types.ts";
import type { MeasuredSegment } from "./context.ts";

export const summaryKeys = [
  "opsPerSec",
  "p50Ms",
  "p99Ms",
  "statementsPerOp",
  "clientCpuUsPerOp",
  "serverCpuUsPerOp",
  "errors",
  "misses",
  "ops",
] as const;
export type Summary = Record<(typeof summaryKeys)[number], number>;

/** One cell of a table (store × workload × concurrency): every round's segment and their medians. */
export interface Cell {
  store: StoreName;
  workload: string;
  concurrency: number;
  samples: MeasuredSegment[];
  median: Summary;
}

export function summarize(samples: readonly MeasuredSegment[]): Summary {
  return medianOf(samples, summaryKeys);
}

/** Collects segments into cells, keyed by store, workload and concurrency. */
export class Cells {
  readonly #cells = new Map<string, Cell>();

  add(store: StoreName, workload: string, concurrency: number, sample: MeasuredSegment): void {
    const key = `${store}|${workload}|${concurrency}`;
    let cell = this.#cells.get(key);
    if (cell === undefined) {
      cell = { store, workload, concurrency, samples: [], median: summarize([]) };
      this.#cells.set(key, cell);
    }
    cell.samples.push(sample);
    cell.median = summarize(cell.samples);
  }

  get(store: StoreName, workload: string, concurrency: number): Cell | undefined {
    return this.#cells.get(`${store}|${workload}|${concurrency}`);
  }

  all(): Cell[] {
    return [...this.#cells.values()];
  }
}
