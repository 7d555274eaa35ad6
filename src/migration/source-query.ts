import { TableNotFoundError } from "../errors/store-errors.ts";
import type { PostgresStore } from "../store/postgres-store.ts";
import type { TableName } from "../table/table-name.ts";
import type { SelectedSourceRow } from "./source-format.ts";
import type { SourceTable } from "./source-formats.ts";

/** Where a statement on the old table runs: the store's connection, or one of its transactions. */
export interface SourceRunner {
  query<R>(sql: string, values: readonly unknown[]): Promise<R[]>;
}

/**
 * Runs a statement on the old store's table through `runner` (the store, or a transaction of it: the
 * old table lives in the same database). A missing table or column is a TableNotFoundError naming the
 * old table (its `table`), not the store's.
 */
export async function querySource<R = SelectedSourceRow>(
  runner: SourceRunner,
  store: PostgresStore,
  source: SourceTable,
  sql: string,
  values: unknown[],
): Promise<R[]> {
  try {
    return await runner.query<R>(sql, values);
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
export function assertDistinctTables(storeTable: TableName, source: SourceTable): void {
  if (source.table.sql === storeTable.sql) {
    throw new TypeError(`The ${source.format.name} table and the sessions table are both ${storeTable.name}: name the old store's table`);
  }
}
