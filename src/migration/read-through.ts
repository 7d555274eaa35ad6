import type { StoredRow } from "../coalescer/session-rows.ts";
import { TableNotFoundError } from "../errors/store-errors.ts";
import type { PostgresStore } from "../store/postgres-store.ts";
import type { StoreTransaction } from "../store/store-transaction.ts";
import { importStatementsFor, type ImportStatements } from "../table/import-statements.ts";
import type { TableName } from "../table/table-name.ts";
import type { ImportTarget } from "./import-target.ts";
import { convertSourceRow, importValues, type Conversion } from "./session-conversion.ts";
import { sourceRowOf, type SelectedSourceRow, type SourceStatements, type SourceStoreName } from "./source-format.ts";
import { sourceTableOf, type SourceTable } from "./source-formats.ts";
import { assertDistinctTables, querySource, type SourceRunner } from "./source-query.ts";

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

/** How the target stores a session id: as itself, or as its `hashIds: true` hash (computable in SQL). */
export type StoredKeys = "sid" | "sha256";

/** Where a ReadThrough reports what it does not throw: a missing old table, an old row it cannot move in. */
export type ReadThroughReport = (message: string, error?: unknown) => void;

export interface ReadThroughSetup {
  source: SourceTable;
  target: ImportTarget;
  keys: StoredKeys;
  now: () => number;
  report: ReadThroughReport;
}

/** How many distinct unreadable old rows are remembered as reported (then the memory starts over). */
const reportedRowsKept = 1000;

const savepoint = "prisma_pg_session_read_through";

/**
 * Reads sessions this store does not have from the old store's table, during a cut-over. A session
 * found there, live and readable, is written here as the adapter would have written it (INSERT ... ON
 * CONFLICT DO NOTHING: a row written here meanwhile wins) and the old row is left where it is, so app
 * servers still on the old store keep their users too. Ending a session here must `forget` its old
 * row FIRST and only then delete the row here: `take` holds the old row locked against that delete
 * until its insert here has committed, so the delete here, which comes after, sees what it inserted.
 *
 * A missing old table (dropped while `readThrough` is still configured) is reported once to `report`
 * and otherwise treated as empty: nothing is read through, and ending a session still ends it here.
 */
export class ReadThrough {
  readonly #target: ImportTarget;
  readonly #source: SourceTable;
  readonly #sql: SourceStatements;
  readonly #writes: ImportStatements;
  readonly #keys: StoredKeys;
  readonly #now: () => number;
  readonly #report: ReadThroughReport;
  #missingReported = false;
  readonly #unreadableReported = new Set<string>();

  /** Nothing here throws: the option was checked by {@link readThroughSource}, before any store was opened. */
  constructor(setup: ReadThroughSetup) {
    this.#source = setup.source;
    this.#target = setup.target;
    this.#sql = setup.source.format.statementsFor(setup.source.table);
    this.#writes = importStatementsFor(setup.target.store.table);
    this.#keys = setup.keys;
    this.#now = setup.now;
    this.#report = setup.report;
  }

