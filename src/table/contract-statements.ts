import type { TableName } from "./table-name.ts";
import { timedLock } from "./timed-lock.ts";

/** Apache::Session::Store::Postgres's four statements for one table. Values are always bound parameters. */
export interface Statements {
  insert: string;
  update: string;
  materialize: string;
  remove: string;
  /** Not in Apache::Session: a read that takes no lock (for snapshots and the adapters). */
  fetch: string;
  /** Not in Apache::Session: `materialize` under a `lock_timeout` (its `$2`, `'5000ms'`), in one statement. */
  materializeWithin: string;
}

// `$1::bpchar`: compares as char(n) with the primary key, so the index is used whatever type the
// driver gives the parameter.
export function statementsFor(table: TableName): Statements {
  const materialize = `SELECT a_session FROM ${table.sql} WHERE id = $1::bpchar FOR UPDATE`;
  return {
    insert: `INSERT INTO ${table.sql} (id, a_session) VALUES ($1::bpchar, $2::text)`,
    update: `UPDATE ${table.sql} SET a_session = $2::text WHERE id = $1::bpchar`,
    materialize,
    remove: `DELETE FROM ${table.sql} WHERE id = $1::bpchar`,
    fetch: `SELECT a_session FROM ${table.sql} WHERE id = $1::bpchar`,
    materializeWithin: timedLock(materialize),
  };
}
