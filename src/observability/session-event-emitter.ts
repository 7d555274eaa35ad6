import { reportListenerFailure, type EventSink, type ListenerFailureLogger } from "./event-sink.ts";
import { sessionEventNames, type SessionEventListener, type SessionEventName, type SessionEventSource } from "./session-events.ts";

type Listener = (event: never) => void;

let sinkOf: (emitter: SessionEventEmitter) => EventSink;

/**
 * The typed events of SessionManager and WebSessions: `on`, `once`, `off` for the names of
 * `SessionEventMap` only (a misspelt name is a TypeError, not a listener that never fires). A listener
 * that throws is reported to the logger and does not fail the operation. PgSessionStore has the same
 * methods from its EventEmitter.
 */
export class SessionEventEmitter implements SessionEventSource {
  // Only events with listeners have an entry: "does anyone listen" is one property read.
  readonly #listeners: { [K in SessionEventName]?: Listener[] } = {};
  readonly #logger: ListenerFailureLogger;

  static {
    sinkOf = (emitter) => emitter.#sink;
  }

  constructor(logger: ListenerFailureLogger = console) {
    this.#logger = logger;
  }

  /** Calls `listener` with each `event` (see `SessionEventMap` for the payloads). */
  on<K extends SessionEventName>(event: K, listener: SessionEventListener<K>): this {
    assertListener(event, listener);
    const current = this.#listeners[event];
    // A new array each time: an emit in progress keeps iterating the one it started with.
    this.#listeners[event] = current === undefined ? [listener as Listener] : [...current, listener as Listener];
    return this;
  }

  /** Calls `listener` with the next `event` only. */
  once<K extends SessionEventName>(event: K, listener: SessionEventListener<K>): this {
    assertListener(event, listener);
    const once = (payload: Parameters<SessionEventListener<K>>[0]) => {
      this.off(event, once);
      listener(payload);
    };
    onceOf.set(once as Listener, listener as Listener);
    return this.on(event, once);
  }

  /** Removes `listener` (added by `on` or `once`); removing one that is not there does nothing. */
  off<K extends SessionEventName>(event: K, listener: SessionEventListener<K>): this {
    assertListener(event, listener);
    const current = this.#listeners[event];
    if (current === undefined) return this;
    const index = current.findLastIndex((l) => l === listener || onceOf.get(l) === listener);
    if (index === -1) return this;
    const rest = current.toSpliced(index, 1);
    if (rest.length === 0) delete this.#listeners[event];
    else this.#listeners[event] = rest;
    return this;
  }

  /** The number of listeners of `event`. */
  listenerCount(event: SessionEventName): number {
    return this.#listeners[event]?.length ?? 0;
  }

  readonly #sink: EventSink = {
    listens: (event) => this.#listeners[event] !== undefined,
    emit: (event, payload) => {
      const listeners = this.#listeners[event];
      if (listeners === undefined) return;
      for (const listener of listeners) {
        try {
          (listener as (event: unknown) => void)(payload);
        } catch (error) {
          reportListenerFailure(this.#logger, event, error);
        }
      }
    },
  };
}

// once() wrappers and what they wrap, so that off(event, listener) removes a once-listener too.
const onceOf = new WeakMap<Listener, Listener>();

/** The sink of an emitter, for the layer that owns it. */
export function eventSinkOf(emitter: SessionEventEmitter): EventSink {
  return sinkOf(emitter);
}

function assertListener(event: unknown, listener: unknown): void {
  if (!sessionEventNames.includes(event as SessionEventName)) {
    throw new TypeError(`Unknown session event ${JSON.stringify(String(event))}: one of ${sessionEventNames.join(", ")}`);
  }
  if (typeof listener !== "function") throw new TypeError(`The listener of "${String(event)}" must be a function`);
}
