import DataLoader from "dataloader";
import type { Queryable } from "../driver/driver.ts";
import type { RowStatements } from "../table/row-statements.ts";
import { runOneRowWrite } from "./direct-rows.ts";
import { idsOf, shapeOf, type RowWrite, type SessionRows, type StoredRow } from "./session-rows.ts";
import { writeRounds } from "./write-rounds.ts";

interface PendingWrite {
  op: RowWrite;
  resolve(changed: number): void;
  reject(error: unknown): void;
  /** A destroy of deleteRows(): told the ids it deleted (then `resolve` is not called). */
  deleted?: ((ids: string[]) => void) | undefined;
}

// When a batch goes out: at the end of this turn of the event loop (setImmediate), not at the end of
// this tick. A server handles each request in its own I/O callback, and ticks end between them: a
// tick-scheduled batch (DataLoader's default) holds one request's statement, while a turn holds every
// request that arrived with it (measured over HTTP, 64 connections: about 20 per statement).
const atEndOfTurn = (flush: () => void) => void setImmediate(flush);

const iso = (date: Date) => date.toISOString();

/**
 * Concurrent calls coalesced: reads issued in one turn of the event loop go out as one
 * `WHERE id = ANY($1)`, writes as
 * one statement per kind and round (see write-rounds.ts), each of unnested arrays. Rows are matched to
 * callers by `id::text`, which is the id itself: stored ids never end in spaces (char(n) would drop
 * them), since the store refuses such ids before any call gets here. A batch of one uses
 * the single-row statement, so an idle app pays nothing. Every caller settles when its own statement
 * has committed; a failed statement fails only the callers in it, each with an error naming its id.
 */
export class CoalescedRows implements SessionRows {
  readonly #db: Queryable;
  readonly #statements: RowStatements;
  readonly #mapError: (error: unknown, sessionId: string) => unknown;
  readonly #maxBatch: number;
  readonly #reads: DataLoader<string, StoredRow | undefined>;
  #writes: PendingWrite[] = [];
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
    return new Promise((resolve, reject) => this.#queue({ op, resolve, reject }));
  }

  deleteRows(ids: readonly string[]): Promise<string[]> {
    return new Promise((deleted, reject) => this.#queue({ op: { kind: "destroy", ids }, resolve: () => undefined, reject, deleted }));
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
    if (this.#writes.length === 0) atEndOfTurn(() => void this.#flushWrites());
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

  async #flushWrites(): Promise<void> {
    const writes = this.#writes;
    this.#writes = [];
    for (const round of writeRounds(writes)) {
      // One statement per kind and column set: writes that set different columns cannot share one.
      const byKind = new Map<string, PendingWrite[]>();
      for (const write of round) {
        const key = `${write.op.kind}:${shapeOf(write.op)}`;
        const group = byKind.get(key);
        if (group === undefined) byKind.set(key, [write]);
        else group.push(write);
      }
      const statements: Array<Promise<void>> = [];
      for (const group of byKind.values()) {
        for (let start = 0; start < group.length; start += this.#maxBatch) {
          statements.push(this.#writeGroup(group.slice(start, start + this.#maxBatch)));
        }
      }
      await Promise.all(statements);
    }
  }

  // One statement for writes of one kind to distinct ids; never rejects (its callers do).
  async #writeGroup(group: PendingWrite[]): Promise<void> {
    try {
      if (this.#batchObservers.size > 0) this.#observeBatch(group[0]!.op.kind, group.length);
      if (group.length === 1 && group[0]!.deleted === undefined) {
        group[0]!.resolve(await runOneRowWrite(this.#db, this.#statements.one, group[0]!.op));
        return;
      }
      const [sql, values] = this.#manyRowWrite(group.map((write) => write.op));
      const rows = await this.#db.query<{ id: string; inserted?: boolean }>(sql, values);
      if (group[0]!.op.kind === "upsert") {
        // Every upsert writes its row; RETURNING tells which rows it inserted.
        const inserted = new Set(rows.filter((row) => row.inserted === true).map((row) => row.id));
        for (const { op, resolve } of group) resolve(inserted.has(idsOf(op)[0]!) ? 1 : 0);
        return;
      }
      const changed = new Set(rows.map((row) => row.id));
      for (const { op, resolve, deleted } of group) {
        const ids = idsOf(op).filter((id) => changed.has(id));
        if (deleted === undefined) resolve(ids.length);
        else deleted(ids);
      }
    } catch (error) {
      for (const { op, reject } of group) reject(this.#mapError(error, idsOf(op)[0]!));
    }
  }

  // Every op here has the kind and shape of the first (see #flushWrites).
  #manyRowWrite(ops: RowWrite[]): [string, unknown[]] {
    const many = this.#statements.many;
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
        return [many.destroy, [ops.flatMap(idsOf)]];
    }
  }
}
