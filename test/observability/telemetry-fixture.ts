// OpenTelemetry's SDK in memory: a MeterProvider whose reader the test collects from (no export timer),
// and a tracer provider whose spans an InMemorySpanExporter keeps.
import { AggregationTemporality, MeterProvider, MetricReader, type DataPoint, type MetricData } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";

class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface TelemetryFixture {
  meterProvider: MeterProvider;
  tracerProvider: BasicTracerProvider;
  /** Every metric recorded so far (cumulative), by name. */
  metrics(): Promise<Map<string, MetricData>>;
  /** The data points of metric `name` whose attributes include `attributes`. */
  points(name: string, attributes?: Record<string, unknown>): Promise<Array<DataPoint<unknown>>>;
  /** The ended spans, and forgets them. */
  takeSpans(): ReadableSpan[];
  shutdown(): Promise<void>;
}

/** With `delta`, each collection holds what was recorded (or observed) since the last one. */
export function telemetryFixture(temporality: "cumulative" | "delta" = "cumulative"): TelemetryFixture {
  const reader = new CollectingReader(
    temporality === "delta" ? { aggregationTemporalitySelector: () => AggregationTemporality.DELTA } : {},
  );
  const meterProvider = new MeterProvider({ readers: [reader] });
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const metrics = async () => {
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, "metric collection failed");
    const byName = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics) for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
    return byName;
  };
  return {
    meterProvider,
    tracerProvider,
    metrics,
    async points(name, attributes = {}) {
      const metric = (await metrics()).get(name);
      const points = (metric?.dataPoints ?? []) as Array<DataPoint<unknown>>;
      return points.filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value));
    },
    takeSpans() {
      const spans = exporter.getFinishedSpans();
      exporter.reset();
      return spans;
    },
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** A histogram point's value. */
export interface HistogramValue {
  count: number;
  sum?: number;
  min?: number;
  max?: number;
}
