import { ensureSchema } from "../../store/ensure-schema.ts";
import type { Command } from "../command-context.ts";

/** `schema`: creates the table, its columns and indexes where missing (idempotent). */
export const schema: Command = async ({ store, output }) => {
  await ensureSchema(store);
  output.result({ table: store.tableName, ensured: true }, () => `table ${store.tableName} is ready`);
};
