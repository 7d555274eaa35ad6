import type { Cells } from "../sections/summary.ts";
import type { StoreName } from "../stores/types.ts";
import { workloadNames } from "../worker/workloads.ts";
import { count, ratio, table } from "./format.ts";
import type { MemoryRow } from "./tables.ts";

export interface Goal {
  goal: string;
  measured: number;
  target: number;
  unit: "×" | "MB";
  /** true when met; for MB goals, measured must be at most target. */
  met: boolean;
}

const c = 16;

function speedRatio(cells: Cells, workload: string, store: StoreName, reference: StoreName): number {
  const mine = cells.get(store, workload, c)?.median.opsPerSec ?? Number.NaN;
  return mine / (cells.get(reference, workload, c)?.median.opsPerSec ?? Number.NaN);
}

function atLeast(goal: string, measured: number, target: number): Goal {
  return { goal, measured, target, unit: "×", met: measured >= target };
}

/** The performance targets set for ours, checked against the medians of this run (reported, never asserted). */
export function evaluateGoals(throughput: Cells, locked: Cells, memory: readonly MemoryRow[]): Goal[] {
  const goals: Goal[] = [
    atLeast("get ≥ 0.9× connect-pg-simple", speedRatio(throughput, "get", "ours", "connect-pg-simple"), 0.9),
    atLeast("set (changed data) ≥ 1.0× connect-pg-simple", speedRatio(throughput, "set", "ours", "connect-pg-simple"), 1.0),
    atLeast("create (set of new ids) ≥ 1.0× connect-pg-simple", speedRatio(throughput, "create", "ours", "connect-pg-simple"), 1.0),
    atLeast("realistic mix ≥ 1.3× connect-pg-simple", speedRatio(throughput, "mix", "ours", "connect-pg-simple"), 1.3),
    atLeast("fastify-style mix ≥ 1.3× connect-pg-simple", speedRatio(throughput, "fastify", "ours", "connect-pg-simple"), 1.3),
    ...workloadNames.map((workload) =>
      atLeast(`${workload} ≥ 3× prisma-session-store`, speedRatio(throughput, workload, "ours", "prisma-session-store"), 3),
    ),
    atLeast("locked unit, distinct ids ≥ 0.8× raw pg", speedRatio(locked, "locked-distinct", "ours", "raw-pg"), 0.8),
    atLeast("locked unit, one hot id ≥ 0.8× raw pg", speedRatio(locked, "locked-hot", "ours", "raw-pg"), 0.8),
  ];
  const ours = memory.find((row) => row.store === "ours");
  const cps = memory.find((row) => row.store === "connect-pg-simple");
  if (ours !== undefined && cps !== undefined) {
    const target = cps.afterWorkloadsMB + 60;
    goals.push({ goal: "peak RSS ≤ connect-pg-simple + 60 MB", measured: ours.afterWorkloadsMB, target, unit: "MB", met: ours.afterWorkloadsMB <= target });
  }
  return goals;
}

export function goalsTable(goals: readonly Goal[]): string {
  return table(
    ["goal (c = 16)", "measured", "target", "met"],
    goals.map((goal) => [
      goal.goal,
      goal.unit === "×" ? ratio(goal.measured) : `${count(goal.measured)} MB`,
      goal.unit === "×" ? `≥ ${goal.target}×` : `≤ ${count(goal.target)} MB`,
      Number.isFinite(goal.measured) ? (goal.met ? "yes" : "**no**") : "–",
    ]),
  );
}