  /**
   * The session `sid` moved in from the old table: the row now stored for it here, or `undefined` when
   * the old table has no live, readable session `sid` (an unreadable one is reported, once per id).
   * One indexed SELECT for an id the old table does not have; for one it has, a transaction that
   * locks the old row (`FOR KEY SHARE`) before inserting here, so that a concurrent `forget` (a
   * logout) waits for the insert and the delete after it sees the row.
   */
  async take(sid: string): Promise<StoredRow | undefined> {
    const { store } = this.#target;
    const found = await this.#onOldTable(undefined, (runner) => querySource(runner, store, this.#source, this.#sql.bySid, [sid]));
    // Not there, expired or unreadable: no lock, no transaction.
    if (found?.[0] === undefined || this.#convert(sid, found[0]).kind !== "session") return undefined;
    return this.#onOldTable(undefined, () => store.transaction((tx) => this.#takeLocked(tx, sid), { isolationLevel: "ReadCommitted" }));
  }

  async #takeLocked(tx: StoreTransaction, sid: string): Promise<StoredRow | undefined> {
    const { store } = this.#target;
    const [selected] = await querySource(tx, store, this.#source, this.#sql.bySidLocked, [sid]);
    // Deleted meanwhile (a logout): it stays ended.
    if (selected === undefined) return undefined;
    const now = this.#now();
    const conversion = this.#convert(sid, selected, now);
    if (conversion.kind !== "session") return undefined;
    const { row } = conversion;
    const at = new Date(now);
    const inserted = await tx.query<{ id: string }>(this.#writes.insert, importValues([row], at), row.key);
    // Written here meanwhile (a concurrent request of the same session moved it first, or the app saved it): that row wins.
    if (inserted.length === 0) return (await tx.query<StoredRow>(this.#writes.row, [row.key], row.key))[0];
    return { a_session: row.text, expires_at: row.expiresAt, created_at: at };
  }

  #convert(sid: string, selected: SelectedSourceRow, now = this.#now()): Conversion {
    const conversion = convertSourceRow(sourceRowOf(selected), this.#target, now);
    if (conversion.kind === "invalid" && !this.#unreadableReported.has(sid)) {
      if (this.#unreadableReported.size >= reportedRowsKept) this.#unreadableReported.clear();
      this.#unreadableReported.add(sid);
      this.#report(
        `prisma-pg-session: readThrough: a session of ${this.#source.format.name}'s table ${this.#source.table.name} cannot be moved in (${conversion.reason}); the request gets a new session`,
      );
    }
    return conversion;
  }

  /**
   * Deletes the old rows of these session ids, so that a session ended here is not read through again.
   * Call it BEFORE deleting the row here (see the class). `tx`: the transaction the deletion here runs
   * in (a locked unit's), which this statement joins.
   */
  async forget(sids: readonly string[], tx?: StoreTransaction): Promise<void> {
    if (sids.length === 0) return;
    await this.#onOldTable(tx, (runner) => querySource(runner, this.#target.store, this.#source, this.#sql.deleteBySids, [sids]));
  }

  /**
   * Deletes the old rows of the sessions stored here under `keys` (a revoke knows keys, not session
   * ids): by id when ids are stored as they are; with `hashIds: true`, by computing each old row's key
   * in SQL, which reads the whole old table.
   */
  async forgetKeys(keys: readonly string[], tx?: StoreTransaction): Promise<void> {
    if (keys.length === 0) return;
    if (this.#keys === "sid") return this.forget(keys, tx);
    await this.#onOldTable(tx, (runner) => querySource(runner, this.#target.store, this.#source, this.#sql.deleteBySha256Keys, [keys]));
  }

  /** Deletes every row of the old table (the store's `clear()`: every session ended). */
  async forgetAll(): Promise<void> {
    await this.#onOldTable(undefined, (runner) => querySource(runner, this.#target.store, this.#source, this.#sql.deleteAll, []));
  }

  // Runs statements on the old table: in `tx`, or on the store's connection. Inside a transaction that
  // goes on after them (a locked unit's, a caller's with a transaction client) they run under a
  // savepoint, so that their failure does not abort it. A missing old table is reported once and
  // gives `undefined`; every other error is thrown.
  async #onOldTable<T>(tx: StoreTransaction | undefined, run: (runner: SourceRunner) => Promise<T>): Promise<T | undefined> {
    const { store } = this.#target;
    const runner: SourceRunner & Pick<StoreTransaction, "execute"> = tx ?? store;
    const guarded = tx !== undefined || store.joinsCallerTransaction;
    try {
      if (!guarded) return await run(runner);
      await runner.execute(`SAVEPOINT ${savepoint}`, []);
      let result: T;
      try {
        result = await run(runner);
      } catch (error) {
        await runner.execute(`ROLLBACK TO SAVEPOINT ${savepoint}`, []);
        throw error;
      }
      await runner.execute(`RELEASE SAVEPOINT ${savepoint}`, []);
      return result;
    } catch (error) {
      if (!(error instanceof TableNotFoundError) || error.table !== this.#source.table.name) throw error;
      this.#reportMissing(error);
      return undefined;
    }
  }

  #reportMissing(error: TableNotFoundError): void {
    if (this.#missingReported) return;
    this.#missingReported = true;
    this.#report(
      `prisma-pg-session: readThrough: ${error.message}. Until it can be read, no session is read through from it and ending a session ends it here only; remove the readThrough option once the old table is gone (reported once)`,
      error,
    );
  }
}

/** What {@link readThroughSource} checks the option against: the store's table and its `hashIds`. */
export interface ReadThroughContext {
  storeTable: TableName;
  hashIds: "none" | "sha256" | "hmac";
}

/**
 * The `readThrough` option, checked before any store is opened, or `undefined` when it is not given.
 * Refused with HMAC `hashIds` ({ secret }): a revoke knows only the keys of the sessions it ends, and
 * finding their old rows would mean hashing every old row's id with the secret (sending it to the
 * server, or reading the whole old table per revoke); the old rows would be read through again.
 * @throws TypeError naming what is wrong
 */
export function readThroughSource(option: unknown, context: ReadThroughContext): SourceTable | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== "object" || option === null) {
    throw new TypeError('readThrough must be { from: "connect-pg-simple" | "prisma-session-store", table? }');
  }
  const unknown = Object.keys(option).filter((name) => !optionNames.has(name));
  if (unknown.length > 0) throw new TypeError(`readThrough: unknown option ${unknown.join(", ")} (expected from, table)`);
  const { from, table } = option as ReadThroughOption;
  const source = sourceTableOf(from, table, { from: "readThrough.from", table: "readThrough.table" });
  assertDistinctTables(context.storeTable, source);
  if (context.hashIds === "hmac") {
    throw new TypeError(
      "readThrough cannot be combined with hashIds: { secret }: revoking a user's sessions could not find their copies in the old table, which would then be read through again. Move in with `prisma-pg-session import --hash-ids hmac` after the old servers are stopped, or use hashIds: true during the cut-over",
    );
  }
  return source;
}
