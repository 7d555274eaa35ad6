import { frameworks, frameworkTitles, routes } from "../http/apps.ts";
import type { BreakdownLine } from "../sections/breakdown.ts";
import { httpWorkload, type HttpResult } from "../sections/http.ts";
import type { LostUpdateRow } from "../sections/lost-update.ts";
import type { PruneRow, ScaleResult } from "../sections/scale.ts";
import type { Cell, Cells } from "../sections/summary.ts";
import type { StoreName } from "../stores/types.ts";
import { userOperations, type UsersResult } from "../sections/users.ts";
import { count, decimal, ms, ratio, table } from "./format.ts";
import { storeLabel, workloadTitles } from "./labels.ts";

const measureHeader = ["ops/s", "p50 ms", "p99 ms", "stmts/op", "client CPU µs/op", "server CPU µs/op"];

function measures(cell: Cell): string[] {
  const m = cell.median;
  const errors = m.errors > 0 || m.misses > 0 ? ` (${count(m.errors)} err, ${count(m.misses)} miss)` : "";
  return [
    count(m.opsPerSec) + errors,
    ms(m.p50Ms),
    ms(m.p99Ms),
    decimal(m.statementsPerOp),
    count(m.clientCpuUsPerOp),
    count(m.serverCpuUsPerOp),
  ];
}

function versus(cells: Cells, cell: Cell, reference: StoreName): string {
  return ratio(cell.median.opsPerSec / (cells.get(reference, cell.workload, cell.concurrency)?.median.opsPerSec ?? Number.NaN));
}

/** The Store API workloads: one table per workload; rows by concurrency, then store (in `stores` order). */
export function throughputTables(
  cells: Cells,
  stores: readonly StoreName[],
  workloads: readonly string[],
  concurrencies: readonly number[],
): string {
  return workloads
    .map((workload) => {
      const rows: string[][] = [];
      for (const concurrency of concurrencies) {
        for (const store of stores) {
          const cell = cells.get(store, workload, concurrency);
          if (cell === undefined) continue;
          rows.push([
            String(concurrency),
            storeLabel(store),
            ...measures(cell),
            versus(cells, cell, "raw-pg"),
            versus(cells, cell, "connect-pg-simple"),
          ]);
        }
      }
      return `#### ${workloadTitles[workload] ?? workload}\n\n${table(["c", "store", ...measureHeader, "× raw pg", "× connect-pg-simple"], rows)}`;
    })
    .join("\n\n");
}

/** The HTTP apps: one table per framework; rows by route, then store; ratios to connect-pg-simple. */
export function httpTables(http: HttpResult, stores: readonly StoreName[]): string {
  const header = ["route", "store", "req/s", "p50 ms", "p99 ms", "stmts/req", "app CPU µs/req", "server CPU µs/req", "× connect-pg-simple"];
  return frameworks
    .map((framework) => {
      const rows: string[][] = [];
      for (const route of routes) {
        for (const store of stores) {
          const cell = http.cells.get(store, httpWorkload(framework, route), http.connections);
          if (cell === undefined) continue;
          rows.push([route, storeLabel(store), ...measures(cell), versus(http.cells, cell, "connect-pg-simple")]);
        }
      }
      if (rows.length === 0) return undefined;
      const rss = http.peakRss
        .filter((row) => row.framework === framework)
        .map((row) => `${storeLabel(row.store)} ${count(row.peakRssMB)}`)
        .join(", ");
      return `#### ${frameworkTitles[framework]}\n\n${table(header, rows)}\n\nApp peak RSS (MB): ${rss}.`;
    })
    .filter((part): part is string => part !== undefined)
    .join("\n\n");
}

export interface MemoryRow {
  store: StoreName;
  /** RSS once the store's libraries were loaded and its client built, before any session (and before the bench's own 10 k sessions). */
  openedMB: number;
  /** V8 heap reserved when the Store API workloads were done (high-water of garbage included). */
  heapTotalMB: number;
  /** V8 heap still in use after a full GC then (the store's live data: caches, clients). */
  liveHeapMB: number;
  /** Peak RSS of the worker when the Store API workloads were done. */
  afterWorkloadsMB: number;
  /** Peak RSS over the worker's whole life (including the 1 MB payloads of the scale section). */
  wholeRunMB: number;
}

export function memoryTable(rows: readonly MemoryRow[]): string {
  const cps = rows.find((row) => row.store === "connect-pg-simple");
  return table(
    [
      "store",
      "RSS, store opened, empty",
      "peak RSS after Store API workloads",
      "vs connect-pg-simple",
      "V8 heap reserved then",
      "live heap after GC then",
      "peak RSS whole run",
    ],
    rows.map((row) => [
      storeLabel(row.store),
      count(row.openedMB),
      count(row.afterWorkloadsMB),
      cps === undefined
        ? "–"
        : `${row.afterWorkloadsMB >= cps.afterWorkloadsMB ? "+" : ""}${count(row.afterWorkloadsMB - cps.afterWorkloadsMB)}`,
      count(row.heapTotalMB),
      count(row.liveHeapMB),
      count(row.wholeRunMB),
    ]),
  );
}

