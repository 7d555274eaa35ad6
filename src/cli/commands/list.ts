import type { Command, CommandContext } from "../command-context.ts";
import { table } from "../output.ts";
import { operatorQueriesFor } from "../../table/operator-statements.ts";
import { assertUserId } from "../../store/user-sessions.ts";
import type { PostgresStore } from "../../store/postgres-store.ts";

/** `list [--limit N] [--after ID]`: sessions in id order, a page at a time; `--user ID`: that user's. */
export const list: Command = async (context) => {
  if (context.options.user !== undefined) return listUser(context, context.options.user);
  const { store, output, options } = context;
  const rows = await store.query<{ id: string; size: number | null; expires_at: Date | null }>(operatorQueriesFor(store.table).list, [
    options.after ?? null,
    options.limit,
  ]);
  const page = rows.map((r) => ({ id: r.id, size: r.size, expiresAt: r.expires_at }));
  const next = page.length === options.limit ? page[page.length - 1]!.id : null;
  output.result({ sessions: page, next }, () => table(page, ["id", "size", "expiresAt"]));
  if (next) output.line(`more: --after ${next}`);
};

interface UserRow {
  id: string;
  size: number | null;
  created_at: Date | null;
  last_active_at: Date | null;
  expires_at: Date | null;
  user_agent: string | null;
  ip: string | null;
}

/** `list --user ID`: the user's sessions (expired ones too, until pruned) in id order, by the user index. */
async function listUser({ store, output, options }: CommandContext, user: string): Promise<void> {
  const sessions: PostgresStore = store;
  assertUserId(user, "--user");
  if (options.after !== undefined) sessions.assertStorableId(options.after);
  const rows = await store.query<UserRow>(operatorQueriesFor(store.table).listUser, [user, options.after ?? null, options.limit]);
  const page = rows.map((r) => ({
    id: r.id,
    size: r.size,
    createdAt: r.created_at,
    lastActiveAt: r.last_active_at,
    expiresAt: r.expires_at,
    userAgent: r.user_agent,
    ip: r.ip,
  }));
  const next = page.length === options.limit ? page[page.length - 1]!.id : null;
  output.result({ user, sessions: page, next }, () =>
    table(page, ["id", "size", "createdAt", "lastActiveAt", "expiresAt", "ip", "userAgent"]),
  );
  if (next) output.line(`more: --user ${JSON.stringify(user)} --after ${next}`);
}
