import { storeDefinition } from "../stores/index.ts";
import type { StoreName } from "../stores/types.ts";
import type { UserSegmentArgs } from "../worker/main.ts";
import { rotated, seedOf, worker, type MeasuredSegment, type RunContext } from "./context.ts";
import { Cells } from "./summary.ts";

export const userOperations = ["list", "count", "revoke"] as const;
export type UserOperation = (typeof userOperations)[number];

export interface UsersResult {
  /** Cells keyed by operation (`list` / `count` / `revoke`), per concurrency. */
  cells: Cells;
  rows: number;
  users: number;
  listLimit: number;
  fillMs: Record<string, number>;
  /** The table's rows before the measurements and after the revokes. */
  rowCounts: Array<{ store: StoreName; before: number; after: number }>;
}

/** The selected stores with the per-user API and a filler for it (ours, ours-prisma), in report order. */
export function userStoresOf(context: RunContext): StoreName[] {
  return context.config.stores.filter((store) => storeDefinition(store).userSessions !== undefined);
}

/**
 * A user's sessions on a big table: fills each store's table with `rows` live sessions of `users` users
 * (one INSERT … SELECT each, tables in parallel), VACUUM ANALYZE, then, interleaved between the stores,
 * list (first page), count, and revoke all, each call on a different user.
 */
export async function usersSection(context: RunContext): Promise<UsersResult | undefined> {
  const { config } = context;
  const { rows, users, revokeUsers, listLimit, concurrencies } = config.users;
  const stores = userStoresOf(context);
  if (stores.length === 0) {
    context.log("users: no selected store has the per-user API (ours, ours-prisma); skipped");
    return undefined;
  }
  const fillMs: Record<string, number> = {};
  await Promise.all(
    stores.map(async (store) => {
      const started = performance.now();
      await context.database.pool.query(storeDefinition(store).userSessions!.fill(1, rows, users));
      fillMs[store] = performance.now() - started;
    }),
  );
  // VACUUM too: after the scale section, ours' table holds the dead rows of its prune (ours-prisma's does not).
  for (const store of stores) await context.database.pool.query(`VACUUM ANALYZE "${storeDefinition(store).userSessions!.table}"`);
  const before = new Map<StoreName, number>();
  for (const store of stores) before.set(store, await countRows(context, store));
  context.log(
    `users: filled ${stores.join(", ")} with ${rows} live sessions of ${users} users (${stores.map((s) => Math.round(fillMs[s]!)).join("/")} ms)`,
  );

  const cells = new Cells();
  const listUsers = users - revokeUsers;
  const call = async (store: StoreName, args: UserSegmentArgs, label: UserOperation): Promise<void> => {
    const result = await worker(context, store).call<MeasuredSegment>("userSegment", args);
    cells.add(store, label, args.concurrency, result);
  };

  // List and count: users 1..listUsers, one per call, from a different user each round and cell.
  for (let round = 0; round < config.repeats; round++) {
    for (const operation of ["list", "count"] as const) {
      for (const concurrency of concurrencies) {
        const start = 1 + (seedOf(round, operation, concurrency) % listUsers);
        for (const store of rotated(stores, round)) {
          const args: UserSegmentArgs = {
            operation,
            concurrency,
            durationMs: config.segmentMs,
            warmupMs: config.warmupMs,
            // Warm-up (at most maxOps / 5) and measured calls together never come back to a user.
            maxOps: Math.floor(listUsers / 1.2),
            from: 1,
            to: listUsers,
            start,
            limit: listLimit,
            wrap: true,
          };
          await call(store, args, operation);
        }
      }
    }
  }
  context.log("users: list and count measured");

  // Revoke all: the last revokeUsers users, a disjoint slice per round and concurrency (the same slice
  // for every store: each has its own table); a segment ends when its slice is used up.
  const slices = config.repeats * concurrencies.length;
  const slice = Math.floor(revokeUsers / slices);
  let sliceIndex = 0;
  for (let round = 0; round < config.repeats; round++) {
    for (const concurrency of concurrencies) {
      const from = listUsers + 1 + sliceIndex++ * slice;
      for (const store of rotated(stores, round)) {
        const args: UserSegmentArgs = {
          operation: "revoke",
          concurrency,
          durationMs: 60_000,
          warmupMs: config.warmupMs,
          maxOps: Math.floor(slice / 1.2),
          from,
          to: from + slice - 1,
          start: from,
          limit: listLimit,
          wrap: false,
        };
        await call(store, args, "revoke");
      }
    }
  }
  const rowCounts = [];
  for (const store of stores) rowCounts.push({ store, before: before.get(store)!, after: await countRows(context, store) });
  context.log("users: revoke measured");
  return { cells, rows, users, listLimit, fillMs, rowCounts };
}

async function countRows(context: RunContext, store: StoreName): Promise<number> {
  const sql = storeDefinition(store).countRows;
  if (sql === undefined) return Number.NaN;
  const { rows } = await context.database.pool.query<{ n: number }>(sql);
  return rows[0]?.n ?? Number.NaN;
}
