import { mapStatementError } from "../errors/map-database-error.ts";
import { lockQuery } from "../table/timed-lock.ts";
import { SessionNotFoundError } from "../errors/store-errors.ts";
import type { Queryable } from "../driver/driver.ts";
import { assertStorableId, assertStorablePayload, type SessionRecord } from "./session-record.ts";
import type { Statements } from "../table/contract-statements.ts";
import type { TableName } from "../table/table-name.ts";

/** What a {@link StoreTransaction} needs to know about its store. */
export interface StoreContext {
  table: TableName;
  statements: Statements;
  maxPayloadBytes: number;
  maxIdLength: number;
}

/**
 * Apache::Session's store contract bound to one connection: inside a transaction, `materialize` locks
 * the row until that transaction ends, and later `update`/`remove` run under the same lock. Made by
 * {@link PostgresStore.transaction}.
 */
export class StoreTransaction {
  readonly #client: Queryable;
  readonly #context: StoreContext;

  constructor(client: Queryable, context: StoreContext) {
    this.#client = client;
    this.#context = context;
  }

  /**
   * Runs a statement of your own in this transaction and returns its rows (errors mapped as the
   * store's, naming `sessionId` when given).
   */
  query<R>(sql: string, values: readonly unknown[], sessionId?: string): Promise<R[]> {
    return this.#run(sessionId, () => this.#client.query<R>(sql, values));
  }

  /** Like {@link query}, for a statement without rows. @returns the number of rows it affected */
  execute(sql: string, values: readonly unknown[], sessionId?: string): Promise<number> {
    return this.#run(sessionId, () => this.#client.execute(sql, values));
  }

  /** `INSERT`. @throws DuplicateSessionIdError if the id exists. */
  async insert(record: SessionRecord): Promise<void> {
    this.#checkPayload(record);
    await this.#run(record.id, () => this.#client.execute(this.#context.statements.insert, [record.id, record.serialized]));
  }

  /** `UPDATE`. @returns the number of rows changed: 0 when no row has this id (nothing is created). */
  async update(record: SessionRecord): Promise<number> {
    this.#checkPayload(record);
    return this.#run(record.id, () => this.#client.execute(this.#context.statements.update, [record.id, record.serialized]));
  }

  /**
   * `SELECT ... FOR UPDATE`: sets `record.serialized` and locks the row until the transaction ends.
   * With `lockTimeout` (`'5000ms'`), the wait for the lock is bounded by it (PostgreSQL's
   * `lock_timeout`, set by the same statement for the rest of the transaction).
   * @throws SessionNotFoundError "Object does not exist in the data store"
   */
  materialize(record: SessionRecord, lockTimeout?: string): Promise<SessionRecord> {
    const { materialize, materializeWithin } = this.#context.statements;
    return this.#select(record, ...lockQuery(materialize, materializeWithin, record.id, lockTimeout));
  }

  /** Like `materialize`, without the lock: what the last commit left. @throws SessionNotFoundError */
  fetch(record: SessionRecord): Promise<SessionRecord> {
    return this.#select(record, this.#context.statements.fetch, [record.id]);
  }

  async #select(record: SessionRecord, statement: string, values: unknown[]): Promise<SessionRecord> {
    this.#checkId(record.id);
    const rows = await this.#run(record.id, () => this.#client.query<{ a_session: string | null }>(statement, values));
    const row = rows[0];
    if (row === undefined) {
      throw new SessionNotFoundError("Object does not exist in the data store", {
        sessionId: record.id,
        table: this.#context.table.name,
      });
    }
    record.serialized = row.a_session;
    return record;
  }

  /** `DELETE`. @returns the number of rows removed: 0 when no row had this id. */
  async remove(record: Pick<SessionRecord, "id">): Promise<number> {
    this.#checkId(record.id);
    return this.#run(record.id, () => this.#client.execute(this.#context.statements.remove, [record.id]));
  }

  async #run<T>(sessionId: string | undefined, statement: () => Promise<T>): Promise<T> {
    try {
      return await statement();
    } catch (error) {
      throw mapStatementError(error, { sessionId, table: this.#context.table.name });
    }
  }

  #checkId(id: unknown): asserts id is string {
    assertStorableId(id, this.#context.table.name, this.#context.maxIdLength);
  }

  #checkPayload(record: SessionRecord): void {
    this.#checkId(record.id);
    assertStorablePayload(record.serialized, { sessionId: record.id, table: this.#context.table.name }, this.#context.maxPayloadBytes);
  }
}
