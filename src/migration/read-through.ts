import type { StoredRow } from "../coalescer/session-rows.ts";
import { report, type Logger } from "../adapters/express-session/logger.ts";
import type { ImportTarget } from "./import-target.ts";
import { importStatementsFor, importValues, type ImportStatements } from "./import-statements.ts";
import { convertSourceRow } from "./session-conversion.ts";
import { sourceRowOf, type SourceStatements, type SourceStoreName } from "./source-format.ts";
import { sourceTableOf, type SourceTable } from "./source-formats.ts";
import { assertDistinctTables, querySource } from "./source-query.ts";

/**
 * The `readThrough` option: during a cut-over from another store, sessions not found here are looked
 * up in its table and moved in on first use, so nobody is logged out.
 */
export interface ReadThroughOption {
  /** The store you move from. */
  from: SourceStoreName;
  /** Its table, or `schema.table`, in the same database. @default "session" (connect-pg-simple), "Session" (prisma-session-store) */
  table?: string | undefined;
}

const optionNames = new Set(["from", "table"]);

/**
 * Reads sessions this store does not have from the old store's table, during a cut-over. A session
 * found there, live and readable, is written here as the adapter would have written it (INSERT ... ON
 * CONFLICT DO NOTHING: a row written here meanwhile wins) and the old row is left where it is, so app
 * servers still on the old store keep their users too. Ending a session here (`forget`) deletes its
 * old row as well, so it cannot come back through this lookup.
 */
export class ReadThrough {
  readonly #target: ImportTarget;
  readonly #source: SourceTable;
  readonly #sql: SourceStatements;
  readonly #writes: ImportStatements;
  readonly #now: () => number;
  readonly #logger: Logger;

  constructor(source: SourceTable, target: ImportTarget, now: () => number, logger: Logger) {
    assertDistinctTables(target.store, source);
    this.#source = source;
    this.#target = target;
    this.#sql = source.format.statementsFor(source.table);
    this.#writes = importStatementsFor(target.store.table);
    this.#now = now;
    this.#logger = logger;
  }

  /**
   * The session `sid` moved in from the old table: the row now stored for it here, or `undefined` when
   * the old table has no live, readable session `sid` (an unreadable one is reported to the logger).
   * Two statements (a lookup, an insert), only for ids this store does not have.
   */
  async take(sid: string): Promise<StoredRow | undefined> {
    const { store } = this.#target;
    const [selected] = await querySource(store, this.#source, this.#sql.bySid, [sid]);
    if (selected === undefined) return undefined;
    const now = this.#now();
    const conversion = convertSourceRow(sourceRowOf(selected), this.#target, now);
    if (conversion.kind === "expired") return undefined;
    if (conversion.kind === "invalid") {
      report(
        this.#logger,
        `prisma-pg-session: readThrough: a session of ${this.#source.format.name}'s table ${this.#source.table.name} cannot be moved in (${conversion.reason}); the request gets a new session`,
      );
      return undefined;
    }
    const { row } = conversion;
    const at = new Date(now);
    const inserted = await store.query<{ id: string }>(this.#writes.insert, importValues([row], at), row.key);
    // Written here meanwhile (a concurrent request of the same session moved it first, or the app saved it): that row wins.
    if (inserted.length === 0) return store.readRow(row.key);
    return { a_session: row.text, expires_at: row.expiresAt, created_at: at };
  }

  /** Deletes the old rows of these session ids, so that a session ended here is not read through again. */
  async forget(sids: readonly string[]): Promise<void> {
    if (sids.length === 0) return;
    await querySource(this.#target.store, this.#source, this.#sql.deleteBySids, [sids]);
  }

  /** Deletes every row of the old table (the store's `clear()`: every session ended). */
  async forgetAll(): Promise<void> {
    await querySource(this.#target.store, this.#source, this.#sql.deleteAll, []);
  }
}

/**
 * The `readThrough` option, checked (before any SQL), or `undefined` when it is not given.
 * @throws TypeError naming what is wrong
 */
export function readThroughSource(option: unknown): SourceTable | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== "object" || option === null) {
    throw new TypeError('readThrough must be { from: "connect-pg-simple" | "prisma-session-store", table? }');
  }
  const unknown = Object.keys(option).filter((name) => !optionNames.has(name));
  if (unknown.length > 0) throw new TypeError(`readThrough: unknown option ${unknown.join(", ")} (expected from, table)`);
  const { from, table } = option as ReadThroughOption;
  return sourceTableOf(from, table, { from: "readThrough.from", table: "readThrough.table" });
}
