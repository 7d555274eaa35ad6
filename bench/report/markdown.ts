import type { BenchConfig } from "../config.ts";
import type { BreakdownLine } from "../sections/breakdown.ts";
import type { HttpResult } from "../sections/http.ts";
import type { LostUpdateRow } from "../sections/lost-update.ts";
import type { ScaleResult } from "../sections/scale.ts";
import type { UsersResult } from "../sections/users.ts";
import type { Cells } from "../sections/summary.ts";
import { workloadNames } from "../worker/workloads.ts";
import { count, decimal } from "./format.ts";
import { goalsTable, type Goal } from "./goals.ts";
import { storeLabel } from "./labels.ts";
import {
  breakdownTable,
  httpTables,
  lockedTable,
  lostUpdateTable,
  memoryTable,
  scaleTables,
  throughputTables,
  usersTable,
  type MemoryRow,
} from "./tables.ts";

export interface RunReport {
  config: BenchConfig;
  environment: Record<string, string | number>;
  throughput: Cells | undefined;
  memory: MemoryRow[];
  locked: Cells | undefined;
  lostUpdate: LostUpdateRow[] | undefined;
  scale: ScaleResult | undefined;
  users: UsersResult | undefined;
  http: HttpResult | undefined;
  breakdown: BreakdownLine[] | undefined;
  goals: Goal[] | undefined;
}

/** The whole report as markdown. */
export function markdownReport(report: RunReport): string {
  const { config } = report;
  const env = Object.entries(report.environment)
    .map(([key, value]) => `${key}: ${value}`)
    .join(" · ");
  return [
    `## prisma-pg-session benchmark${config.quick ? " (--quick: smoke run, numbers not meaningful)" : ""}`,
    `${env}\n\nMedians of ${config.repeats} interleaved round(s) of ${config.segmentMs} ms per segment (after ${config.warmupMs} ms warm-up); ` +
      `${config.poolSize} sessions of ~${config.payloadBytes} B (mix and fastify: requests of ${config.activeSessions} active users among them); pool of ${config.poolMax} connections per store; each store in its own process ` +
      "(client CPU = that process's user+sys; server CPU = its PostgreSQL backends, from /proc). Timings are noisy on a shared 2-core box.",
    report.goals && `### Goals (targets for ours; reported, not asserted)\n\n${goalsTable(report.goals)}`,
    report.throughput &&
      `### Express-session Store API\n\n${throughputTables(report.throughput, config.stores, workloadNames, config.concurrencies)}`,
    `### Memory (MB; every worker also holds the bench's own ${config.poolSize} sessions)\n\n${memoryTable(report.memory)}`,
    report.locked && `### Locked unit of work (read-modify-write under FOR UPDATE)\n\n${lockedTable(report.locked)}`,
    report.lostUpdate &&
      `### Lost updates (${config.lostUpdate.requests} concurrent read-modify-write requests on one session)\n\n${lostUpdateTable(report.lostUpdate)}`,
    report.scale && `### Scale\n\n${scaleTables(report.scale)}`,
    report.users && usersSection(report.users, config),
    report.http !== undefined &&
      report.http.cells.all().length > 0 &&
      `### HTTP: real apps over keep-alive connections\n\n` +
        `Each store behind its own app process (one per framework and store), loaded by autocannon from the orchestrator over ${report.http.connections} ` +
        `keep-alive connections for ${config.http.segmentMs} ms per segment (after ${config.http.warmupMs} ms of unmeasured load), medians of ${config.repeats} interleaved round(s). ` +
        `Each connection is one logged-in user with its own session cookie (sessions of ~${config.payloadBytes} B made by \`POST /login\`). ` +
        "`read` (`GET /read`) reads the session without changing it: express-session then calls the store's `touch`, @fastify/session (`rolling`) saves the unchanged session. " +
        "`write` (`POST /write`) increments a counter in the session on every request. App CPU and statements are the app process's, per request it handled; " +
        "server CPU is its PostgreSQL backends'.\n\n" +
        httpTables(report.http, config.stores),
    report.breakdown && `### Where our client CPU goes (same statement through each layer)\n\n${breakdownTable(report.breakdown)}`,
  ]
    .filter((part): part is string => typeof part === "string")
    .join("\n\n");
}

function usersSection(users: UsersResult, config: BenchConfig): string {
  const counts = users.rowCounts.map((row) => `${storeLabel(row.store)} ${count(row.before)} → ${count(row.after)}`).join(", ");
  return (
    `### A user's sessions (${users.rows >= 100_000 ? "≥ 100,000" : count(users.rows)} rows)\n\n` +
    `Each store's table filled with ${count(users.rows)} live ~1 KB sessions of ${count(users.users)} users (${decimal(users.rows / users.users, 1)} each; one INSERT … SELECT, then VACUUM ANALYZE), ` +
    `besides the bench's own sessions. Every call is on a different user; list and count for ${config.segmentMs} ms per segment (after ${config.warmupMs} ms warm-up), ` +
    `revoke on users used once (deleting their rows); medians of ${config.repeats} interleaved round(s). ` +
    `Rows before the list → after the revokes: ${counts}.\n\n` +
    usersTable(users, config.stores)
  );
}
