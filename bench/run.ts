// `npm run bench` (add `-- --quick` for a smoke run): prisma-pg-session against connect-pg-simple,
// @quixo3/prisma-session-store, a raw pg store and express-session's MemoryStore. Creates its own
// database, runs every store in its own worker process, interleaved, prints a markdown report, writes
// JSON to bench/results/, and drops the database.
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { benchConfig } from "./config.ts";
import { evaluateGoals } from "./report/goals.ts";
import { markdownReport } from "./report/markdown.ts";
import { writeResults } from "./report/results.ts";
import type { MemoryRow } from "./report/tables.ts";
import type { RunContext, StoreCapabilities } from "./sections/context.ts";
import { breakdownSection, breakdownTable } from "./sections/breakdown.ts";
import { httpSection } from "./sections/http.ts";
import { lockedSection } from "./sections/locked.ts";
import { lostUpdateSection } from "./sections/lost-update.ts";
import { scaleSection } from "./sections/scale.ts";
import { throughputSection } from "./sections/throughput.ts";
import { usersSection } from "./sections/users.ts";
import { createBenchDatabase } from "./setup/database.ts";
import { ensureGeneratedClients } from "./setup/generate.ts";
import { migrationScriptsFor } from "./setup/sql-files.ts";
import { storeDefinition } from "./stores/index.ts";
import type { StoreName } from "./stores/types.ts";
import { WorkerHandle } from "./worker/rpc.ts";

const config = benchConfig(process.argv.slice(2));

/** The measured source: HEAD, and whether src/ had uncommitted changes (read only; "?" outside git). */
function sourceState(): string {
  try {
    const git = (...args: string[]): string => execFileSync("git", args, { cwd: join(import.meta.dirname, ".."), encoding: "utf8" }).trim();
    return `${git("rev-parse", "--short", "HEAD")}${git("status", "--porcelain", "--", "src") === "" ? "" : " + uncommitted changes in src/"}`;
  } catch {
    return "?";
  }
}
const source = sourceState();
const started = performance.now();
const log = (line: string): void => {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};

ensureGeneratedClients(log);
const ddl = config.stores.flatMap((store) => storeDefinition(store).ddl());
if (config.sections.includes("breakdown")) ddl.push(...migrationScriptsFor(breakdownTable));
const database = await createBenchDatabase(ddl);
log(`database ${database.name} created`);
const workers = new Map<StoreName, WorkerHandle>();
const capabilities = new Map<StoreName, StoreCapabilities>();
const context: RunContext = { config, database, workers, capabilities, log };
const runs = (section: (typeof config.sections)[number]): boolean => config.sections.includes(section);

let cleaning: Promise<void> | undefined;
const cleanUp = (): Promise<void> =>
  (cleaning ??= (async () => {
    await Promise.all([...workers.values()].map((handle) => handle.stop().catch(() => undefined)));
    await database.drop();
    log(`database ${database.name} dropped`);
  })());
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

interface MemorySample {
  peakRssMB: number;
  openedRssMB: number;
  heapTotalMB: number;
  liveHeapMB: number;
}

async function memoryRows(collect: boolean): Promise<Array<{ store: StoreName } & MemorySample>> {
  return Promise.all([...workers].map(async ([store, handle]) => ({ store, ...(await handle.call<MemorySample>("memory", { collect })) })));
}

try {
  const script = join(import.meta.dirname, "worker", "main.ts");
  for (const store of config.stores) workers.set(store, new WorkerHandle(store, script));
  await Promise.all(
    [...workers].map(async ([store, handle]) => {
      const args = {
        store,
        url: database.url,
        database: database.name,
        poolMax: config.poolMax,
        poolSize: config.poolSize,
        activeSessions: config.activeSessions,
        payloadBytes: config.payloadBytes,
      };
      const can = await handle.call<{ hasLocked: boolean; hasPrune: boolean }>("init", args);
      capabilities.set(store, { ...can, canFill: storeDefinition(store).fillExpired !== undefined });
    }),
  );
  const seedMs = await Promise.all([...workers.values()].map((handle) => handle.call<number>("seed", { concurrency: 16 })));
  await database.pool.query("VACUUM ANALYZE");
  log(`seeded ${config.poolSize} sessions per store (${seedMs.map((m) => Math.round(m / 1000)).join("/")} s)`);

  const throughput = runs("throughput") ? await throughputSection(context) : undefined;
  const afterWorkloads = await memoryRows(true);
  const locked = runs("locked") ? await lockedSection(context) : undefined;
  const lostUpdate = runs("lost-update") ? await lostUpdateSection(context) : undefined;
  const scale = runs("scale") ? await scaleSection(context) : undefined;
  const users = runs("users") ? await usersSection(context) : undefined;
  const wholeRun = await memoryRows(false);
  // The HTTP apps, then the breakdown, each alone: the store workers are done (their connections closed).
  await Promise.all([...workers.values()].map((handle) => handle.stop()));
  const http = runs("http") ? await httpSection(context) : undefined;
  const breakdown = runs("breakdown") ? await breakdownSection(context) : undefined;
  const memory: MemoryRow[] = afterWorkloads.map(({ store, peakRssMB, openedRssMB, heapTotalMB, liveHeapMB }) => ({
    store,
    openedMB: openedRssMB,
    heapTotalMB,
    liveHeapMB,
    afterWorkloadsMB: peakRssMB,
    wholeRunMB: wholeRun.find((row) => row.store === store)?.peakRssMB ?? Number.NaN,
  }));
  const { rows } = await database.pool.query<{ version: string }>("SELECT current_setting('server_version') AS version");
  const environment = {
    date: new Date().toISOString(),
    source,
    node: process.version,
    postgres: rows[0]?.version ?? "?",
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
    "load average at start": loadavg()[0]!.toFixed(2),
    "run time": `${Math.round((performance.now() - started) / 1000)} s`,
  };
  const goals = evaluateGoals({ throughput, locked, http, memory: throughput === undefined ? undefined : memory });
  const report = { config, environment, throughput, memory, locked, lostUpdate, scale, users, http, breakdown, goals };
  process.stdout.write(`${markdownReport(report)}\n`);
  log(`results written to ${writeResults(report)}`);
} finally {
  await cleanUp();
}
