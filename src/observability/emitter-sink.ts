import type { EventEmitter } from "node:events";
import { reportListenerFailure, type EventSink, type ListenerFailureLogger } from "./event-sink.ts";

/**
 * The events of an EventEmitter (PgSessionStore, which is express-session's Store): its own `on`,
 * `once`, `off` subscribe. A listener that throws is reported to `logger`: the operation it reports on
 * has happened, and must not fail for it (EventEmitter stops calling the remaining listeners).
 */
export function emitterSink(emitter: EventEmitter, logger: ListenerFailureLogger): EventSink {
  return {
    listens: (event) => emitter.listenerCount(event) > 0,
    emit: (event, payload) => {
      try {
        emitter.emit(event, payload);
      } catch (error) {
        reportListenerFailure(logger, event, error);
      }
    },
  };
}
