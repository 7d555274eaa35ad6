import { SessionNotFoundError } from "../../errors/store-errors.ts";
import type { Command } from "../command-context.ts";
import { UsageError } from "../exit-codes.ts";

/** `delete <id>`: removes one session (waiting for its lock if a unit of work holds it). */
export const deleteSession: Command = async ({ store, output, args }) => {
  const id = args[0];
  if (id === undefined) throw new UsageError("delete needs a session id");
  if ((await store.remove({ id })) === 0) {
    throw new SessionNotFoundError("Object does not exist in the data store", { sessionId: id, table: store.tableName });
  }
  output.result({ deleted: id }, () => `deleted ${id}`);
};
