// One benchmark worker: one store in its own process, so client CPU, statement counts and peak RSS are
// that store's alone. Driven by bench/run.ts over IPC (bench/worker/rpc.ts).
import type { StoreName } from "../stores/types.ts";
import type { LockedState } from "./locked.ts";
import type { LostUpdateResult } from "./lost-update.ts";
import type { PayloadSession } from "./payload.ts";
import type { WorkloadName, WorkloadState } from "./workloads.ts";
import { StatementCounter } from "./statement-counter.ts";

// Before any store loads pg: every statement of this process is counted from here on.
const counter = new StatementCounter();
counter.install();

const { storeDefinition } = await import("../stores/index.ts");
const { IdQueue } = await import("./id-queue.ts");
const { seedLocked, lockedOp } = await import("./locked.ts");
const { lostUpdate } = await import("./lost-update.ts");
const { forEachConcurrently } = await import("./parallel.ts");
const { payloadOp, seedPayload } = await import("./payload.ts");
const { serve } = await import("./rpc.ts");
const { percentile, runSegment } = await import("./runner.ts");
const { ServerCpu } = await import("./server-cpu.ts");
const { makeSession, newSessionId } = await import("./sessions.ts");
const call = await import("./store-calls.ts");
const { workloadOp } = await import("./workloads.ts");

interface InitArgs {
  store: StoreName;
  url: string;
  database: string;
  poolMax: number;
  poolSize: number;
  activeSessions: number;
  payloadBytes: number;
}

export interface SegmentArgs {
  workload: WorkloadName | "locked-distinct" | "locked-hot" | "payload-get" | "payload-set";
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  maxOps?: number;
  seed?: number;
  bytes?: number;
}

/** The users section's segments: one call per user, users `u<from>`..`u<to>` in order. */
export interface UserSegmentArgs {
  operation: "list" | "count" | "revoke";
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  maxOps: number;
  from: number;
  to: number;
  /** The first user (from..to); the calls go on from there. */
  start: number;
  /** Page size of `list`. */
  limit: number;
  /** Start over at `from` when past `to` (list and count); without it the segment ends there (revoke: users are not reused). */
  wrap: boolean;
}

let state: WorkloadState | undefined;
let serverCpu: InstanceType<typeof ServerCpu> | undefined;
let locked: LockedState | undefined;
let openedRssMB = Number.NaN;
const payloads = new Map<number, PayloadSession>();

function current(): WorkloadState {
  if (state === undefined) throw new Error("init first");
  return state;
}

