import { allStoreDefinitions, defaultStores } from "./stores/index.ts";
import type { StoreName } from "./stores/types.ts";

export const sectionNames = ["throughput", "locked", "lost-update", "scale", "users", "http", "breakdown"] as const;
export type SectionName = (typeof sectionNames)[number];

/** Counts and durations of one benchmark run: the default (full) run or `--quick` (a smoke run). */
export interface BenchConfig {
  quick: boolean;
  /** `--stores=a,b`: the stores to run, in report order. @default `defaultStores` (stores/index.ts) */
  stores: StoreName[];
  /** `--sections=a,b`. @default all */
  sections: SectionName[];
  /** Rounds of every workload; each store runs once per round, interleaved; medians are reported. */
  repeats: number;
  /** Measured time of one segment (one store, one workload, one concurrency). */
  segmentMs: number;
  /** Unmeasured warm-up before each segment (pool connections, JIT, caches). */
  warmupMs: number;
  concurrencies: number[];
  /** Sessions stored before the workloads; get/set/touch pick from all of them. */
  poolSize: number;
  /** The active users' sessions (the first of the pool), which `mix` and `fastify` requests come from. */
  activeSessions: number;
  /** Approximate serialized size of a pool session. */
  payloadBytes: number;
  /** Connections per store (pg's default, and our adapter's). */
  poolMax: number;
  locked: { concurrencies: number[] };
  lostUpdate: { requests: number };
  scale: { bigRows: number; payloadSizes: number[]; payloadSegmentMs: number };
  /**
   * A user's sessions: `rows` live sessions of `users` users (the same number each) in each store's
   * table; list and count use the first `users - revokeUsers` users, one per call, for `segmentMs` per
   * segment; revoke uses the last `revokeUsers`, each once (so at most `revokeUsers × rows / users` rows go).
   */
  users: { rows: number; users: number; revokeUsers: number; listLimit: number; concurrencies: number[] };
  /**
   * Real express / fastify apps over HTTP (autocannon): `connections` keep-alive connections, each with
   * its own session; each segment is `segmentMs` measured after `warmupMs` of unmeasured load on the same
   * connections (new connections take a few hundred ms to settle).
   */
  http: { connections: number; segmentMs: number; warmupMs: number };
}

function listFlag<T extends string>(argv: readonly string[], flag: string, allowed: readonly T[], fallback: readonly T[]): T[] {
  const arg = argv.find((a) => a.startsWith(`--${flag}=`));
  if (arg === undefined) return [...fallback];
  const values = arg
    .slice(flag.length + 3)
    .split(",")
    .filter(Boolean);
  const unknown = values.filter((value) => !allowed.includes(value as T));
  if (unknown.length > 0) throw new Error(`--${flag}: unknown ${unknown.join(", ")} (known: ${allowed.join(", ")})`);
  return values as T[];
}

export function benchConfig(argv: readonly string[]): BenchConfig {
  const quick = argv.includes("--quick");
  const stores = listFlag(
    argv,
    "stores",
    allStoreDefinitions.map((definition) => definition.name),
    defaultStores,
  );
  const sections = listFlag(argv, "sections", sectionNames, sectionNames);
  return quick
    ? {
        quick,
        stores,
        sections,
        repeats: 1,
        segmentMs: 300,
        warmupMs: 100,
        concurrencies: [1, 16, 64],
        poolSize: 1000,
        activeSessions: 200,
        payloadBytes: 1024,
        poolMax: 10,
        locked: { concurrencies: [1, 16] },
        lostUpdate: { requests: 100 },
        scale: { bigRows: 20_000, payloadSizes: [1024, 100 * 1024, 1024 * 1024], payloadSegmentMs: 200 },
        users: { rows: 20_000, users: 4_000, revokeUsers: 1_000, listLimit: 20, concurrencies: [1, 16] },
        http: { connections: 64, segmentMs: 400, warmupMs: 300 },
      }
    : {
        quick,
        stores,
        sections,
        repeats: 3,
        segmentMs: 700,
        warmupMs: 200,
        concurrencies: [1, 16, 64],
        poolSize: 10_000,
        activeSessions: 1000,
        payloadBytes: 1024,
        poolMax: 10,
        locked: { concurrencies: [1, 16] },
        lostUpdate: { requests: 100 },
        scale: { bigRows: 1_000_000, payloadSizes: [1024, 100 * 1024, 1024 * 1024], payloadSegmentMs: 600 },
        users: { rows: 200_000, users: 20_000, revokeUsers: 5_000, listLimit: 20, concurrencies: [1, 16] },
        http: { connections: 64, segmentMs: 1500, warmupMs: 500 },
      };
}
