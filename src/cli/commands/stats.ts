import type { Command } from "../command-context.ts";
import { operatorQueriesFor } from "../../table/operator-statements.ts";

interface StatsRow {
  count: number;
  expired: number;
  total_bytes: string;
  avg_bytes: number;
  max_bytes: number;
  with_user: number;
  users: number;
  oldest_expiry: Date | null;
  newest_expiry: Date | null;
}

/** How many of the users with the most sessions `stats` shows. */
const topUserCount = 5;

/** `stats`: how many sessions, how many expired, how big, expiring when, and whose. */
export const stats: Command = async ({ store, output, now }) => {
  const queries = operatorQueriesFor(store.table);
  const [row] = await store.query<StatsRow>(queries.stats, [now()]);
  const top = await store.query<{ user_id: string; sessions: number }>(queries.topUsers, [topUserCount]);
  const result = {
    count: row!.count,
    expired: row!.expired,
    totalBytes: Number(row!.total_bytes),
    avgBytes: row!.avg_bytes,
    maxBytes: row!.max_bytes,
    oldestExpiry: row!.oldest_expiry,
    newestExpiry: row!.newest_expiry,
    users: row!.users,
    withUser: row!.with_user,
    topUsers: top.map((t) => ({ userId: t.user_id, sessions: t.sessions })),
  };
  output.result(result, (r: typeof result) =>
    [
      `sessions:      ${r.count} (${r.expired} expired)`,
      `payload bytes: ${r.totalBytes} total, ${r.avgBytes} average, ${r.maxBytes} largest`,
      `expiry:        ${r.oldestExpiry?.toISOString() ?? "-"} .. ${r.newestExpiry?.toISOString() ?? "-"}`,
      `users:         ${r.users} (${r.withUser} session(s) with a user)`,
      ...(r.topUsers.length === 0
        ? []
        : [`most sessions: ${r.topUsers.map((t) => `${JSON.stringify(t.userId)} ${t.sessions}`).join(", ")}`]),
    ].join("\n"),
  );
};
