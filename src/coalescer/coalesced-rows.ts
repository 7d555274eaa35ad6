import DataLoader from "dataloader";
import type { Queryable } from "../driver/driver.ts";
import { sqlStateOf } from "../errors/map-database-error.ts";
import { StoreClosedError, StoreUnavailableError, TransactionTimeoutError } from "../errors/store-errors.ts";
import type { RowStatements } from "../table/row-statements.ts";
import { iso, runOneRowWrite } from "./direct-rows.ts";
import { idsOf, shapeOf, type RowWrite, type SessionRows, type StoredRow } from "./session-rows.ts";
import { PerIdOrder, type OrderedWrite } from "./per-id-order.ts";

interface PendingWrite extends OrderedWrite {
  resolve(changed: number): void;
  reject(error: unknown): void;
  /** A destroy of deleteRows(): told the ids it deleted (then `resolve` is not called). */
  deleted?: ((ids: string[]) => void) | undefined;
}

/** A batch statement's answer for one row. */
interface BatchRow {
  id: string;
  /** Only the skip-locked statements say (the others lock or wait for every row they write). */
  skipped?: boolean;
  inserted?: boolean;
}

// When a batch goes out: at the end of this turn of the event loop (setImmediate), not at the end of
// this tick. A server handles each request in its own I/O callback, and ticks end between them: a
// tick-scheduled batch (DataLoader's default) holds one request's statement, while a turn holds every
// request that arrived with it (measured over HTTP, 64 connections: about 20 per statement).
const atEndOfTurn = (flush: () => void) => void setImmediate(flush);

// The payload text one batch statement carries at most, in UTF-16 code units: the driver builds each
// array parameter as one string, and a few large sessions in one turn would otherwise exceed V8's
// string limit and fail everyone's write with them. A larger write goes alone.
const maxBatchText = 4 * 1024 * 1024;

// Failures that are not any one caller's doing: retrying each write alone would only multiply the
// load on a database that is down or overloaded. Each caller still gets an error of its own.
const sharedFailures = [StoreUnavailableError, TransactionTimeoutError, StoreClosedError];

// A batch statement that waited too long for a row lock (the bounded statements' 50 ms), or that a
// deadlock ended.
const lockWaits = ["55P03", "40P01"];

/**
 * Concurrent calls coalesced: reads issued in one turn of the event loop go out as one
 * `WHERE id = ANY($1)`, writes as one statement per kind and column set, each of unnested arrays. Rows
 * are matched to callers by `id::text`, which is the id itself: stored ids never end in spaces (char(n)
 * would drop them), since the store refuses such ids before any call gets here. A batch of one uses the
 * single-row statement, so an idle app pays nothing.
 *
 * What one caller does never fails, stalls, reorders or undoes another's write:
 * - a batch statement that fails is retried one write per statement, so only the caller at fault
 *   fails, with an error of its own (values that cannot be stored are refused per caller before
 *   batching, by the store);
 * - a batch waits at most 50 ms on a row lock (the bounded statements), then goes again with the
 *   skip-locked statements, which never wait: rows another transaction holds are written alone
 *   afterwards. Rows go in key order, and the skip-locked statements lock them in key order, so two
 *   servers' batches do not deadlock (and one that would ends in a lock timeout first);
 * - the writes of one id run one at a time in the order they were issued (per-id-order.ts), so a save
 *   never overtakes an earlier one nor a destroy, and at most one statement of this process waits on
 *   a given row.
 */
export class CoalescedRows implements SessionRows {
  readonly #db: Queryable;
  readonly #statements: RowStatements;
  readonly #mapError: (error: unknown, sessionId: string) => unknown;
  readonly #maxBatch: number;
  readonly #reads: DataLoader<string, StoredRow | undefined>;
  readonly #order = new PerIdOrder<PendingWrite>((write) => this.#queue(write));
  #writes: PendingWrite[] = [];
  // False once the database refused the bounded or skip-locked statements (0A000: Citus refuses
  // volatile functions in the condition of a write, and FOR UPDATE, on a table distributed over
  // shards): batches then take the plain statements, which wait on locked rows.
  #bounded = true;
  // Telemetry's `session.batch.size` of each layer on this store, with where each records (see
  // observeBatches). Empty but for layers with telemetry on.
  readonly #batchObservers = new Map<(statement: string, size: number) => void, unknown>();

  constructor(db: Queryable, statements: RowStatements, mapError: (error: unknown, sessionId: string) => unknown, maxBatch: number) {
    this.#db = db;
    this.#statements = statements;
    this.#mapError = mapError;
    this.#maxBatch = maxBatch;
    this.#reads = new DataLoader((ids) => this.#readMany(ids), { cache: false, maxBatchSize: maxBatch, batchScheduleFn: atEndOfTurn });
  }

