import type { Queryable } from "../driver/driver.ts";
import type { RowStatements } from "../table/row-statements.ts";
import { shapeOf, type RowWrite, type SessionRows, type StoredRow } from "./session-rows.ts";

// Times as ISO text, as the batch statements bind them: one instant on every path and driver.
export const iso = (date: Date) => date.toISOString();

/** The values of an upsert or update, for its shape: id, text, expiry[, time[, user id, user agent, ip]]. */
function rowWriteValues(op: RowWrite & { kind: "upsert" | "update" }): unknown[] {
  const { track } = op;
  if (track === undefined) return [op.id, op.text, iso(op.expiresAt)];
  if (track.owner === undefined) return [op.id, op.text, iso(op.expiresAt), iso(track.at)];
  return [op.id, op.text, iso(op.expiresAt), iso(track.at), track.owner.userId, track.owner.userAgent, track.owner.ip];
}

/** The single-row statement and values of a write. */
function oneRowWrite(statements: RowStatements["one"], op: RowWrite): [string, unknown[]] {
  switch (op.kind) {
    case "upsert":
    case "update":
      return [statements[op.kind][shapeOf(op)], rowWriteValues(op)];
    case "touch":
      return [statements.touch[op.track === true ? "tracked" : "plain"], [op.id, iso(op.now), iso(op.expiresAt), iso(op.staleBefore)]];
    case "destroy":
      return [statements.destroy, [op.ids]];
  }
}

/**
 * Runs a write's single-row statement on `db`. @returns what `SessionRows.write` returns: for an
 * upsert, 1 when it inserted the row and 0 when it updated one (its RETURNING tells), else rows changed
 */
export async function runOneRowWrite(db: Queryable, statements: RowStatements["one"], op: RowWrite): Promise<number> {
  const [sql, values] = oneRowWrite(statements, op);
  if (op.kind !== "upsert") return db.execute(sql, values);
  const [row] = await db.query<{ inserted: boolean }>(sql, values);
  return row?.inserted === true ? 1 : 0;
}

/** One statement per call (`batch: false`, and inside a caller's transaction). */
export class DirectRows implements SessionRows {
  readonly #db: Queryable;
  readonly #statements: RowStatements["one"];
  readonly #deleteMany: string;
  readonly #mapError: (error: unknown, sessionId: string) => unknown;

  constructor(db: Queryable, statements: RowStatements, mapError: (error: unknown, sessionId: string) => unknown) {
    this.#db = db;
    this.#statements = statements.one;
    this.#deleteMany = statements.many.destroy;
    this.#mapError = mapError;
  }

  async read(id: string): Promise<StoredRow | undefined> {
    try {
      return (await this.#db.query<StoredRow>(this.#statements.read, [id]))[0];
    } catch (error) {
      throw this.#mapError(error, id);
    }
  }

  async write(op: RowWrite): Promise<number> {
    try {
      return await runOneRowWrite(this.#db, this.#statements, op);
    } catch (error) {
      throw this.#mapError(error, op.kind === "destroy" ? op.ids[0]! : op.id);
    }
  }

  async deleteRows(ids: readonly string[]): Promise<string[]> {
    try {
      return (await this.#db.query<{ id: string }>(this.#deleteMany, [ids])).map((row) => row.id);
    } catch (error) {
      throw this.#mapError(error, ids[0]!);
    }
  }
}
