// OpenTelemetry metrics and spans of one layer (one PgSessionStore, SessionManager or web engine).
// `@opentelemetry/api` is an optional peer: it is loaded (synchronously, by createRequire) only for
// `telemetry: true`, to reach its global providers; given providers need nothing from it. With
// telemetry off no Telemetry exists, and the layers' hot paths test one field for undefined.
import { createRequire } from "node:module";
import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  ObservableGauge,
  ObservableResult,
  Span,
  SpanOptions,
  Tracer,
  TracerProvider,
} from "@opentelemetry/api";
import type { TelemetryOption } from "./observability-options.ts";

type OpenTelemetryApi = typeof import("@opentelemetry/api");

/** The instrumentation scope of every meter and tracer. */
const instrumentationName = "prisma-pg-session";

// @opentelemetry/api's SpanKind.INTERNAL and SpanStatusCode.ERROR: stable numbers of its API.
const spanKindInternal = 0;
const spanStatusError = 2;

const secondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const batchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
const lagBuckets = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600, 86400];

/**
 * What makes the telemetry `option` asks for, on a table; `undefined` when it asks for none (then
 * nothing is loaded). Everything that can refuse the option happens here, before the layer opens
 * anything (a pool of its own).
 * @throws TypeError for `true` without @opentelemetry/api installed, or an option of the wrong shape
 */
export function telemetryFactory(option: TelemetryOption | undefined): ((table: string) => Telemetry) | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) {
    const api = loadApi();
    return (table) => new Telemetry(api.metrics.getMeterProvider(), api.trace.getTracerProvider(), true, table);
  }
  if (typeof option !== "object" || option === null) {
    throw new TypeError("telemetry must be true, false or { meterProvider?, tracerProvider?, liveSessions? }");
  }
  const { meterProvider, tracerProvider, liveSessions = true, ...rest } = option;
  const unknown = Object.keys(rest).filter((key) => (rest as Record<string, unknown>)[key] !== undefined);
  if (unknown.length > 0) throw new TypeError(`telemetry does not use ${unknown.join(", ")} (meterProvider, tracerProvider, liveSessions)`);
  if (meterProvider !== undefined && typeof meterProvider?.getMeter !== "function") {
    throw new TypeError("telemetry.meterProvider must be an OpenTelemetry MeterProvider (with getMeter)");
  }
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== "function") {
    throw new TypeError("telemetry.tracerProvider must be an OpenTelemetry TracerProvider (with getTracer)");
  }
  if (typeof liveSessions !== "boolean") throw new TypeError("telemetry.liveSessions must be a boolean");
  if (meterProvider === undefined && tracerProvider === undefined) {
    throw new TypeError("telemetry: give meterProvider, tracerProvider or both (or true for @opentelemetry/api's global ones)");
  }
  return (table) =>
    new Telemetry(meterProvider as MeterProvider | undefined, tracerProvider as TracerProvider | undefined, liveSessions, table);
}

function loadApi(): OpenTelemetryApi {
  try {
    return createRequire(import.meta.url)("@opentelemetry/api") as OpenTelemetryApi;
  } catch (error) {
    if ((error as { code?: unknown }).code !== "MODULE_NOT_FOUND") throw error;
    throw new TypeError(
      "telemetry: true records to @opentelemetry/api's global providers, and @opentelemetry/api is not installed: " +
        "install it (an optional peer dependency), or give { meterProvider, tracerProvider }",
      { cause: error },
    );
  }
}

interface Instruments {
  duration: Histogram;
  batchSize: Histogram;
  lockWait: Histogram;
  writeSkipped: Counter;
  created: Counter;
  destroyed: Counter;
  expiredOnRead: Counter;
  pruned: Counter;
  pruneLag: Histogram;
  live: ObservableGauge | undefined;
}

function instrumentsOf(meter: Meter, liveSessions: boolean): Instruments {
  const seconds = (description: string, buckets = secondsBuckets) => ({
    unit: "s",
    description,
    advice: { explicitBucketBoundaries: buckets },
  });
  return {
    duration: meter.createHistogram("session.operation.duration", seconds("Duration of session store operations")),
    batchSize: meter.createHistogram("session.batch.size", {
      unit: "{operation}",
      description: "Operations coalesced into one statement",
      advice: { explicitBucketBoundaries: batchBuckets },
    }),
    lockWait: meter.createHistogram("session.lock.wait.duration", seconds("Time to take a session's row lock")),
    writeSkipped: meter.createCounter("session.write.skipped", { unit: "{write}", description: "Session writes skipped" }),
    created: meter.createCounter("session.created", { unit: "{session}", description: "Session rows created" }),
    destroyed: meter.createCounter("session.destroyed", { unit: "{session}", description: "Session rows deleted on request" }),
    expiredOnRead: meter.createCounter("session.expired_on_read", {
      unit: "{session}",
      description: "Reads that found a session past its life, not yet pruned",
    }),
    pruned: meter.createCounter("session.pruned", { unit: "{session}", description: "Session rows deleted by pruning" }),
    pruneLag: meter.createHistogram(
      "session.prune.lag",
      seconds("How long the oldest row a prune run deleted had been expired", lagBuckets),
    ),
    live: liveSessions
      ? meter.createObservableGauge("session.live", { unit: "{session}", description: "Live sessions, as counted after the last prune" })
      : undefined,
  };
}

