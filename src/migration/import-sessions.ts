import { importStatementsFor } from "../table/import-statements.ts";
import type { ImportTarget } from "./import-target.ts";
import { convertSourceRow, importValues, type ImportedRow } from "./session-conversion.ts";
import type { SelectedSourceRow, SourceStoreName } from "./source-format.ts";
import { sourceRowOf } from "./source-format.ts";
import { sourceTableOf } from "./source-formats.ts";
import { assertDistinctTables, querySource } from "./source-query.ts";

/** Options of {@link importSessions}. */
export interface ImportOptions {
  /** The store whose table the sessions come from. */
  from: SourceStoreName;
  /** Its table, or `schema.table`, in the same database. @default "session" (connect-pg-simple), "Session" (prisma-session-store) */
  sourceTable?: string | undefined;
  /** Rows read (and written) per statement. @default 1000 */
  batchSize?: number | undefined;
  /** Read, convert and count, but write nothing (`imported` is then what would be). @default false */
  dryRun?: boolean | undefined;
  /**
   * Stops the run after the batch in progress (`interrupted` in the summary). To continue, run it again:
   * it reads the old table from the start, and what is already here is skipped (`skippedExisting`).
   */
  signal?: AbortSignal | undefined;
  /** Called once the old table's rows are counted, before the first batch. */
  onStart?: ((total: number) => void) | undefined;
  /** Called after every batch. */
  onProgress?: ((progress: ImportProgress) => void) | undefined;
  /** The clock deciding what has expired, in ms since the epoch. @default Date.now */
  now?: (() => number) | undefined;
}

export interface ImportCounts {
  /** Rows of the old table read. */
  read: number;
  /** Sessions written here (in a dry run: that would be). */
  imported: number;
  /** Sessions already here (an earlier run, or the app since the cut-over): left as they are. */
  skippedExisting: number;
  /** Rows whose expiry has passed: not moved. */
  skippedExpired: number;
  /** Rows that cannot be moved (see `invalidRows`): left in the old table, not moved. */
  invalid: number;
}

// No old row's key is ever reported (in progress, summary or messages) but shortened: for
// connect-pg-simple it is the session id, a credential.
export interface ImportProgress extends ImportCounts {
  /** Rows in the old table when the run started. */
  total: number;
}

/** A row that could not be moved in. */
export interface InvalidSourceRow {
  /** The row's key in the old table, shortened to its first 8 characters (for connect-pg-simple it is the session id). */
  sourceId: string;
  reason: string;
}

export interface ImportSummary extends ImportCounts {
  from: SourceStoreName;
  sourceTable: string;
  table: string;
  dryRun: boolean;
  /** Rows in the old table when the run started. */
  total: number;
  /** The first {@link maxInvalidRowsListed} invalid rows and why. */
  invalidRows: InvalidSourceRow[];
  /** Stopped by `signal` before the end of the old table: run it again to continue. */
  interrupted: boolean;
}

const maxInvalidRowsListed = 100;

/** The first 8 characters of an old row's key: enough to find it, not a usable session id. */
function shortenedId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

/**
 * Copies the live sessions of connect-pg-simple's or @quixo3/prisma-session-store's table into
 * `target`'s table, as the adapter would have written them (same keys with `hashIds`, same serializer,
 * encryption included), a batch at a time in the old table's key order. The old table is only read. A
 * session already here is never overwritten (`ON CONFLICT DO NOTHING`), so a run can be repeated at
 * any point: what it already moved is counted as `skippedExisting`. Expired rows are skipped, and rows
 * that cannot be moved are counted as `invalid` with a reason, without stopping the run.
 * The adapters' `importSessions(store, options)` builds the target.
 * @throws TypeError for bad options (before any SQL); store errors as the store maps them
 */
export async function importSessionsInto(target: ImportTarget, options: ImportOptions): Promise<ImportSummary> {
  const { store } = target;
  const source = sourceTableOf(options.from, options.sourceTable);
  assertDistinctTables(store.table, source);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
  if ((options as { after?: unknown }).after !== undefined) {
    throw new TypeError("after is not an option: run the import again, it skips the sessions already here");
  }
  const dryRun = options.dryRun ?? false;
  const clock = options.now ?? Date.now;
  const sql = source.format.statementsFor(source.table);
  const writes = importStatementsFor(store.table);

  const counts: ImportCounts = { read: 0, imported: 0, skippedExisting: 0, skippedExpired: 0, invalid: 0 };
  const invalidRows: InvalidSourceRow[] = [];
  const [{ n: total } = { n: 0 }] = await querySource<{ n: number }>(store, store, source, sql.count, []);
  options.onStart?.(total);
  let after: string | undefined;
  let interrupted = false;
  for (;;) {
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    const rows =
      after === undefined
        ? await querySource<SelectedSourceRow>(store, store, source, sql.firstPage, [batchSize])
        : await querySource<SelectedSourceRow>(store, store, source, sql.nextPage, [after, batchSize]);
    if (rows.length === 0) break;
    const now = clock();
    const sessions: ImportedRow[] = [];
    for (const selected of rows) {
      counts.read += 1;
      const conversion = convertSourceRow(sourceRowOf(selected), target, now);
      if (conversion.kind === "session") sessions.push(conversion.row);
      else if (conversion.kind === "expired") counts.skippedExpired += 1;
      else {
        counts.invalid += 1;
        if (invalidRows.length < maxInvalidRowsListed)
          invalidRows.push({ sourceId: shortenedId(selected.source_id), reason: conversion.reason });
      }
    }
    if (sessions.length > 0) {
      const written = dryRun
        ? sessions.length - (await store.query<{ id: string }>(writes.existing, [sessions.map((row) => row.key)])).length
        : (await store.query<{ id: string }>(writes.insert, importValues(sessions, new Date(now)))).length;
      counts.imported += written;
      counts.skippedExisting += sessions.length - written;
    }
    after = rows[rows.length - 1]!.source_id;
    options.onProgress?.({ ...counts, total });
    if (rows.length < batchSize) break;
  }
  return {
    from: source.format.name,
    sourceTable: source.table.name,
    table: store.tableName,
    dryRun,
    total,
    ...counts,
    invalidRows,
    interrupted,
  };
}
