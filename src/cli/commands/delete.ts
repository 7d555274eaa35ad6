import { SessionNotFoundError } from "../../errors/store-errors.ts";
import { assertUserId } from "../../store/user-sessions.ts";
import { operatorQueriesFor } from "../../table/operator-statements.ts";
import type { Command, CommandContext } from "../command-context.ts";
import { UsageError } from "../exit-codes.ts";

/** `delete <id>`: removes one session (waiting for its lock if a unit of work holds it). `delete --user ID [--yes]`: a user's. */
export const deleteSession: Command = async (context) => {
  const { store, output, args, options } = context;
  const id = args[0];
  if (options.user !== undefined) {
    if (id !== undefined) throw new UsageError("delete takes either a session id or --user, not both");
    return deleteUser(context, options.user);
  }
  if (id === undefined) throw new UsageError("delete needs a session id (or --user ID)");
  if ((await store.remove({ id })) === 0) {
    throw new SessionNotFoundError("Object does not exist in the data store", { sessionId: id, table: store.tableName });
  }
  output.result({ deleted: id }, () => `deleted ${id}`);
};

/**
 * `delete --user ID`: counts the user's sessions (expired ones too); only with `--yes` (and without
 * `--dry-run`) deletes them, in one indexed statement.
 */
async function deleteUser({ store, output, options }: CommandContext, user: string): Promise<void> {
  assertUserId(user, "--user");
  const queries = operatorQueriesFor(store.table);
  if (!options.yes || options.dryRun) {
    const [{ n } = { n: 0 }] = await store.query<{ n: number }>(queries.countUser, [user]);
    output.result(
      { user, sessions: n, deleted: 0, dryRun: true },
      () => `${n} session(s) of user ${JSON.stringify(user)} would be deleted (dry run: add --yes to delete them)`,
    );
    return;
  }
  const deleted = await store.execute(queries.deleteUser, [user]);
  output.result({ user, sessions: deleted, deleted, dryRun: false }, () => `deleted ${deleted} session(s) of user ${JSON.stringify(user)}`);
}
