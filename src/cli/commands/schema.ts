import { ensureSchema } from "../../store/ensure-schema.ts";
import type { Command } from "../command-context.ts";

/** `schema`: creates the table, its columns and indexes where missing (idempotent), and says which it did. */
export const schema: Command = async ({ store, output }) => {
  const [before] = await store.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [store.table.sql]);
  await ensureSchema(store);
  const created = before?.found !== true;
  output.result({ table: store.tableName, ensured: true, created }, () =>
    created
      ? `created table ${store.tableName} (with its indexes)`
      : `table ${store.tableName} was already there: any missing column or index was added, nothing else changed`,
  );
};
