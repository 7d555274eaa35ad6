import type { SessionEventMap, SessionEventName } from "./session-events.ts";

/** Where a layer's events go: its own emitter (SessionEventEmitter), or PgSessionStore's EventEmitter. */
export interface EventSink {
  /** Whether anyone listens for `event`: nothing is built for an event no one listens for. */
  listens(event: SessionEventName): boolean;
  /** Calls the listeners; one that throws is reported, and breaks neither the others nor the operation. */
  emit<K extends SessionEventName>(event: K, payload: SessionEventMap[K]): void;
}

export { sessionHandle } from "../errors/session-handle.ts";

const listenerFailure = "prisma-pg-session: a session event listener threw; the operation itself went through";

/** Where a listener's failure is reported: the layer's `logger` (the adapters' Logger fits), else console. */
export interface ListenerFailureLogger {
  error(message: string, error?: unknown): void;
}

/** Reports a listener's failure; a logger that throws is ignored (nothing sensible is left to do). */
export function reportListenerFailure(logger: ListenerFailureLogger, event: string, error: unknown): void {
  try {
    logger.error(`${listenerFailure} (${event})`, error);
  } catch {
    // As the adapters' report(): a broken logger must not break the operation.
  }
}
