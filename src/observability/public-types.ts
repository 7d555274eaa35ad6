// The types of the events and telemetry options, re-exported by every entry (`export type *`).
export type {
  SessionEventMap,
  SessionEventName,
  SessionEventListener,
  SessionEventSource,
  SessionEventBase,
  SessionRowEvent,
  SessionCreatedEvent,
  SessionDestroyedEvent,
  DestroyReason,
  SessionExpiredOnReadEvent,
  SessionsPrunedEvent,
  SessionLockWaitedEvent,
  SessionWriteSkippedEvent,
  SessionOperationFailedEvent,
} from "./session-events.ts";
export type {
  ObservabilityOptions,
  TelemetryOption,
  TelemetryProviders,
  MeterProviderLike,
  TracerProviderLike,
} from "./observability-options.ts";
export type { SessionEventEmitter } from "./session-event-emitter.ts";
