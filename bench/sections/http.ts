import { join } from "node:path";
import type { AppInitArgs, AppProbe } from "../http/app-worker.ts";
import { frameworks, routes, type Framework, type Route } from "../http/apps.ts";
import { load, login } from "../http/load.ts";
import type { StoreName } from "../stores/types.ts";
import { WorkerHandle } from "../worker/rpc.ts";
import { rotated, type MeasuredSegment, type RunContext } from "./context.ts";
import { Cells } from "./summary.ts";

/** The stores measured over HTTP: ours on both paths, the two published stores, MemoryStore as the ceiling. */
export const httpStores: readonly StoreName[] = ["ours", "ours-prisma", "connect-pg-simple", "prisma-session-store", "memory"];

/** The cell key of a framework's route (concurrency: the load connections). */
export function httpWorkload(framework: Framework, route: Route): string {
  return `${framework} ${route}`;
}

/** One measured segment: the Store API cells' fields (per request), plus what the app saw. */
export type HttpSegment = MeasuredSegment & {
  /** Requests the app handled while probed (the CPU and statements are divided by these). */
  appRequests: number;
  /** Distinct sessions those requests came with (should equal the connections). */
  sessions: number;
};

export interface HttpResult {
  connections: number;
  cells: Cells;
  peakRss: Array<{ framework: Framework; store: StoreName; peakRssMB: number }>;
}

interface App {
  handle: WorkerHandle;
  port: number;
  cookies: string[];
}

/**
 * Real apps over HTTP: for each framework, one app process per store (all up at once), `connections`
 * users logged in on each (one session per load connection); then per route, `repeats` rounds, each
 * running every store's app once in a rotated order (one load: warm-up, then the measured window, on the
 * same connections), so load drift hits all stores alike. The frameworks run one after the other, each
 * with its own processes, once the Store API workers are gone: the apps have the machine (and the
 * server's connection slots) to themselves.
 */
export async function httpSection(context: RunContext): Promise<HttpResult> {
  const { config, database, log } = context;
  const { connections, segmentMs, warmupMs } = config.http;
  const stores = config.stores.filter((store) => httpStores.includes(store));
  const script = join(import.meta.dirname, "..", "http", "app-worker.ts");
  const cells = new Cells();
  const peakRss: HttpResult["peakRss"] = [];
  if (stores.length === 0) {
    log(`http: none of the selected stores runs behind an app (${httpStores.join(", ")} do)`);
    return { connections, cells, peakRss };
  }
  for (const [frameworkIndex, framework] of frameworks.entries()) {
    const apps = new Map<StoreName, App>();
    const handles = stores.map((store) => new WorkerHandle(`${framework} app on ${store}`, script));
    try {
      await Promise.all(
        stores.map(async (store, i) => {
          const handle = handles[i]!;
          const args: AppInitArgs = {
            store,
            framework,
            url: database.url,
            database: database.name,
            poolMax: config.poolMax,
            payloadBytes: config.payloadBytes,
          };
          const { port } = await handle.call<{ port: number }>("init", args);
          apps.set(store, { handle, port, cookies: await login(port, connections) });
        }),
      );
      // Unmeasured, all apps at once: each route's code paths (and the store's statements) warmed up once.
      for (const route of routes) {
        await Promise.all([...apps.values()].map((app) => load(app.port, route, app.cookies, { warmupMs: 0, durationMs: warmupMs * 2 })));
        await Promise.all([...apps.values()].map((app) => app.handle.call("drain")));
      }
      log(`${framework} apps listening, ${connections} users logged in on each, warmed up`);
      for (const [routeIndex, route] of routes.entries()) {
        const workload = httpWorkload(framework, route);
        for (let round = 0; round < config.repeats; round++) {
          for (const store of rotated(stores, round + routeIndex + frameworkIndex)) {
            const app = apps.get(store)!;
            let probeStarted: Promise<unknown> = Promise.resolve();
            let probed: Promise<AppProbe> | undefined;
            const result = await load(app.port, route, app.cookies, {
              warmupMs,
              durationMs: segmentMs,
              onWindowStart: () => {
                probeStarted = app.handle.call("probeStart");
                probeStarted.catch(() => undefined); // awaited (and thrown) below
              },
              onWindowEnd: () => {
                probed = app.handle.call<AppProbe>("probeStop");
                probed.catch(() => undefined);
              },
            });
            await probeStarted;
            const probe = await probed!;
            // What the load left running (up to one request per connection) finishes before the next segment.
            const idle = await app.handle.call<boolean>("drain");
            const segment = segmentOf(result, probe);
            // Fewer sessions than connections can happen (a slow store's connections not all served in a short
            // segment); more, or errors, mean requests came without a valid session or failed.
            if (segment.errors > 0 || probe.sessions > connections || !idle) {
              log(
                `${workload} ${store}: ${result.non2xx} non-2xx, ${result.errors} errors, ${probe.sessions} sessions seen (${connections} connections)${idle ? "" : ", still busy 5 s after the load"}`,
              );
            }
            cells.add(store, workload, connections, segment);
          }
        }
        const line = stores.map((store) => `${store} ${Math.round(cells.get(store, workload, connections)!.median.opsPerSec)}`);
        log(`http ${workload}: ${line.join(", ")} req/s`);
      }
      for (const store of stores) {
        peakRss.push({ framework, store, peakRssMB: (await apps.get(store)!.handle.call<{ peakRssMB: number }>("memory")).peakRssMB });
      }
    } finally {
      await Promise.all(handles.map((handle) => handle.stop()));
    }
  }
  return { connections, cells, peakRss };
}

function segmentOf(result: Awaited<ReturnType<typeof load>>, probe: AppProbe): HttpSegment {
  const perRequest = (total: number | undefined): number | undefined =>
    total === undefined || probe.requests === 0 ? undefined : total / probe.requests;
  return {
    ops: result.ok,
    elapsedMs: result.windowMs,
    opsPerSec: result.reqPerSec,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    statementsPerOp: perRequest(probe.statements) ?? Number.NaN,
    clientCpuUsPerOp: perRequest(probe.clientCpuUs) ?? Number.NaN,
    serverCpuUsPerOp: perRequest(probe.serverMs === undefined ? undefined : probe.serverMs * 1000),
    errors: result.non2xx + result.errors,
    misses: 0,
    statements: probe.breakdown,
    appRequests: probe.requests,
    sessions: probe.sessions,
  };
}
