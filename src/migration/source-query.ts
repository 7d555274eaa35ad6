import { TableNotFoundError } from "../errors/store-errors.ts";
import type { PostgresStore } from "../store/postgres-store.ts";
import type { SelectedSourceRow } from "./source-format.ts";
import type { SourceTable } from "./source-formats.ts";

/**
 * Runs a statement on the old store's table through the store's connection (the old table lives in
 * the same database). A missing table or column names the old table, not the store's.
 */
export async function querySource<R = SelectedSourceRow>(
  store: PostgresStore,
  source: SourceTable,
  sql: string,
  values: unknown[],
): Promise<R[]> {
  try {
    return await store.query<R>(sql, values);
  } catch (error) {
    if (!(error instanceof TableNotFoundError)) throw error;
    const detail = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    throw new TableNotFoundError(
      `${source.format.name}'s table ${source.table.name} cannot be read${detail}: give its name (schema.table) if it is not ${JSON.stringify(source.format.defaultTable)}; it must be in the same database as ${store.tableName}`,
      { table: source.table.name, cause: error },
    );
  }
}

/** Refuses a source table spelled like the store's own (moving a table into itself). @throws TypeError */
export function assertDistinctTables(store: PostgresStore, source: SourceTable): void {
  if (source.table.sql === store.table.sql) {
    throw new TypeError(`The ${source.format.name} table and the sessions table are both ${store.tableName}: name the old store's table`);
  }
}
