import { SessionNotFoundError } from "../../errors/store-errors.ts";
import { decode } from "../../serialization/codec.ts";
import { createEncryptingSerializer, parseEncryptionKeys } from "../../serialization/encrypting-serializer.ts";
import type { Serializer } from "../../serialization/serializer.ts";
import type { PostgresStore } from "../../store/postgres-store.ts";
import type { Command } from "../command-context.ts";
import { UsageError } from "../exit-codes.ts";
import { pretty } from "../output.ts";
import { operatorQueriesFor } from "../../table/operator-statements.ts";
import { keysVariable } from "./rekey.ts";

/**
 * `show <id>`: one session, decoded. With `keys` ($SESSION_ENCRYPTION_KEYS), encrypted payloads are
 * decrypted (and plaintext ones still shown, as during a move to encryption).
 */
export function show(settings: { keys: string | undefined }): Command {
  return async ({ store, serializer, output, args }) => {
    const id = args[0];
    if (id === undefined) throw new UsageError("show needs a session id");
    const reader: Serializer =
      settings.keys === undefined
        ? serializer
        : createEncryptingSerializer({ keys: parseEncryptionKeys(settings.keys, keysVariable), serializer, acceptPlaintext: true });
    const sessions: PostgresStore = store; // an assertion method needs a declared type
    sessions.assertStorableId(id);
    const [row] = await store.query<{ a_session: string | null; expires_at: Date | null }>(operatorQueriesFor(store.table).show, [id], id);
    if (row === undefined) {
      throw new SessionNotFoundError("Object does not exist in the data store", { sessionId: id, table: store.tableName });
    }
    const data = decode(reader, row.a_session, { sessionId: id, table: store.tableName });
    output.result(
      { id, expiresAt: row.expires_at, data },
      (v) => `id:         ${id}\nexpires at: ${row.expires_at?.toISOString() ?? "never"}\n${pretty(v.data)}`,
    );
  };
}
