import { withCallerStack } from "../errors/caller-stack.ts";
import { mapDatabaseError, mapStatementError } from "../errors/map-database-error.ts";
import { SessionNotFoundError, StoreClosedError } from "../errors/store-errors.ts";
import { CoalescedRows } from "../coalescer/coalesced-rows.ts";
import { DirectRows } from "../coalescer/direct-rows.ts";
import type { RowWrite, SessionRows, StoredRow } from "../coalescer/session-rows.ts";
import { transactionDefaults, type Driver, type Queryable, type TransactionOptions } from "../driver/driver.ts";
import { openDriver } from "../driver/open-driver.ts";
import { assertStorableId, assertStorablePayload, type SessionRecord } from "./session-record.ts";
import { statementsFor } from "../table/contract-statements.ts";
import {
  normalizeStoreOptions,
  normalizeTransactionOptions,
  type NormalizedStoreOptions,
  type PostgresStoreOptions,
} from "./store-options.ts";
import { StoreTransaction, type StoreContext } from "./store-transaction.ts";
import { storableWrite } from "./storable-write.ts";
import { withinDeadline } from "./unit-deadline.ts";
import { RowTurns, type LockTurn } from "./row-turns.ts";
import type { TableName } from "../table/table-name.ts";
import { tableIdentityStatement } from "../table/identity-statement.ts";
import { rowStatementsFor } from "../table/row-statements.ts";

// Thrown through the driver's transaction to roll back a unit of work that succeeded when `commit` is false.
class Rollback {
  constructor(readonly result: unknown) {}
}

/**
 * `Apache::Session::Store::Postgres` on Prisma: `insert` / `update` / `materialize` / `remove` on the
 * sessions table. `transaction(fn)` is Apache::Session's store lifetime: one interactive transaction in which
 * `materialize` holds the row lock until `fn` settles; commit on success, rollback on throw.
 */
export class PostgresStore {
  readonly #driver: Driver;
  readonly #rows: SessionRows;
  readonly #options: NormalizedStoreOptions;
  readonly #context: StoreContext;
  readonly #turns = new RowTurns();
  #closing: Promise<void> | undefined;
  #identity: Promise<string> | undefined;

