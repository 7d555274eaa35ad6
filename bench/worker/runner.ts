import { ServerCpu } from "./server-cpu.ts";
import type { StatementCounter } from "./statement-counter.ts";

/** One operation; `loop` is the index of the concurrent caller. Resolving `false` means "nothing left". */
export type Op = (loop: number) => Promise<boolean | void>;

export interface SegmentOptions {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /** Stops early after this many measured operations (keeps MemoryStore from filling the heap). */
  maxOps?: number;
}

/** What one measured segment produced (latencies in ms, CPU in µs per operation). */
export interface SegmentResult {
  ops: number;
  elapsedMs: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  statementsPerOp: number;
  clientCpuUsPerOp: number;
  serverCpuUsPerOp: number | undefined;
  errors: number;
  firstError?: string;
  statements: Array<{ statement: string; count: number }>;
}

export interface Probes {
  counter: StatementCounter;
  serverCpu: ServerCpu;
}

interface Tally {
  latencies: number[];
  errors: number;
  firstError?: string;
}

async function drive(op: Op, concurrency: number, deadline: number, maxOps: number, tally: Tally): Promise<void> {
  let exhausted = false;
  const loop = async (index: number): Promise<void> => {
    while (!exhausted && performance.now() < deadline && tally.latencies.length < maxOps) {
      const started = performance.now();
      try {
        if ((await op(index)) === false) {
          exhausted = true;
          return;
        }
        tally.latencies.push(performance.now() - started);
      } catch (error) {
        tally.errors++;
        tally.firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        if (tally.errors > 1000) exhausted = true;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => loop(index)));
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/**
 * Runs `op` from `concurrency` callers: first unmeasured for `warmupMs`, then measured for `durationMs`
 * (or until `op` says it is out of work). Client CPU is this process's (one store per process).
 */
export async function runSegment(op: Op, options: SegmentOptions, probes: Probes): Promise<SegmentResult> {
  const maxOps = options.maxOps ?? Number.POSITIVE_INFINITY;
  await drive(op, options.concurrency, performance.now() + options.warmupMs, maxOps / 5, { latencies: [], errors: 0 });
  const serverBefore = probes.serverCpu.sample();
  probes.counter.reset();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const tally: Tally = { latencies: [], errors: 0 };
  await drive(op, options.concurrency, started + options.durationMs, maxOps, tally);
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const statements = probes.counter.total;
  const breakdown = probes.counter.breakdown();
  const serverMs = ServerCpu.deltaMs(serverBefore, probes.serverCpu.sample());
  const sorted = Float64Array.from(tally.latencies).sort();
  const ops = sorted.length;
  const result: SegmentResult = {
    ops,
    elapsedMs,
    opsPerSec: ops / (elapsedMs / 1000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    statementsPerOp: ops > 0 ? statements / ops : Number.NaN,
    clientCpuUsPerOp: ops > 0 ? (cpu.user + cpu.system) / ops : Number.NaN,
    serverCpuUsPerOp: serverMs === undefined || ops === 0 ? undefined : (serverMs * 1000) / ops,
    errors: tally.errors,
    statements: breakdown,
  };
  if (tally.firstError !== undefined) result.firstError = tally.firstError;
  return result;
}