  async read(id: string): Promise<StoredRow | undefined> {
    try {
      return await this.#reads.load(id);
    } catch (error) {
      throw this.#mapError(error, id);
    }
  }

  write(op: RowWrite): Promise<number> {
    return new Promise((resolve, reject) => this.#order.issue({ op, resolve, reject }));
  }

  deleteRows(ids: readonly string[]): Promise<string[]> {
    return new Promise((deleted, reject) => this.#order.issue({ op: { kind: "destroy", ids }, resolve: () => undefined, reject, deleted }));
  }

  /**
   * Reports each statement sent to `observe` (with every other observer): its kind (`read`, or the
   * write's kind) and how many calls it carries. Of observers given the same `sink` (where they
   * record: a MeterProvider), one is told, so that a statement is recorded once there.
   * @returns what stops it
   */
  observeBatches(observe: (statement: string, size: number) => void, sink?: unknown): () => void {
    this.#batchObservers.set(observe, sink);
    return () => void this.#batchObservers.delete(observe);
  }

  #queue(write: PendingWrite): void {
    if (this.#writes.length === 0) atEndOfTurn(() => this.#flushWrites());
    this.#writes.push(write);
  }

  #observeBatch(statement: string, size: number): void {
    const told: unknown[] = [];
    for (const [observe, sink] of this.#batchObservers) {
      if (sink !== undefined) {
        if (told.includes(sink)) continue;
        told.push(sink);
      }
      observe(statement, size);
    }
  }

  async #readMany(ids: readonly string[]): Promise<Array<StoredRow | undefined>> {
    if (this.#batchObservers.size > 0) this.#observeBatch("read", ids.length);
    if (ids.length === 1) return [(await this.#db.query<StoredRow>(this.#statements.one.read, [ids[0]]))[0]];
    const rows = await this.#db.query<StoredRow & { id: string }>(this.#statements.many.read, [ids]);
    const byKey = new Map(rows.map(({ id, ...row }) => [id, row]));
    return ids.map((id) => byKey.get(id));
  }

  // Every id occurs at most once among the writes queued (PerIdOrder holds back a later write of an id
  // until the earlier one has settled), so the statements of one flush run side by side.
  #flushWrites(): void {
    const writes = this.#writes;
    this.#writes = [];
    // One statement per kind and column set: writes that set different columns cannot share one.
    const byKind = new Map<string, PendingWrite[]>();
    for (const write of writes) {
      const key = `${write.op.kind}:${shapeOf(write.op)}`;
      const group = byKind.get(key);
      if (group === undefined) byKind.set(key, [write]);
      else group.push(write);
    }
    for (const group of byKind.values()) {
      let batch: PendingWrite[] = [];
      let text = 0;
      for (const write of group) {
        const size = "text" in write.op ? write.op.text.length : 0;
        if (size > maxBatchText) {
          void this.#writeGroup([write]);
          continue;
        }
        if (batch.length === this.#maxBatch || text + size > maxBatchText) {
          void this.#writeGroup(batch);
          batch = [];
          text = 0;
        }
        batch.push(write);
        text += size;
      }
      if (batch.length > 0) void this.#writeGroup(batch);
    }
  }

  // One statement for writes of one kind to distinct ids; never rejects (its callers do).
  async #writeGroup(group: PendingWrite[]): Promise<void> {
    if (this.#batchObservers.size > 0) this.#observeBatch(group[0]!.op.kind, group.length);
    if (group.length === 1 && group[0]!.deleted === undefined) return this.#writeAlone(group[0]!);
    let rows: BatchRow[];
    const ops = group.map((write) => write.op);
    try {
      rows = await this.#batch(ops, this.#bounded ? "bounded" : "many");
    } catch (error) {
      // A row another transaction holds (for 50 ms and counting): the batch again, without waiting
      // for it (it comes back as skipped, and is written alone below). Nothing else pays for the split.
      if (!this.#bounded || !lockWaits.includes(sqlStateOf(error) ?? "")) return this.#isolate(group, error);
      try {
        rows = await this.#batch(ops, "skipLocked");
      } catch (again) {
        return this.#isolate(group, again);
      }
    }
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const write of group) {
      const ids = idsOf(write.op);
      // A row another transaction holds: written alone, where waiting for it delays only this caller.
      if (ids.some((id) => byId.get(id)?.skipped === true)) {
        void this.#writeAlone(
          write,
          ids.filter((id) => byId.get(id)?.skipped === false),
        );
        continue;
      }
      if (write.op.kind === "upsert") {
        // Every upsert writes its row; RETURNING tells which rows it inserted.
        this.#settle(write, byId.get(write.op.id)?.inserted === true ? 1 : 0);
        continue;
      }
      this.#settle(
        write,
        ids.filter((id) => byId.has(id)),
      );
    }
  }