  constructor(options: PostgresStoreOptions) {
    this.#options = normalizeStoreOptions(options);
    const { table, maxPayloadBytes, maxIdLength } = this.#options;
    this.#context = { table, statements: statementsFor(table), maxPayloadBytes, maxIdLength };
    this.#driver = openDriver(this.#options.driver);
    if (this.#driver.joinsCallerTransaction && options.commit === false) {
      throw new TypeError("`commit` cannot be set with a transaction client: its owner commits or rolls back");
    }
    const mapError = (error: unknown, sessionId: string) => mapStatementError(error, { sessionId, table: table.name });
    const rowStatements = rowStatementsFor(table);
    // Coalescing needs statements that commit on their own: not in a caller's transaction, not in a dry run.
    const { batch, commit } = this.#options;
    this.#rows =
      batch !== false && commit && !this.#driver.joinsCallerTransaction
        ? new CoalescedRows(this.#driver, rowStatements, mapError, batch)
        : new DirectRows(this.#driver, rowStatements, mapError);
  }

  /** The validated table name, as given (`sessions`, `app.sessions`). */
  get tableName(): string {
    return this.#context.table.name;
  }

  /** The validated table name with its quoted SQL spelling, for building statements on it. */
  get table(): TableName {
    return this.#context.table;
  }

  /**
   * The table as the server resolves it (server, database, schema, table), looked up once: what tells
   * that two spellings name one table. A missing table is known by its spelling.
   */
  tableIdentity(): Promise<string> {
    // Only a resolved name is kept: a table created later (ensureSchema) is then resolved too.
    const lookup = (this.#identity ??= this.query<{ identity: string }>(tableIdentityStatement, [this.#context.table.sql]).then((rows) => {
      if (rows[0] === undefined) this.#identity = undefined;
      return rows[0]?.identity ?? this.#context.table.name;
    }));
    lookup.catch(() => (this.#identity = undefined));
    return lookup;
  }

  /** Width of the id column (the `maxIdLength` option). */
  get maxIdLength(): number {
    return this.#context.maxIdLength;
  }

  /** True when the store runs inside a caller's transaction (a transaction client was given). */
  get joinsCallerTransaction(): boolean {
    return this.#driver.joinsCallerTransaction;
  }

  /**
   * Runs `fn` in one interactive transaction (with a transaction client: in the caller's). Row locks
   * taken by `materialize` last until `fn` settles. Commits when `fn` resolves (unless `commit: false`),
   * rolls back when it throws and rethrows its error.
   */
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return withCallerStack(() => this.#transaction(fn, normalizeTransactionOptions(options)));
  }

  /**
   * `transaction(fn)` for a unit that starts by locking row `key`. It first waits for its turn behind
   * the other units of this store on that key (RowTurns), holding no connection, for at most
   * `lockTimeout` ms (default: the transaction's timeout; LockTimeoutError after). `fn` gets the turn,
   * to take the lock in (`lockInTurn`), which ends it. The lock statement's `lock_timeout` is what is
   * left of `lockTimeout`, by default the transaction's timeout: a lock wait never outlives its unit
   * (a rollback cannot reach a connection still waiting for a lock).
   */
  lockedTransaction<T>(
    key: string,
    lockTimeout: number | undefined,
    fn: (tx: StoreTransaction, turn: LockTurn) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    return withCallerStack(async () => {
      this.#assertOpen();
      const settings = normalizeTransactionOptions(options);
      const joined = this.#driver.joinsCallerTransaction;
      const timeout = settings.timeout ?? this.#options.transaction.timeout ?? transactionDefaults.timeout;
      const turn = await this.#turns.take(key, Math.min(lockTimeout ?? timeout, 2 ** 31 - 1), this.#context.table.name);
      const left = lockTimeout === undefined ? undefined : Math.max(1, Math.ceil(lockTimeout - turn.waitedMs));
      const lockTurn: LockTurn = { ...turn, joined, lockTimeoutMs: left ?? (joined ? undefined : Math.ceil(timeout)) };
      try {
        return await this.#transaction((tx) => fn(tx, lockTurn), settings);
      } finally {
        turn.end();
      }
    });
  }

  async #transaction<T>(fn: (tx: StoreTransaction) => Promise<T>, options: TransactionOptions): Promise<T> {
    this.#assertOpen();
    const driver = this.#driver;
    if (driver.joinsCallerTransaction) return fn(new StoreTransaction(driver, this.#context));
    const commit = this.#options.commit;
    const settings = { ...this.#options.transaction, ...options };
    const timeout = settings.timeout ?? transactionDefaults.timeout;
    try {
      return await driver.transaction(async (tx: Queryable) => {
        const unit = withinDeadline(fn(new StoreTransaction(tx, this.#context)), timeout);
        // The driver may have given up on the transaction at the same deadline and no longer await it.
        unit.catch(() => undefined);
        const result = await unit;
        if (!commit) throw new Rollback(result);
        return result;
      }, settings);
    } catch (error) {
      if (error instanceof Rollback) return error.result as T;
      throw mapDatabaseError(error, { table: this.#context.table.name });
    }
  }

  /** `INSERT` in its own transaction. @throws DuplicateSessionIdError */
  insert(record: SessionRecord): Promise<void> {
    return this.alone((tx) => tx.insert(record));
  }

  /** `UPDATE` in its own transaction. @returns rows changed (0: no such id, nothing created). */
  update(record: SessionRecord): Promise<number> {
    return this.alone((tx) => tx.update(record));
  }

  /** `SELECT ... FOR UPDATE` in its own transaction, so the lock ends with the call. */
  materialize(record: SessionRecord): Promise<SessionRecord> {
    return this.alone((tx) => tx.materialize(record));
  }

  /** A read without lock (not in Apache::Session). @throws SessionNotFoundError */
  fetch(record: SessionRecord): Promise<SessionRecord> {
    if (!this.#options.commit) return this.alone((tx) => tx.fetch(record));
    return withCallerStack(async () => {
      const row = await this.readRow(record.id);
      if (row === undefined) {
        throw new SessionNotFoundError("Object does not exist in the data store", { sessionId: record.id, table: this.tableName });
      }
      record.serialized = row.a_session;
      return record;
    });
  }

  /** `DELETE` in its own transaction. @returns rows removed (0: no such id). */
  remove(record: Pick<SessionRecord, "id">): Promise<number> {
    if (!this.#options.commit) return this.alone((tx) => tx.remove(record));
    return withCallerStack(async () => this.writeRow({ kind: "destroy", ids: [record.id] }));
  }

  /**
   * Runs one statement of your own on the store's client (in the caller's transaction, with a
   * transaction client) and returns its rows. Database errors are mapped as for the store's own operations.
   * For extensions such as the express adapter: values must be bound parameters, never spliced in.
   */
  // No caller-stack capture here: these run on every request of the adapters, and a capture costs
  // about a third of a get's client CPU (measured by the benchmark).
  async query<R>(sql: string, values: readonly unknown[], sessionId?: string): Promise<R[]> {
    this.#assertOpen();
    try {
      return await this.#driver.query<R>(sql, values);
    } catch (error) {
      throw mapStatementError(error, { sessionId, table: this.#context.table.name });
    }
  }

  /**
   * The row `id`, whatever its expiry, or `undefined`: for the adapters. Concurrent reads are coalesced
   * into one statement (unless `batch: false`). @throws InvalidSessionIdError before any SQL
   */
  readRow(id: string): Promise<StoredRow | undefined> {
    this.#assertOpen();
    this.assertStorableId(id);
    return this.#rows.read(id);
  }

  /**
   * A write to rows by id, for the adapters; concurrent writes are coalesced per kind, each id's in the
   * order issued. Settles when its own statement has committed. @returns rows changed; for an upsert,
   * 1 when it inserted the row, 0 when it updated an existing one
   */
  writeRow(op: RowWrite): Promise<number> {
    this.#assertOpen();
    if (op.kind === "destroy") for (const id of op.ids) this.assertStorableId(id);
    else this.assertStorableId(op.id);
    return this.#rows.write(storableWrite(op));
  }

  /**
   * A destroy write (coalesced and ordered as `writeRow`'s) that tells which of `ids` it deleted, in
   * one statement. @returns the ids of the rows deleted
   */
  deleteRows(ids: readonly string[]): Promise<string[]> {
    this.#assertOpen();
    for (const id of ids) this.assertStorableId(id);
    return this.#rows.deleteRows(ids);
  }

  /**
   * Reports each coalesced statement's kind (`read`, `upsert`, `update`, `touch`, `destroy`) and the
   * number of calls it carries: the layers' `session.batch.size` metric. Nothing without coalescing
   * (`batch: false`, a transaction client, `commit: false`). Every observer given is told (but one of
   * those with the same `sink`, where they record), until the function returned is called (a layer's
   * close()). @returns what detaches `observe`
   */
  observeBatches(observe: (statement: string, size: number) => void, sink?: unknown): () => void {
    return this.#rows instanceof CoalescedRows ? this.#rows.observeBatches(observe, sink) : () => undefined;
  }

  /** Like {@link query}, for a statement without rows. @returns the number of rows it affected. */
  async execute(sql: string, values: readonly unknown[], sessionId?: string): Promise<number> {
    this.#assertOpen();
    try {
      return await this.#driver.execute(sql, values);
    } catch (error) {
      throw mapStatementError(error, { sessionId, table: this.#context.table.name });
    }
  }

  /** Checks an id as the store's operations do (printable ASCII, fits the id column). @throws InvalidSessionIdError */
  assertStorableId(id: unknown): asserts id is string {
    assertStorableId(id, this.#context.table.name, this.#context.maxIdLength);
  }

  /** Checks a payload as `insert`/`update` do. @throws CorruptPayloadError, PayloadTooLargeError */
  assertStorablePayload(serialized: unknown, sessionId: string): asserts serialized is string | null {
    assertStorablePayload(serialized, { sessionId, table: this.#context.table.name }, this.#context.maxPayloadBytes);
  }

  /**
   * Stops the store. Ends the pool only if the store opened it ("if we open the connection, we close
   * the connection"); a given `prisma` client or `pgPool` stays open, and the `onPoolError` listener
   * added to a given pool is removed. Idempotent; later calls fail with StoreClosedError.
   */
  close(): Promise<void> {
    this.#closing ??= this.#driver.close();
    return this.#closing;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Runs `operation` as the store's single operations (`insert`, `update`...) run: on the store's
   * client without a transaction of its own, since a single statement is already its own transaction
   * in PostgreSQL (in the caller's, with a transaction client); with `commit: false`, in a transaction
   * rolled back at its end. For layers built on the store that send statements of their own.
   */
  alone<T>(operation: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return withCallerStack(async () => {
      this.#assertOpen();
      if (!this.#options.commit) return this.#transaction(operation, {});
      return operation(new StoreTransaction(this.#driver, this.#context));
    });
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) {
      throw new StoreClosedError("The session store is closed", { table: this.#context.table.name });
    }
  }
}
