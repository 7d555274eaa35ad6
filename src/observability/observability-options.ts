// The options that turn on metrics and spans, and tune the events: shared by PgSessionStore,
// SessionManager and the web entries. The provider types are structural, so the published declarations
// name nothing of @opentelemetry/api (an app without it type-checks): an SDK's `MeterProvider` and
// `TracerProvider` fit them.

/** Where metrics go: an OpenTelemetry `MeterProvider` (the SDK's, or `metrics.getMeterProvider()`). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string, options?: any): unknown;
}

/** Where spans go: an OpenTelemetry `TracerProvider` (the SDK's, or `trace.getTracerProvider()`). */
export interface TracerProviderLike {
  getTracer(name: string, version?: string, options?: any): unknown;
}

/** OpenTelemetry providers to record to; only what is given is recorded (metrics, spans, or both). */
export interface TelemetryProviders {
  meterProvider?: MeterProviderLike;
  tracerProvider?: TracerProviderLike;
  /**
   * Report the `session.live` gauge: after each prune run, one more statement counts the live rows
   * (an index scan of the expiry index, whose cost grows with the number of live sessions).
   * @default true
   */
  liveSessions?: boolean;
}

/**
 * OpenTelemetry metrics and spans: `true` records to the global providers of `@opentelemetry/api`
 * (an optional peer dependency, then required; register your SDK before creating the store: a meter
 * taken from the global provider before that stays a no-op), or give the providers. @default false
 */
export type TelemetryOption = boolean | TelemetryProviders;

/** Observability options of every layer. */
export interface ObservabilityOptions {
  /** See {@link TelemetryOption}. @default false (nothing recorded, nothing loaded) */
  telemetry?: TelemetryOption;
  /**
   * Fire `lockWaited` when taking a session's row lock takes at least this many ms (the
   * `session.lock.wait.duration` metric records every lock). @default 100
   */
  lockWaitThreshold?: number;
}

export const observabilityOptionKeys = ["telemetry", "lockWaitThreshold"] as const;

const defaultLockWaitThresholdMs = 100;

/** Checks `lockWaitThreshold`. @returns it in ms, defaulted */
export function normalizeLockWaitThreshold(threshold: number | undefined): number {
  if (threshold === undefined) return defaultLockWaitThresholdMs;
  if (typeof threshold !== "number" || !Number.isFinite(threshold) || threshold < 0) {
    throw new RangeError(`lockWaitThreshold must be a number of milliseconds ≥ 0, got ${String(threshold)}`);
  }
  return threshold;
}