/** One layer's instruments and tracer. */
export class Telemetry {
  readonly #tracer: Tracer | undefined;
  readonly #instruments: Instruments | undefined;
  readonly #base: Attributes;
  /** Where the metrics go (`undefined`: no metrics): layers recording to one provider record a shared store's batches once. */
  readonly meterProvider: MeterProvider | undefined;
  // Attribute sets and span options by operation (and reason): built once, reused on every record.
  readonly #attributes = new Map<string, Attributes>();
  readonly #spanOptions = new Map<string, SpanOptions>();
  #live: number | undefined;
  readonly #observeLive = (result: ObservableResult) => {
    if (this.#live !== undefined) result.observe(this.#live, this.#base);
  };

  constructor(meterProvider: MeterProvider | undefined, tracerProvider: TracerProvider | undefined, liveSessions: boolean, table: string) {
    this.#base = { "db.system.name": "postgresql", "db.collection.name": table };
    this.meterProvider = meterProvider;
    this.#tracer = tracerProvider?.getTracer(instrumentationName);
    const meter = meterProvider?.getMeter(instrumentationName);
    this.#instruments = meter === undefined ? undefined : instrumentsOf(meter, liveSessions);
    this.#instruments?.live?.addCallback(this.#observeLive);
  }

  /** Whether `session.live` is reported, so the layer counts the live rows after a prune. */
  get countsLive(): boolean {
    return this.#instruments?.live !== undefined;
  }

  /**
   * Runs `fn` as `operation`: in a span (the active one while it runs, so that a database
   * instrumentation's spans nest in it), its duration recorded; a failure is recorded on both and
   * handed to `failed` before it is rethrown.
   */
  run<T>(operation: string, fn: () => Promise<T>, failed: (error: unknown, durationMs: number) => void): Promise<T> {
    const tracer = this.#tracer;
    if (tracer === undefined) return this.#timed(operation, fn, failed, undefined);
    return tracer.startActiveSpan(`session.${operation}`, this.#spanOptionsOf(operation), (span) =>
      this.#timed(operation, fn, failed, span),
    );
  }

  /** A coalesced statement of `statement` kind (`read`, `upsert`, `update`, `touch`, `destroy`) went out for `size` operations. */
  batch(statement: string, size: number): void {
    this.#instruments?.batchSize.record(size, this.#attributesOf("session.statement", statement));
  }

  lockWaited(operation: string, ms: number): void {
    this.#instruments?.lockWait.record(ms / 1000, this.#attributesOf("session.operation", operation));
  }

  writeSkipped(operation: string, reason: string): void {
    this.#instruments?.writeSkipped.add(1, this.#attributesOf("session.operation", operation, "session.reason", reason));
  }

  created(): void {
    this.#instruments?.created.add(1, this.#base);
  }

  destroyed(reason: string): void {
    this.#instruments?.destroyed.add(1, this.#attributesOf("session.reason", reason));
  }

  expiredOnRead(reason: string): void {
    this.#instruments?.expiredOnRead.add(1, this.#attributesOf("session.reason", reason));
  }

  pruned(count: number, lagMs: number | undefined): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    instruments.pruned.add(count, this.#base);
    if (lagMs !== undefined) instruments.pruneLag.record(lagMs / 1000, this.#base);
  }

  /** The live sessions counted now: what `session.live` reports until the next count. */
  liveCounted(count: number): void {
    this.#live = count;
  }

  /** Stops reporting `session.live` (the layer is closed). */
  close(): void {
    this.#instruments?.live?.removeCallback(this.#observeLive);
    this.#live = undefined;
  }

  async #timed<T>(
    operation: string,
    fn: () => Promise<T>,
    failed: (error: unknown, ms: number) => void,
    span: Span | undefined,
  ): Promise<T> {
    const start = performance.now();
    try {
      const result = await fn();
      this.#instruments?.duration.record((performance.now() - start) / 1000, this.#attributesOf("session.operation", operation));
      return result;
    } catch (error) {
      const ms = performance.now() - start;
      const type = errorTypeOf(error);
      this.#instruments?.duration.record(ms / 1000, this.#attributesOf("session.operation", operation, "error.type", type));
      if (span !== undefined) {
        // The type and a fixed sentence only: error messages can name a session, and a stack opens
        // with the message.
        const message = `session.${operation} failed: ${type}`;
        span.recordException({ name: type, message });
        span.setAttribute("error.type", type);
        span.setStatus({ code: spanStatusError, message });
      }
      failed(error, ms);
      throw error;
    } finally {
      span?.end();
    }
  }

  #attributesOf(name: string, value: string, name2?: string, value2?: string): Attributes {
    const key = name2 === undefined ? `${name}\0${value}` : `${name}\0${value}\0${name2}\0${value2}`;
    let attributes = this.#attributes.get(key);
    if (attributes === undefined) {
      attributes = { ...this.#base, [name]: value, ...(name2 === undefined ? {} : { [name2]: value2 }) };
      this.#attributes.set(key, attributes);
    }
    return attributes;
  }

  #spanOptionsOf(operation: string): SpanOptions {
    let options = this.#spanOptions.get(operation);
    if (options === undefined) {
      options = { kind: spanKindInternal, attributes: this.#attributesOf("session.operation", operation) };
      this.#spanOptions.set(operation, options);
    }
    return options;
  }
}

/** `error.type`: the error's class name (the library's errors have literal names), low in cardinality. */
function errorTypeOf(error: unknown): string {
  if (error instanceof Error) return error.name;
  return "_OTHER";
}