serve({
  async init(args: InitArgs) {
    const bench = await storeDefinition(args.store).open({ url: args.url, poolMax: args.poolMax });
    // The store's libraries are loaded and its client built; nothing is stored, the bench's sessions not built yet.
    openedRssMB = process.memoryUsage().rss / 1024 / 1024;
    const ids = Array.from({ length: args.poolSize }, () => newSessionId());
    const sessions = ids.map((_, i) => makeSession(i, args.payloadBytes));
    state = { bench, ids, active: args.activeSessions, sessions, created: new IdQueue(), payloadBytes: args.payloadBytes, misses: 0 };
    serverCpu = new ServerCpu(args.database);
    return { hasLocked: bench.locked !== undefined, hasPrune: bench.prune !== undefined };
  },

  async seed({ concurrency }: { concurrency: number }) {
    const s = current();
    const started = performance.now();
    await forEachConcurrently(s.ids.length, concurrency, (i) => call.set(s.bench.store, s.ids[i]!, s.sessions[i]!));
    return performance.now() - started;
  },

  async segment(args: SegmentArgs) {
    const s = current();
    let op;
    if (args.workload === "locked-distinct" || args.workload === "locked-hot") {
      if (locked === undefined) throw new Error("lockedSeed first");
      op = lockedOp(locked, args.workload === "locked-hot");
    } else if (args.workload === "payload-get" || args.workload === "payload-set") {
      const target = payloads.get(args.bytes ?? -1);
      if (target === undefined) throw new Error(`payloadSeed ${args.bytes} first`);
      op = payloadOp(s.bench.store, target, args.workload === "payload-get" ? "get" : "set");
    } else {
      op = workloadOp(args.workload, s, args.seed ?? 1);
    }
    s.misses = 0;
    const options = {
      concurrency: args.concurrency,
      durationMs: args.durationMs,
      warmupMs: args.warmupMs,
      ...(args.maxOps === undefined ? {} : { maxOps: args.maxOps }),
    };
    const result = await runSegment(op, options, { counter, serverCpu: serverCpu! });
    return { ...result, misses: s.misses };
  },

  /** A user's sessions: list / count / revoke all, each call on the next user (warm-up included). */
  async userSegment(args: UserSegmentArgs) {
    const s = current();
    const users = s.bench.users;
    if (users === undefined) throw new Error("this store has no per-user API");
    let next = args.start;
    let misses = 0;
    const op = async (): Promise<boolean> => {
      if (next > args.to) {
        if (!args.wrap) return false;
        next = args.from;
      }
      const user = `u${next++}`;
      const found =
        args.operation === "list"
          ? await users.list(user, args.limit)
          : args.operation === "count"
            ? await users.count(user)
            : await users.revokeAll(user);
      if (found === 0) misses++;
      return true;
    };
    const options = { concurrency: args.concurrency, durationMs: args.durationMs, warmupMs: args.warmupMs, maxOps: args.maxOps };
    const result = await runSegment(op, options, { counter, serverCpu: serverCpu! });
    return { ...result, misses, lastUser: next - 1 };
  },

  /** Creates sessions (unmeasured) until `destroy` has `count` ids to consume. */
  async topUp({ count, concurrency }: { count: number; concurrency: number }) {
    const s = current();
    const missing = Math.max(0, count - s.created.size);
    await forEachConcurrently(missing, concurrency, async (i) => {
      const id = newSessionId();
      await call.set(s.bench.store, id, s.sessions[i % s.sessions.length]!);
      s.created.push(id);
    });
    return missing;
  },

  async lockedSeed({ callers, bytes }: { callers: number; bytes: number }) {
    const units = current().bench.locked;
    if (units === undefined) throw new Error("this store has no locked unit");
    locked = await seedLocked(units, callers, bytes);
    return locked.distinct.length;
  },

  async lostUpdate({ requests, via }: { requests: number; via: LostUpdateResult["via"] }) {
    return lostUpdate(current().bench, requests, via);
  },

  async payloadSeed({ bytes }: { bytes: number }) {
    payloads.set(bytes, await seedPayload(current().bench.store, bytes));
    return bytes;
  },

  /** The store's prune, timed as a whole and per DELETE statement (its batches). */
  async prune() {
    const bench = current().bench;
    if (bench.prune === undefined) throw new Error("this store has no prune");
    counter.reset();
    counter.startTiming(/^\s*DELETE/i);
    const started = performance.now();
    await bench.prune();
    const totalMs = performance.now() - started;
    const batches = counter.stopTiming();
    const sorted = Float64Array.from(batches).sort();
    return {
      totalMs,
      batches: batches.length,
      medianBatchMs: percentile(sorted, 0.5),
      p99BatchMs: percentile(sorted, 0.99),
      longestBatchMs: Math.max(0, ...batches),
      lastBatchesMs: batches.slice(-3),
      statements: counter.total,
    };
  },

  /** Peak and current RSS; with `collect`, also the live heap after a full GC (workers run with --expose-gc). */
  async memory({ collect }: { collect?: boolean }) {
    const peakRssMB = process.resourceUsage().maxRSS / 1024;
    const heapTotalMB = process.memoryUsage().heapTotal / 1024 / 1024;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (collect === true && gc !== undefined) gc();
    const liveHeapMB = collect === true && gc !== undefined ? process.memoryUsage().heapUsed / 1024 / 1024 : Number.NaN;
    return { peakRssMB, rssMB: process.memoryUsage().rss / 1024 / 1024, openedRssMB, heapTotalMB, liveHeapMB };
  },

  async close() {
    await state?.bench.close();
    return true;
  },
});
