import { join } from "node:path";
import type { BreakdownRow } from "../breakdown/main.ts";
import { median } from "../report/stats.ts";
import { WorkerHandle } from "../worker/rpc.ts";
import type { RunContext } from "./context.ts";

/** The table the breakdown worker uses (created with the others, from the migrations). */
export const breakdownTable = "sessions_breakdown";

export interface BreakdownLine {
  name: string;
  adds: string;
  concurrency: number;
  opsPerSec: number;
  clientCpuUsPerOp: number;
  statementsPerOp: number;
}

/** Where ours spends client CPU: the same work through each layer, medians over rounds. */
export async function breakdownSection(context: RunContext): Promise<BreakdownLine[]> {
  const { config, database } = context;
  const handle = new WorkerHandle("breakdown", join(import.meta.dirname, "..", "breakdown", "main.ts"));
  try {
    const rounds = await handle.call<BreakdownRow[][]>("run", {
      url: database.url,
      database: database.name,
      table: breakdownTable,
      payloadBytes: config.payloadBytes,
      durationMs: Math.min(config.segmentMs, 400),
      warmupMs: config.warmupMs,
      repeats: config.repeats,
    });
    const lines = rounds[0]!.map((row, i) => ({
      name: row.name,
      adds: row.adds,
      concurrency: row.concurrency,
      opsPerSec: median(rounds.map((r) => r[i]!.result.opsPerSec)),
      clientCpuUsPerOp: median(rounds.map((r) => r[i]!.result.clientCpuUsPerOp)),
      statementsPerOp: median(rounds.map((r) => r[i]!.result.statementsPerOp)),
    }));
    context.log("cost breakdown measured");
    return lines;
  } finally {
    await handle.stop();
  }
}
