// One HTTP app (express or fastify) on one store, in its own process, so the app's CPU, statements and
// RSS are that store's alone. Driven by bench/sections/http.ts over IPC (bench/worker/rpc.ts); the load
// (autocannon) comes from the orchestrator.
import type { StoreName } from "../stores/types.ts";
import { StatementCounter } from "../worker/statement-counter.ts";
import type { Framework, RunningApp } from "./apps.ts";

// Before any store loads pg: every statement of this process is counted from here on.
const counter = new StatementCounter();
counter.install();

const { storeDefinition } = await import("../stores/index.ts");
const { serve } = await import("../worker/rpc.ts");
const { ServerCpu } = await import("../worker/server-cpu.ts");
const { startApp } = await import("./apps.ts");
type BenchStore = import("../stores/types.ts").BenchStore;

export interface AppInitArgs {
  store: StoreName;
  framework: Framework;
  url: string;
  database: string;
  poolMax: number;
  payloadBytes: number;
}

/** What the app did between `probeStart` and `probeStop`. */
export interface AppProbe {
  /** Requests the measured routes handled. */
  requests: number;
  /** Distinct session ids they came with (one per load connection when every connection kept its cookie). */
  sessions: number;
  clientCpuUs: number;
  statements: number;
  serverMs: number | undefined;
  breakdown: Array<{ statement: string; count: number }>;
}

let bench: BenchStore | undefined;
let app: RunningApp | undefined;
let serverCpu: InstanceType<typeof ServerCpu> | undefined;
let probe: { cpu: NodeJS.CpuUsage; server: Map<number, number> | undefined } | undefined;
const tally = { started: 0, finished: 0, handled: 0, sessions: new Set<string>() };

/**
 * Waits until every request that reached the app has finished (session saved): autocannon drops its
 * connections at the end of a load, but the app still completes what it had received.
 */
async function drained(timeoutMs = 5000): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (tally.started > tally.finished) {
    if (performance.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return true;
}

// The orchestrator is gone (ended or interrupted): do not linger with a listening server and a pool.
process.once("disconnect", () => {
  setTimeout(() => process.exit(0), 2000).unref();
});

serve({
  async init(args: AppInitArgs) {
    bench = await storeDefinition(args.store).open({ url: args.url, poolMax: args.poolMax });
    serverCpu = new ServerCpu(args.database);
    app = await startApp(args.framework, bench.store, args.payloadBytes, tally);
    return { port: app.port };
  },

  /** Starts counting (at the start of a measured window, under load). */
  async probeStart() {
    tally.handled = 0;
    tally.sessions.clear();
    const server = serverCpu?.sample();
    counter.reset();
    probe = { cpu: process.cpuUsage(), server };
    return true;
  },

  async probeStop(): Promise<AppProbe> {
    if (probe === undefined) throw new Error("probeStart first");
    const cpu = process.cpuUsage(probe.cpu);
    const statements = counter.total;
    const breakdown = counter.breakdown();
    const serverMs = ServerCpu.deltaMs(probe.server, serverCpu?.sample());
    probe = undefined;
    return { requests: tally.handled, sessions: tally.sessions.size, clientCpuUs: cpu.user + cpu.system, statements, serverMs, breakdown };
  },

  /** After a load: true once the requests it left behind are done (false if still running after 5 s). */
  async drain() {
    return drained();
  },

  async memory() {
    return { peakRssMB: process.resourceUsage().maxRSS / 1024 };
  },

  async close() {
    await drained();
    await app?.close();
    await bench?.close();
    return true;
  },
});
