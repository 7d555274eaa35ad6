import type { SessionData } from "express-session";
import pg from "pg";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { SessionManager, StoreUnavailableError } from "../../src/index.ts";
import { eventually, newPrismaClient, randomId } from "../support/database.ts";
import { ThrowawayCluster } from "../support/throwaway-cluster.ts";
import { Workload, type Outcome, type WorkerLoop } from "../support/workload.ts";
import { WriteLedger } from "../support/write-ledger.ts";

// PostgreSQL is stopped and started again under continuous load through the lifecycle API
// (SessionManager: open / read / create) and the express-session adapter (PgSessionStore: set / get).
// The server is a cluster of this file's own (never the shared one), stopped in `fast` mode (orderly:
// sessions get 57P01) and in `immediate` mode (a crash: crash recovery at the next start). Both with the
// stores' own connection pools (datasourceUrl) and with a PrismaClient handle (@prisma/adapter-pg),
// whose failures reach the error mapping in other shapes.

const workersPerApi = 3;
const bystanders = 40;
const failuresPerKindDuringOutage = 25;
const kinds = ["open", "read", "create", "set", "get"] as const;

let cluster: ThrowawayCluster;
beforeAll(async () => {
  cluster = await ThrowawayCluster.create();
}, 60_000);
afterAll(async () => {
  await cluster?.destroy();
});

function sessionOf(v: number, owner: string): SessionData {
  return { v, owner, cookie: { originalMaxAge: 86_400_000, expires: null, httpOnly: true, path: "/" } } as unknown as SessionData;
}

/** One line per error shape: what a mapper needs to recognise it. */
function shapeOf(error: unknown): string {
  if (!(error instanceof Error)) return `non-Error ${typeof error}: ${String(error)}`;
  const e = error as Error & { code?: unknown; meta?: unknown };
  const cause = e.cause as { code?: unknown; meta?: { driverAdapterError?: { cause?: unknown } } } | undefined;
  return [
    `${e.constructor.name} name=${e.name}`,
    `code=${String(e.code)}`,
    `message=${JSON.stringify(e.message.split("\n").filter(Boolean).pop())}`,
    `cause=${cause ? `${(cause as object).constructor.name} code=${String(cause.code)} adapter=${JSON.stringify(cause.meta?.driverAdapterError?.cause ?? null)}` : "none"}`,
  ].join(" ");
}