  // A batch statement failed: nothing of it was written (one statement is one transaction). Unless the
  // failure is nobody's doing, each write is retried alone, so that only the caller at fault fails.
  async #isolate(group: PendingWrite[], error: unknown): Promise<void> {
    if (sqlStateOf(error) === "0A000") this.#bounded = false;
    const mapped = this.#mapError(error, idsOf(group[0]!.op)[0]!);
    if (sharedFailures.some((kind) => mapped instanceof kind)) {
      for (const write of group) this.#fail(write, this.#mapError(error, idsOf(write.op)[0]!));
      return;
    }
    await Promise.all(group.map((write) => this.#writeAlone(write)));
  }

  // One write in its own statement (the single-row form, which waits on a held row lock); `done`: ids
  // of a destroy that a batch already deleted.
  async #writeAlone(write: PendingWrite, done: readonly string[] = []): Promise<void> {
    const { op } = write;
    try {
      if (write.deleted === undefined) {
        const changed = await runOneRowWrite(this.#db, this.#statements.one, op);
        this.#settle(write, op.kind === "destroy" ? changed + done.length : changed);
        return;
      }
      const rest = idsOf(op).filter((id) => !done.includes(id));
      const rows = await this.#db.query<{ id: string }>(this.#statements.many.destroy, [rest]);
      this.#settle(write, [...done, ...rows.map((row) => row.id)]);
    } catch (error) {
      this.#fail(write, this.#mapError(error, idsOf(op)[0]!));
    }
  }

  // `result`: rows changed (or, for an upsert, inserted), or the ids a destroy deleted.
  #settle(write: PendingWrite, result: number | string[]): void {
    this.#order.settled(write);
    if (typeof result === "number") write.resolve(result);
    else if (write.deleted === undefined) write.resolve(result.length);
    else write.deleted(result);
  }

  #fail(write: PendingWrite, error: unknown): void {
    this.#order.settled(write);
    write.reject(error);
  }

  // Every op here has the kind and shape of the first (see #flushWrites). Rows go in key order, so
  // that the rows a statement inserts (and waits on, when another transaction inserts the same id) are
  // taken in one order by every server.
  #batch(ops: RowWrite[], form: "bounded" | "skipLocked" | "many"): Promise<BatchRow[]> {
    const [sql, values] = this.#manyRowWrite(ops, form);
    return this.#db.query<BatchRow>(sql, values);
  }

  #manyRowWrite(unsorted: RowWrite[], form: "bounded" | "skipLocked" | "many"): [string, unknown[]] {
    const many = this.#statements[form];
    const ops = unsorted.length > 1 ? [...unsorted].sort(byFirstId) : unsorted;
    const first = ops[0]!;
    switch (first.kind) {
      case "upsert":
      case "update": {
        const writes = ops as Array<RowWrite & { kind: "upsert" | "update" }>;
        const shape = shapeOf(first);
        const values: unknown[][] = [writes.map((o) => o.id), writes.map((o) => o.text), writes.map((o) => iso(o.expiresAt))];
        if (shape !== "plain") values.push(writes.map((o) => iso(o.track!.at)));
        if (shape === "owned") {
          values.push(
            writes.map((o) => o.track!.owner!.userId),
            writes.map((o) => o.track!.owner!.userAgent),
            writes.map((o) => o.track!.owner!.ip),
          );
        }
        return [many[first.kind][shape], values];
      }
      case "touch": {
        const touches = ops as Array<RowWrite & { kind: "touch" }>;
        return [
          many.touch[first.track === true ? "tracked" : "plain"],
          [
            touches.map((o) => o.id),
            touches.map((o) => iso(o.now)),
            touches.map((o) => iso(o.expiresAt)),
            touches.map((o) => iso(o.staleBefore)),
          ],
        ];
      }
      case "destroy":
        return [many.destroy, [ops.flatMap(idsOf).sort()]];
    }
  }
}

function byFirstId(a: RowWrite, b: RowWrite): number {
  const x = idsOf(a)[0]!;
  const y = idsOf(b)[0]!;
  return x < y ? -1 : x > y ? 1 : 0;
}
