import { SessionNotFoundError } from "../../errors/store-errors.ts";
import { decode } from "../../serialization/codec.ts";
import type { PostgresStore } from "../../store/postgres-store.ts";
import type { Command } from "../command-context.ts";
import { UsageError } from "../exit-codes.ts";
import { pretty } from "../output.ts";
import { operatorQueriesFor } from "../../table/operator-statements.ts";

/** `show <id>`: one session, decoded. */
export const show: Command = async ({ store, serializer, output, args }) => {
  const id = args[0];
  if (id === undefined) throw new UsageError("show needs a session id");
  const sessions: PostgresStore = store;
  sessions.assertStorableId(id);
  const [row] = await store.query<{ a_session: string | null; expires_at: Date | null }>(operatorQueriesFor(store.table).show, [id], id);
  if (row === undefined) {
    throw new SessionNotFoundError("Object does not exist in the data store", { sessionId: id, table: store.tableName });
  }
  const data = decode(serializer, row.a_session, { sessionId: id, table: store.tableName });
  output.result(
    { id, expiresAt: row.expires_at, data },
    (v) => `id:         ${id}\nexpires at: ${row.expires_at?.toISOString() ?? "never"}\n${pretty(v.data)}`,
  );
};
