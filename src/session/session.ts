import { ReadOnlyFieldError, SessionClosedError, SessionDeletedError } from "../errors/store-errors.ts";

/** Session data as stored: any serializable values, plus the read-only `_session_id` of the seed's format. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SessionData = Record<string, any> & { readonly _session_id: string };

/** The seed's statuses as they can be observed inside a unit of work (NEW sessions are committed at once). */
export type SessionStatus = "synced" | "modified" | "deleted";

/** A session open for one unit of work, its row locked until the unit ends. */
export interface Session<D extends SessionData = SessionData> {
  readonly id: string;
  /** Change it freely, at any depth: what differs from the loaded state at the end is saved. */
  readonly data: D;
  /** `modified` is decided by comparing the serialized form, so nested changes count. */
  readonly status: SessionStatus;
  /** Removes the row when the unit ends. Later writes are an error; deleting again is harmless. */
  delete(): void;
  /** Drops every key but `_session_id`; the empty session is saved. */
  clear(): void;
  /** Clear and delete. */
  flush(): void;
}

/** What the manager does with a session when its unit of work ends. */
export type Settlement = { action: "none" } | { action: "update"; serialized: string } | { action: "remove" };

const idKey = "_session_id";

/**
 * The manager's side of an open session: the public {@link Session} plus `settle` and `end`. Writes go
 * through a proxy that guards `_session_id`, writes after delete and writes after the unit ended.
 */
export class OpenSession<D extends SessionData = SessionData> implements Session<D> {
  readonly id: string;
  readonly data: D;
  readonly #raw: Record<string, unknown>;
  readonly #loaded: string;
  readonly #encode: (data: Record<string, unknown>) => string;
  readonly #table: string;
  #deletedAs: string | undefined;
  #ended = false;

  constructor(id: string, raw: Record<string, unknown>, loaded: string, encode: (data: Record<string, unknown>) => string, table: string) {
    this.id = id;
    this.#raw = raw;
    this.#loaded = loaded;
    this.#encode = encode;
    this.#table = table;
    // Older rows written by other tools may lack the key; the seed always has it.
    raw[idKey] = id;
    const guard = (key: string | symbol): void => this.#assertWritable(key);
    this.data = new Proxy(raw, {
      // `__proto__` is kept as an own key (which the serializer then refuses), never as a new prototype.
      set: (target, key, value) =>
        (guard(key),
        key === "__proto__"
          ? Reflect.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
          : Reflect.set(target, key, value)),
      defineProperty: (target, key, descriptor) => (guard(key), Reflect.defineProperty(target, key, descriptor)),
      deleteProperty: (target, key) => (guard(key), Reflect.deleteProperty(target, key)),
      setPrototypeOf: () => {
        throw new TypeError("The prototype of session data cannot be changed");
      },
    }) as D;
  }

  get status(): SessionStatus {
    if (this.#deletedAs !== undefined) return "deleted";
    return this.#encode(this.#raw) === this.#loaded ? "synced" : "modified";
  }

  delete(): void {
    this.#assertOpen();
    this.#deletedAs ??= this.#encode(this.#raw);
  }

  clear(): void {
    this.#assertWritable(undefined);
    for (const key of Reflect.ownKeys(this.#raw)) if (key !== idKey) Reflect.deleteProperty(this.#raw, key);
  }

  flush(): void {
    this.clear();
    this.delete();
  }

  /** What to write now that the unit of work is ending. */
  settle(): Settlement {
    const context = { sessionId: this.id, table: this.#table };
    if (this.#deletedAs !== undefined) {
      // Nested writes after delete() bypass the proxy; they still must not pass silently.
      if (this.#encode(this.#raw) !== this.#deletedAs) {
        throw new SessionDeletedError(`Session ${this.id} was changed after it was deleted`, context);
      }
      return { action: "remove" };
    }
    if (this.#raw[idKey] !== this.id) {
      throw new ReadOnlyFieldError(`_session_id of session ${this.id} is read-only`, context);
    }
    const serialized = this.#encode(this.#raw);
    return serialized === this.#loaded ? { action: "none" } : { action: "update", serialized };
  }

  /** The unit of work is over: the lock is gone, and so is the right to write. */
  end(): void {
    this.#ended = true;
  }

  #assertOpen(): void {
    if (this.#ended) {
      throw new SessionClosedError(`The unit of work of session ${this.id} has ended; open it again to change it`, {
        sessionId: this.id,
        table: this.#table,
      });
    }
  }

  #assertWritable(key: string | symbol | undefined): void {
    this.#assertOpen();
    const context = { sessionId: this.id, table: this.#table };
    if (key === idKey) throw new ReadOnlyFieldError(`_session_id of session ${this.id} is read-only`, context);
    if (this.#deletedAs !== undefined) {
      throw new SessionDeletedError(`Session ${this.id} was deleted in this unit of work; it cannot be written`, context);
    }
  }
}
