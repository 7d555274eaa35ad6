import type { Command } from "../command-context.ts";
import { table } from "../output.ts";
import { operatorQueriesFor } from "../../table/operator-statements.ts";

/** `list [--limit N] [--after ID]`: sessions in id order, a page at a time. */
export const list: Command = async ({ store, output, options }) => {
  const rows = await store.query<{ id: string; size: number | null; expires_at: Date | null }>(operatorQueriesFor(store.table).list, [
    options.after ?? null,
    options.limit,
  ]);
  const page = rows.map((r) => ({ id: r.id, size: r.size, expiresAt: r.expires_at }));
  const next = page.length === options.limit ? page[page.length - 1]!.id : null;
  output.result({ sessions: page, next }, () => table(page, ["id", "size", "expiresAt"]));
  if (next) output.line(`more: --after ${next}`);
};
