import { ReadOnlyFieldError, SessionClosedError, SessionDeletedError } from "../errors/store-errors.ts";
import { GuardedData } from "./guarded-data.ts";

/**
 * Session data as stored: any serializable values, plus the read-only `_session_id` of Apache::Session's
 * format. `any`, not `unknown`: a typed app's session interface (`{ user?: User }`) must fit it.
 */
export type SessionData = Record<string, any> & { readonly _session_id: string };

/** Apache::Session's statuses as they can be observed inside a unit of work (NEW sessions are committed at once). */
export type SessionStatus = "synced" | "modified" | "deleted";

/** A session open for one unit of work, its row locked until the unit ends. */
export interface Session<D extends SessionData = SessionData> {
  readonly id: string;
  /**
   * Change it freely, at any depth: what differs from the loaded state at the end is saved. Assigning a
   * new object replaces the whole session (its `_session_id` may be left out, not changed). After the
   * unit ends it stays readable, and every write raises SessionClosedError.
   */
  data: D;
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
 * The manager's side of an open session: the public {@link Session} plus `settle` and `end`. Writes, at
 * any depth, go through proxies that guard `_session_id`, writes after delete and writes after the unit
 * ended.
 */
export class OpenSession<D extends SessionData = SessionData> implements Session<D> {
  readonly id: string;
  readonly #raw: Record<string, unknown>;
  readonly #guarded: GuardedData;
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
    // Older rows written by other tools may lack the key; Apache::Session always writes it.
    raw[idKey] = id;
    this.#guarded = new GuardedData(raw, (key, atRoot) => this.#assertWritable(atRoot ? key : undefined));
  }

  get data(): D {
    return this.#guarded.root as D;
  }

  /** Replaces the session's data (plain JavaScript cannot make `data` read-only, so this must not be a silent no-op). */
  set data(value: D) {
    this.#assertWritable(undefined);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new TypeError("Session data must be a plain object");
    }
    const next = this.#guarded.unwrap(value) as Record<string, unknown>;
    if (Object.hasOwn(next, idKey) && next[idKey] !== this.id) {
      throw new ReadOnlyFieldError(`_session_id of session ${this.id} is read-only`, { sessionId: this.id, table: this.#table });
    }
    const entries = Object.entries(next);
    this.#dropAllButId();
    for (const [key, item] of entries) {
      if (key !== idKey) Object.defineProperty(this.#raw, key, { value: item, writable: true, enumerable: true, configurable: true });
    }
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
    this.#dropAllButId();
  }

  flush(): void {
    this.clear();
    this.delete();
  }

  /** What to write now that the unit of work is ending. */
  settle(): Settlement {
    const context = { sessionId: this.id, table: this.#table };
    if (this.#deletedAs !== undefined) {
      // Writes to objects the caller took out of the data before delete() (through Map iteration, say)
      // bypass the proxies; they still must not pass silently.
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

  #dropAllButId(): void {
    for (const key of Reflect.ownKeys(this.#raw)) if (key !== idKey) Reflect.deleteProperty(this.#raw, key);
  }

  #assertOpen(): void {
    if (this.#ended) {
      throw new SessionClosedError(`The unit of work of session ${this.id} has ended; open it again to change it`, {
        sessionId: this.id,
        table: this.#table,
      });
    }
  }

  /** `key` is a top-level key being written (`undefined` for writes below the top level or of everything). */
  #assertWritable(key: string | symbol | undefined): void {
    this.#assertOpen();
    const context = { sessionId: this.id, table: this.#table };
    if (key === idKey) throw new ReadOnlyFieldError(`_session_id of session ${this.id} is read-only`, context);
    if (this.#deletedAs !== undefined) {
      throw new SessionDeletedError(`Session ${this.id} was deleted in this unit of work; it cannot be written`, context);
    }
  }
}
