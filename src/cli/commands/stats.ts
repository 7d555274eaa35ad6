import type { Command } from "../command-context.ts";
import { operatorQueriesFor } from "../../table/operator-statements.ts";

interface StatsRow {
  count: number;
  expired: number;
  total_bytes: string;
  avg_bytes: number;
  max_bytes: number;
  oldest_expiry: Date | null;
  newest_expiry: Date | null;
}

/** `stats`: how many sessions, how many expired, how big, expiring when. */
export const stats: Command = async ({ store, output, now }) => {
  const [row] = await store.query<StatsRow>(operatorQueriesFor(store.table).stats, [now()]);
  const result = {
    count: row!.count,
    expired: row!.expired,
    totalBytes: Number(row!.total_bytes),
    avgBytes: row!.avg_bytes,
    maxBytes: row!.max_bytes,
    oldestExpiry: row!.oldest_expiry,
    newestExpiry: row!.newest_expiry,
  };
  output.result(result, (r: typeof result) =>
    [
      `sessions:      ${r.count} (${r.expired} expired)`,
      `payload bytes: ${r.totalBytes} total, ${r.avgBytes} average, ${r.maxBytes} largest`,
      `expiry:        ${r.oldestExpiry?.toISOString() ?? "-"} .. ${r.newestExpiry?.toISOString() ?? "-"}`,
    ].join("\n"),
  );
};