/** Locked units, ours against raw pg. */
export function lockedTable(cells: Cells): string {
  const rows = cells
    .all()
    .map((cell) => [
      String(cell.concurrency),
      cell.workload === "locked-hot" ? "one hot id" : "distinct ids",
      storeLabel(cell.store),
      ...measures(cell),
      versus(cells, cell, "raw-pg"),
    ]);
  rows.sort((a, b) => Number(a[0]) - Number(b[0]) || a[1]!.localeCompare(b[1]!) || a[2]!.localeCompare(b[2]!));
  return table(["c", "ids", "store", "units/s", ...measureHeader.slice(1).map((h) => h.replace("/op", "/unit")), "× raw pg"], rows);
}

/** Lost updates: final counters after concurrent read-modify-write requests. */
export function lostUpdateTable(rows: readonly LostUpdateRow[]): string {
  return table(
    ["store", "API", "final counter", "requests", "failed", "ms"],
    rows.map((row) => [
      storeLabel(row.store),
      row.via,
      String(row.finalCounter ?? "–"),
      String(row.requests),
      String(row.failed),
      count(row.ms),
    ]),
  );
}

function scaleCellTable(cells: Cells, title: string): string {
  const rows = cells
    .all()
    .map((cell) => [
      cell.workload,
      storeLabel(cell.store),
      count(cell.median.opsPerSec),
      ms(cell.median.p50Ms),
      ms(cell.median.p99Ms),
      decimal(cell.median.statementsPerOp),
      count(cell.median.clientCpuUsPerOp),
    ]);
  return `#### ${title}\n\n${table(["operation", "store", "ops/s", "p50 ms", "p99 ms", "stmts/op", "client CPU µs/op"], rows)}`;
}

function pruneTable(rows: readonly PruneRow[]): string {
  return table(
    ["store", "rows before → after", "total s", "DELETE statements", "median / p99 / longest DELETE ms", "last 3 DELETEs ms"],
    rows.map((row) => [
      storeLabel(row.store),
      `${count(row.rowsBefore)} → ${count(row.rowsAfter)}`,
      decimal(row.totalMs / 1000, 1),
      count(row.batches),
      `${ms(row.medianBatchMs)} / ${ms(row.p99BatchMs)} / ${ms(row.longestBatchMs)}`,
      row.lastBatchesMs.map((value) => ms(value)).join(", "),
    ]),
  );
}

/** Scale: payload sizes (c = 1), table size (c = 16), pruning. */
export function scaleTables(scale: ScaleResult): string {
  const counts = scale.rowCounts.map((row) => `${row.label}: ${storeLabel(row.store)} table had ${count(row.rows)} rows`).join("; ");
  return [
    scaleCellTable(scale.payload, "Payload size (c = 1; set changes the data every time)"),
    `${scaleCellTable(scale.rows, "Table size (c = 16)")}\n\n(${counts}.)`,
    `#### Prune of expired rows\n\n${pruneTable(scale.prune)}`,
  ].join("\n\n");
}

/** The cost breakdown: client CPU per call of each layer. */
export function breakdownTable(lines: readonly BreakdownLine[]): string {
  return table(
    ["layer", "c", "client CPU µs/op", "ops/s", "stmts/op", "what it adds"],
    lines.map((line) => [
      line.name,
      String(line.concurrency),
      count(line.clientCpuUsPerOp),
      count(line.opsPerSec),
      decimal(line.statementsPerOp),
      line.adds,
    ]),
  );
}

const userOperationTitles: Record<string, (limit: number) => string> = {
  list: (limit) => `\`userSessions(user, { limit: ${limit} })\``,
  count: () => "`countUserSessions(user)`",
  revoke: () => "`revokeUserSessions(user)`",
};

/** A user's sessions: rows by operation, then concurrency, then store. */
export function usersTable(users: UsersResult, stores: readonly StoreName[]): string {
  const rows: string[][] = [];
  const concurrencies = [...new Set(users.cells.all().map((cell) => cell.concurrency))].sort((a, b) => a - b);
  for (const operation of userOperations) {
    for (const concurrency of concurrencies) {
      for (const store of stores) {
        const cell = users.cells.get(store, operation, concurrency);
        if (cell === undefined) continue;
        const m = cell.median;
        const errors = m.errors > 0 || m.misses > 0 ? ` (${count(m.errors)} err, ${count(m.misses)} empty)` : "";
        rows.push([
          storeLabel(store),
          userOperationTitles[operation]!(users.listLimit),
          String(concurrency),
          count(m.opsPerSec) + errors,
          ms(m.p50Ms),
          ms(m.p99Ms),
          decimal(m.statementsPerOp),
          count(m.clientCpuUsPerOp),
          count(m.serverCpuUsPerOp),
          count(m.ops),
        ]);
      }
    }
  }
  return table(
    ["store", "operation", "c", "ops/s", "p50 ms", "p99 ms", "stmts/op", "client CPU µs/op", "server CPU µs/op", "calls (median)"],
    rows,
  );
}
