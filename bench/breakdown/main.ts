// The cost breakdown worker: the same SELECT (and the same locked unit) through each layer between the
// driver and our adapter, one after another in this process, to show where client CPU goes.
import type { SegmentResult } from "../worker/runner.ts";
import { StatementCounter } from "../worker/statement-counter.ts";

const counter = new StatementCounter();
counter.install();

const { openLayers } = await import("./layers.ts");
const { serve } = await import("../worker/rpc.ts");
const { runSegment } = await import("../worker/runner.ts");
const { ServerCpu } = await import("../worker/server-cpu.ts");

export interface BreakdownRow {
  name: string;
  adds: string;
  concurrency: number;
  result: SegmentResult;
}

interface RunArgs {
  url: string;
  database: string;
  table: string;
  payloadBytes: number;
  durationMs: number;
  warmupMs: number;
  repeats: number;
}

serve({
  async run(args: RunArgs): Promise<BreakdownRow[][]> {
    const { layers, close } = await openLayers(args.url, args.table, args.payloadBytes);
    const probes = { counter, serverCpu: new ServerCpu(args.database) };
    const rounds: BreakdownRow[][] = [];
    try {
      for (let round = 0; round < args.repeats; round++) {
        // Layers in a rotated order each round, so a burst of load elsewhere does not hit one layer only.
        const rows: BreakdownRow[] = new Array<BreakdownRow>(layers.length);
        for (let k = 0; k < layers.length; k++) {
          const index = (k + round * 5) % layers.length;
          const layer = layers[index]!;
          const op = async (loop: number): Promise<void> => void (await layer.call(loop));
          const result = await runSegment(
            op,
            { concurrency: layer.concurrency, durationMs: args.durationMs, warmupMs: args.warmupMs },
            probes,
          );
          rows[index] = { name: layer.name, adds: layer.adds, concurrency: layer.concurrency, result };
        }
        rounds.push(rows);
      }
    } finally {
      await close();
    }
    return rounds;
  },
  async close() {
    return true;
  },
});