/** Every row of the sessions table, read with plain SQL on a connection of its own. */
async function rowsOf(url: string): Promise<Map<string, string | null>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT id, a_session FROM sessions");
    return new Map(rows.map((row) => [row.id as string, row.a_session as string | null]));
  } finally {
    await client.end();
  }
}

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** Store options for one API: its own pool, or a PrismaClient on a pool of its own. Smaller pools than workers: operations also queue for connections. */
function connectionFor(client: "own pool" | "PrismaClient", url: string) {
  if (client === "own pool") return { options: { datasourceUrl: url, pool: { max: 2 } }, close: async () => undefined };
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // What the README tells PrismaClient users to do: @prisma/adapter-pg attaches its connection error
  // listener a tick after pg-pool hands the connection out, and a FATAL arriving in that tick would be
  // an uncaught exception (seen here about once in ten restarts).
  pool.on("connect", (client) => client.on("error", () => undefined));
  pool.on("error", () => undefined);
  const prisma = newPrismaClient(pool);
  return {
    options: { prisma },
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

test.each([
  ["fast", "own pool"],
  ["immediate", "own pool"],
  ["fast", "PrismaClient"],
  ["immediate", "PrismaClient"],
] as const)(
  "restart (%s, %s): outage errors are StoreUnavailableError, the same stores recover, every committed session is intact",
  async (mode, client) => {
    const url = cluster.url();
    const forSessions = connectionFor(client, url);
    const forAdapter = connectionFor(client, url);
    const sessions = new SessionManager(forSessions.options);
    const adapter = new PgSessionStore({ ...forAdapter.options, pruneSessionInterval: false });
    const ledger = new WriteLedger();
    let workload: Workload | undefined;
    try {
      // Committed before the load starts and never touched again: must come back byte for byte.
      for (let i = 0; i < bystanders; i++) {
        if (i % 2 === 0) await sessions.create({ bystander: i, at: new Date(Date.UTC(2026, 10, 25, 0, 0, i)) });
        else await adapter.set(randomId(), sessionOf(i, "bystander"));
      }
      const before = await rowsOf(url);

      // Each worker is the only writer of its own session, so the ledger knows what each may hold.
      let failedCreates = 0;
      const managerWorker = (owner: string, id: string): WorkerLoop => {
        let step = 0;
        const cycle = ["open", "read", "open", "create"] as const;
        return {
          kind: () => cycle[step % cycle.length]!,
          run: async () => {
            const kind = cycle[step++ % cycle.length]!;
            if (kind === "open") {
              let seen: number | undefined;
              try {
                await sessions.open(id, (s) => {
                  seen = s.data["n"] as number;
                  ledger.observed(id, seen);
                  s.data["n"] = seen + 1;
                });
              } catch (error) {
                if (seen !== undefined) ledger.uncertain(id, seen + 1);
                throw error;
              }
              ledger.acknowledged(id, seen! + 1);
            } else if (kind === "read") {
              ledger.observed(id, (await sessions.read(id)).data["n"] as number);
            } else {
              try {
                const created = await sessions.create({ owner, n: 0 });
                ledger.acknowledged(created.id, 0);
              } catch (error) {
                failedCreates += 1; // its row may exist, under an id we never learnt
                throw error;
              }
            }
          },
        };
      };
      const adapterWorker = (owner: string, sid: string): WorkerLoop => {
        let step = 0;
        let next = 1;
        return {
          kind: () => (step % 2 === 0 ? "set" : "get"),
          run: async () => {
            if (step++ % 2 === 0) {
              const v = next++;
              try {
                await adapter.set(sid, sessionOf(v, owner));
              } catch (error) {
                ledger.uncertain(sid, v);
                throw error;
              }
              ledger.acknowledged(sid, v);
            } else {
              const got = (await adapter.get(sid)) as (SessionData & { v: number }) | null;
              ledger.observed(sid, got?.v);
            }
          },
        };
      };
      const workers: WorkerLoop[] = [];
      for (let w = 0; w < workersPerApi; w++) {
        const { id } = await sessions.create({ owner: `m${w}`, n: 0 });
        ledger.acknowledged(id, 0);
        workers.push(managerWorker(`m${w}`, id));
        const sid = randomId();
        await adapter.set(sid, sessionOf(0, `a${w}`));
        ledger.acknowledged(sid, 0);
        workers.push(adapterWorker(`a${w}`, sid));
      }

      const load = new Workload(workers);
      workload = load;
      const succeeded = (kind: string, after: number) => load.count((o) => o.error === undefined && o.startedAt >= after, kind);
      const failed = (kind: string, after: number) => load.count((o) => o.error !== undefined && o.endedAt >= after, kind);
      await eventually(async () => kinds.every((kind) => succeeded(kind, 0) >= 20));

      // The outage: stop, wait until every kind of operation has failed a number of times, start.
      const stopIssuedAt = Date.now();
      await cluster.stop(mode);
      const downAt = Date.now();
      await eventually(async () => kinds.every((kind) => failed(kind, downAt) >= failuresPerKindDuringOutage), 30_000);
      const startIssuedAt = Date.now();
      await cluster.start();
      const upAt = Date.now();

      // Recovery: the same store objects, no reconnect call: each kind succeeds again on its own.
      await eventually(async () => kinds.every((kind) => succeeded(kind, upAt) >= 20), 30_000);
      await load.stop();
      workload = undefined;

      const outcomes = load.outcomes;
      const firstSuccessAfterUp = (kind: string) =>
        Math.min(...outcomes.filter((o) => o.kind === kind && o.error === undefined && o.startedAt >= upAt).map((o) => o.endedAt));
      const recoveryMs = Object.fromEntries(kinds.map((kind) => [kind, firstSuccessAfterUp(kind) - upAt]));
      const recoveredAt = Math.max(...kinds.map(firstSuccessAfterUp));
      const duringOutage = (o: Outcome) => o.endedAt >= stopIssuedAt && o.startedAt <= recoveredAt;
      const failures = outcomes.filter((o) => o.error !== undefined);

      // Verify every row against the ledger, directly with SQL.
      const rows = await rowsOf(url);
      const problems: string[] = [...ledger.violations];
      for (const [id, text] of before) {
        if (rows.get(id) !== text) problems.push(`bystander ${id}: ${rows.has(id) ? "altered" : "lost"}`);
      }
      for (const id of ledger.ids()) {
        const text = rows.get(id);
        if (text === undefined || text === null) {
          problems.push(`${id}: lost`);
          continue;
        }
        const json = (JSON.parse(text) as { json: { n?: number; v?: number } }).json;
        const value = json.n ?? json.v;
        if (value === undefined || !ledger.possible(id).includes(value)) {
          problems.push(`${id}: holds ${value}, expected one of ${ledger.possible(id).join(", ")}`);
        }
      }
      const unknownRows = [...rows.keys()].filter((id) => !before.has(id) && !ledger.ids().includes(id));
      const rowsVerified = before.size + ledger.ids().length;

      const figures = {
        mode,
        client,
        stopMs: downAt - stopIssuedAt,
        serverDownMs: startIssuedAt - downAt,
        startMs: upAt - startIssuedAt,
        requests: outcomes.length,
        requestsDuringOutage: outcomes.filter(duringOutage).length,
        failedDuringOutage: outcomes.filter((o) => duringOutage(o) && o.error !== undefined).length,
        failuresOutsideOutage: failures.filter((o) => !duringOutage(o)).length,
        errorsByType: tally(failures.map((o) => (o.error as Error).name ?? "?")),
        errorsByKind: tally(failures.map((o) => o.kind)),
        recoveryMsAfterServerUp: recoveryMs,
        recoveryMs: recoveredAt - upAt,
        longestOperationMs: Math.max(...outcomes.map((o) => o.endedAt - o.startedAt)),
        rowsVerified,
        writesOfUnknownOutcome: ledger.uncertainIds,
        failedCreates,
        rowsOfFailedCreates: unknownRows.length,
      };
      console.log(`database restart figures\n${JSON.stringify(figures, null, 2)}`);

      const untyped = failures.filter((o) => !(o.error instanceof StoreUnavailableError));
      expect(tally(untyped.map((o) => `${o.kind}: ${shapeOf(o.error)}`))).toEqual({});
      expect(figures.failuresOutsideOutage).toBe(0);
      expect(problems).toEqual([]);
      // A create that failed may have committed: its row is there, under an id nobody was told.
      expect(unknownRows.length).toBeLessThanOrEqual(failedCreates);
      for (const id of unknownRows) expect(JSON.parse(rows.get(id)!).json).toMatchObject({ n: 0, _session_id: id });
      expect(rowsVerified).toBeGreaterThanOrEqual(bystanders + 2 * workersPerApi);
      // No operation hung: the slowest one settled well within a pool's connection timeout (5 s).
      expect(figures.longestOperationMs).toBeLessThan(5_000);
    } finally {
      await workload?.stop().catch(() => undefined);
      await sessions.close();
      await adapter.close();
      await forSessions.close();
      await forAdapter.close();
    }
  },
  90_000,
);
