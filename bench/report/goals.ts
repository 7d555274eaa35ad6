import { frameworks, routes } from "../http/apps.ts";
import { httpWorkload, type HttpResult } from "../sections/http.ts";
import type { Cells } from "../sections/summary.ts";
import type { StoreName } from "../stores/types.ts";
import { workloadNames } from "../worker/workloads.ts";
import { count, ratio, table } from "./format.ts";
import { storeLabel } from "./labels.ts";
import type { MemoryRow } from "./tables.ts";

/** Our two paths: PgSessionStore on its own pg pool, and given the app's PrismaClient. */
export const ourPaths = ["ours", "ours-prisma"] as const;
export type OurPath = (typeof ourPaths)[number];

export interface GoalResult {
  /** NaN when not measured (its section not run, or a store it compares with not selected). */
  measured: number;
  /** Where the worst case of an "every …" goal was. */
  where?: string;
  met: boolean;
}

export interface Goal {
  goal: string;
  unit: "×" | "MB";
  /** `≥`: measured must be at least target; `≤`: at most. */
  comparison: "≥" | "≤";
  target: number;
  /** One result per path the goal applies to. */
  results: Partial<Record<OurPath, GoalResult>>;
}

export interface GoalInputs {
  throughput: Cells | undefined;
  locked: Cells | undefined;
  http: HttpResult | undefined;
  /** Memory after the Store API workloads (undefined when they did not run). */
  memory: readonly MemoryRow[] | undefined;
}

const cps: StoreName = "connect-pg-simple";

/** A cell's metric divided by another store's in the same cell (NaN when either is missing). */
function cellRatio(
  cells: Cells | undefined,
  workload: string,
  concurrency: number,
  store: StoreName,
  reference: StoreName,
  metric: "opsPerSec" | "clientCpuUsPerOp" = "opsPerSec",
): number {
  const mine = cells?.get(store, workload, concurrency)?.median[metric] ?? Number.NaN;
  return mine / (cells?.get(reference, workload, concurrency)?.median[metric] ?? Number.NaN);
}

interface Candidate {
  where: string;
  value: number;
}

/** The worst of several ratios (lowest for `≥` goals, highest for `≤`), or NaN when none was measured. */
function worst(candidates: readonly Candidate[], comparison: Goal["comparison"]): { measured: number; where?: string } {
  const measured = candidates.filter((candidate) => Number.isFinite(candidate.value));
  if (measured.length === 0) return { measured: Number.NaN };
  const pick = measured.reduce((a, b) => ((comparison === "≥" ? b.value < a.value : b.value > a.value) ? b : a));
  return measured.length === 1 ? { measured: pick.value } : { measured: pick.value, where: pick.where };
}

function result(measured: number, comparison: Goal["comparison"], target: number, where?: string): GoalResult {
  const met = comparison === "≥" ? measured >= target : measured <= target;
  return where === undefined ? { measured, met } : { measured, where, met };
}

function perPath(
  goal: string,
  comparison: Goal["comparison"],
  target: number,
  measure: (path: OurPath) => { measured: number; where?: string },
  unit: Goal["unit"] = "×",
): Goal {
  const results: Goal["results"] = {};
  for (const path of ourPaths) {
    const { measured, where } = measure(path);
    results[path] = result(measured, comparison, target, where);
  }
  return { goal, unit, comparison, target, results };
}

function oneOf(cells: Cells | undefined, workload: string, concurrency: number, path: OurPath): { measured: number } {
  return { measured: cellRatio(cells, workload, concurrency, path, cps) };
}

/** Every cell of `cells` (for `workloads`), ours-prisma against ours. */
function prismaAgainstOurs(cells: Cells | undefined, label: (workload: string, concurrency: number) => string): Goal["results"] {
  const candidates = (cells?.all() ?? [])
    .filter((cell) => cell.store === "ours-prisma")
    .map((cell) => ({
      where: label(cell.workload, cell.concurrency),
      value: cellRatio(cells, cell.workload, cell.concurrency, "ours-prisma", "ours"),
    }));
  const { measured, where } = worst(candidates, "≥");
  return { "ours-prisma": result(measured, "≥", 0.8, where) };
}

