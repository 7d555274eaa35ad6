// What a layer (PgSessionStore, SessionManager, the web engine) calls at the points worth observing:
// one object that sends each to the layer's events and to its telemetry. Every method first checks
// whether anyone listens (one property read) or telemetry is on (one undefined check), and builds
// nothing otherwise.
import type { RowTurn } from "../store/row-turns.ts";
import { sessionHandle, type EventSink } from "./event-sink.ts";
import type { DestroyReason, SessionEventName } from "./session-events.ts";
import { telemetryFactory, type Telemetry } from "./telemetry.ts";
import { normalizeLockWaitThreshold, type ObservabilityOptions } from "./observability-options.ts";
import type { PostgresStore } from "../store/postgres-store.ts";

/** A layer's observability options, checked (see {@link checkObservability}). */
export interface CheckedObservability {
  lockWaitThresholdMs: number;
  telemetry: ((table: string) => Telemetry) | undefined;
}

/**
 * Checks a layer's observability options, and loads @opentelemetry/api for `telemetry: true`: call it
 * before opening anything (the layer's own store and pool), so that a bad option leaks nothing.
 * @throws RangeError, TypeError for bad options (see telemetryFactory)
 */
export function checkObservability(options: ObservabilityOptions): CheckedObservability {
  return { lockWaitThresholdMs: normalizeLockWaitThreshold(options.lockWaitThreshold), telemetry: telemetryFactory(options.telemetry) };
}

export class Observer {
  readonly #sink: EventSink;
  readonly #telemetry: Telemetry | undefined;
  readonly #table: string;
  readonly #now: () => number;
  readonly #lockWaitThresholdMs: number;
  readonly #stopBatches: (() => void) | undefined;

  /**
   * The observer of a layer on `store`, sending events to `sink`, timestamped by `now`. With telemetry,
   * the store's coalesced statements are measured too (`session.batch.size`), until close().
   */
  constructor(sink: EventSink, options: CheckedObservability, store: PostgresStore, now: () => number) {
    this.#lockWaitThresholdMs = options.lockWaitThresholdMs;
    this.#table = store.tableName;
    this.#telemetry = options.telemetry?.(this.#table);
    this.#sink = sink;
    this.#now = now;
    const telemetry = this.#telemetry;
    if (telemetry?.meterProvider !== undefined) {
      this.#stopBatches = store.observeBatches((statement, size) => telemetry.batch(statement, size), telemetry.meterProvider);
    }
  }

  /**
   * Whether operations must go through `run`: telemetry is on, or someone listens for failures. The
   * layers test this before making `run`'s closure, so an unobserved operation costs this test only.
   */
  get wraps(): boolean {
    return this.#telemetry !== undefined || this.#sink.listens("operationFailed");
  }

  /** Whether `event` is recorded: telemetry is on, or someone listens for it. */
  watches(event: SessionEventName): boolean {
    return this.#telemetry !== undefined || this.#sink.listens(event);
  }

  /** Runs `operation`: a span and a duration with telemetry, an `operationFailed` event when it fails. */
  run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const failed = (error: unknown, durationMs: number) => this.#failed(operation, error, durationMs);
    if (this.#telemetry !== undefined) return this.#telemetry.run(operation, fn, failed);
    return watched(fn, failed);
  }

  created(key: string): void {
    this.#telemetry?.created();
    if (this.#sink.listens("created")) this.#sink.emit("created", this.#row(key));
  }

  destroyed(key: string, reason: DestroyReason): void {
    this.#telemetry?.destroyed(reason);
    if (this.#sink.listens("destroyed")) this.#sink.emit("destroyed", { ...this.#row(key), reason });
  }

  expiredOnRead(key: string, expiredAt: number, reason: "expired" | "absoluteTimeout"): void {
    this.#telemetry?.expiredOnRead(reason);
    if (this.#sink.listens("expiredOnRead")) this.#sink.emit("expiredOnRead", { ...this.#row(key), expiredAt, reason });
  }

  writeSkipped(key: string, operation: string, reason: "unchanged" | "gone"): void {
    this.#telemetry?.writeSkipped(operation, reason);
    if (this.#sink.listens("writeSkipped")) this.#sink.emit("writeSkipped", { ...this.#row(key), operation, reason });
  }

  /**
   * Before a lock statement: its start time when anyone will want its duration, else `undefined`; with
   * a `turn`, the time the unit began waiting for its turn on the row (RowTurns).
   */
  lockStart(turn?: RowTurn): number | undefined {
    return this.#telemetry !== undefined || this.#sink.listens("lockWaited") ? (turn?.askedAt ?? performance.now()) : undefined;
  }

  /** After a lock statement that `lockStart` timed (nothing for `undefined`). */
  lockTaken(key: string, operation: string, start: number | undefined): void {
    if (start === undefined) return;
    const waitedMs = performance.now() - start;
    this.#telemetry?.lockWaited(operation, waitedMs);
    if (waitedMs >= this.#lockWaitThresholdMs && this.#sink.listens("lockWaited")) {
      this.#sink.emit("lockWaited", { ...this.#row(key), operation, waitedMs, thresholdMs: this.#lockWaitThresholdMs });
    }
  }

  /**
   * A prune run that started at `start` (performance.now()) deleted `count` rows, the oldest expired
   * of which expired at `oldest` (`null`: none), at `now` (ms since the epoch, the layer's clock).
   */
  pruned(count: number, start: number, oldest: Date | null, now: number): void {
    const lagMs = oldest === null ? undefined : Math.max(0, now - oldest.getTime());
    this.#telemetry?.pruned(count, lagMs);
    if (this.#sink.listens("pruned")) {
      this.#sink.emit("pruned", { table: this.#table, at: this.#now(), count, durationMs: performance.now() - start, lagMs });
    }
  }

  /** Whether the live sessions are to be counted after a prune (the `session.live` gauge). */
  get countsLive(): boolean {
    return this.#telemetry?.countsLive ?? false;
  }

  liveCounted(count: number): void {
    this.#telemetry?.liveCounted(count);
  }

  /** The layer is closed: its gauge stops reporting, and its store (maybe shared) no longer tells it of batches. */
  close(): void {
    this.#stopBatches?.();
    this.#telemetry?.close();
  }

  #failed(operation: string, error: unknown, durationMs: number): void {
    if (this.#sink.listens("operationFailed")) {
      this.#sink.emit("operationFailed", { table: this.#table, at: this.#now(), operation, error, durationMs });
    }
  }

  #row(key: string) {
    return { table: this.#table, at: this.#now(), handle: sessionHandle(key) };
  }
}

async function watched<T>(fn: () => Promise<T>, failed: (error: unknown, durationMs: number) => void): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } catch (error) {
    failed(error, performance.now() - start);
    throw error;
  }
}