/** The performance targets set for ours, checked against the medians of this run (reported, never asserted). */
export function evaluateGoals({ throughput, locked, http, memory }: GoalInputs): Goal[] {
  const goals: Goal[] = [
    perPath("get ≥ 2.5× connect-pg-simple, c = 16", "≥", 2.5, (path) => oneOf(throughput, "get", 16, path)),
    perPath("get ≥ 3× connect-pg-simple, c = 64", "≥", 3, (path) => oneOf(throughput, "get", 64, path)),
    ...(["set", "touch", "destroy"] as const).map((workload) =>
      perPath(`${workload} ≥ 1.5× connect-pg-simple, c = 16`, "≥", 1.5, (path) => oneOf(throughput, workload, 16, path)),
    ),
    perPath("realistic mix ≥ 2× connect-pg-simple, c = 16", "≥", 2, (path) => oneOf(throughput, "mix", 16, path)),
    perPath("every Store API workload ≥ 0.9× connect-pg-simple at c = 1", "≥", 0.9, (path) =>
      worst(
        workloadNames.map((workload) => ({ where: workload, value: cellRatio(throughput, workload, 1, path, cps) })),
        "≥",
      ),
    ),
    {
      goal: "PrismaClient path ≥ 0.8× the pg-pool path, every Store API workload and c",
      unit: "×",
      comparison: "≥",
      target: 0.8,
      results: prismaAgainstOurs(throughput, (workload, c) => `${workload} c=${c}`),
    },
    {
      goal: "PrismaClient path ≥ 0.8× the pg-pool path, every locked-unit cell",
      unit: "×",
      comparison: "≥",
      target: 0.8,
      results: prismaAgainstOurs(locked, (workload, c) => `${workload.replace("locked-", "")} c=${c}`),
    },
    {
      goal: "PrismaClient path ≥ 0.8× the pg-pool path, every HTTP route",
      unit: "×",
      comparison: "≥",
      target: 0.8,
      results: prismaAgainstOurs(http?.cells, (workload) => workload),
    },
    ...frameworks.flatMap((framework) =>
      routes.map((route) =>
        perPath(`HTTP ${framework} ${route} route ≥ 1.2× connect-pg-simple`, "≥", 1.2, (path) =>
          oneOf(http?.cells, httpWorkload(framework, route), http?.connections ?? Number.NaN, path),
        ),
      ),
    ),
    perPath("client CPU µs/op ≤ connect-pg-simple's, every Store API workload at c = 16", "≤", 1, (path) =>
      worst(
        workloadNames.map((workload) => ({ where: workload, value: cellRatio(throughput, workload, 16, path, cps, "clientCpuUsPerOp") })),
        "≤",
      ),
    ),
  ];
  const reference = memory?.find((row) => row.store === cps);
  goals.push(
    perPath(
      "peak RSS after the Store API workloads ≤ connect-pg-simple's + 30 MB",
      "≤",
      (reference?.afterWorkloadsMB ?? Number.NaN) + 30,
      (path) => ({
        measured: reference === undefined ? Number.NaN : (memory?.find((row) => row.store === path)?.afterWorkloadsMB ?? Number.NaN),
      }),
      "MB",
    ),
  );
  for (const [kind, label] of [
    ["locked-distinct", "distinct ids"],
    ["locked-hot", "one hot id"],
  ] as const) {
    goals.push(
      perPath(`locked unit (open), ${label}, ≥ 0.9× raw pg, every c`, "≥", 0.9, (path) =>
        worst(
          (locked?.all() ?? [])
            .filter((cell) => cell.store === path && cell.workload === kind)
            .map((cell) => ({ where: `c=${cell.concurrency}`, value: cellRatio(locked, kind, cell.concurrency, path, "raw-pg") })),
          "≥",
        ),
      ),
    );
  }
  return goals;
}

function measuredText(goal: Goal, value: GoalResult | undefined): string {
  if (value === undefined) return "n/a";
  if (!Number.isFinite(value.measured)) return "not measured";
  const text = goal.unit === "×" ? ratio(value.measured) : `${count(value.measured)} MB`;
  return value.where === undefined ? text : `${text} (${value.where})`;
}

function metText(value: GoalResult | undefined): string {
  if (value === undefined || !Number.isFinite(value.measured)) return "–";
  return value.met ? "met" : "**not met**";
}

export function goalsTable(goals: readonly Goal[]): string {
  return table(
    ["goal (ratios to the named store, same run)", "target", ...ourPaths.flatMap((path) => [storeLabel(path), "met"])],
    goals.map((goal) => [
      goal.goal,
      goal.unit === "×" ? `${goal.comparison} ${goal.target}×` : Number.isFinite(goal.target) ? `≤ ${count(goal.target)} MB` : "–",
      ...ourPaths.flatMap((path) => [measuredText(goal, goal.results[path]), metText(goal.results[path])]),
    ]),
  );
}
