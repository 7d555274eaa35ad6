import { AsyncLocalStorage } from "node:async_hooks";
import { DuplicateSessionIdError, ReadOnlyFieldError, SessionNotFoundError, SessionReentryError } from "../errors/store-errors.ts";
import { decode, encode } from "../serialization/codec.ts";
import { superjsonSerializer, type Serializer } from "../serialization/serializer.ts";
import { PostgresStore } from "../store/postgres-store.ts";
import { normalizeTransactionOptions } from "../store/store-options.ts";
import type { TransactionOptions } from "../driver/driver.ts";
import type { SessionRecord } from "../store/session-record.ts";
import type { StoreTransaction } from "../store/store-transaction.ts";
import {
  assertManagerOptions,
  managerDefaults,
  storeOptionsOf,
  transactionOptionsOf,
  type SessionManagerOptions,
} from "./manager-options.ts";
import { OpenSession, type Session, type SessionData } from "./session.ts";
import { assertSessionId, generateSessionId } from "./session-id.ts";

/** A session's data at one moment, outside any unit of work. */
export interface SessionSnapshot<D extends SessionData = SessionData> {
  id: string;
  data: D;
}

// Sessions whose row the current async context holds: opening one of them again would wait on itself.
const heldSessions = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * The `tie %session, 'Apache::Session::Postgres', $id` of this library: create, open (locked, for one
 * unit of work), read, rotate and delete sessions.
 */
export class SessionManager<D extends SessionData = SessionData> {
  readonly store: PostgresStore;
  readonly #ownsStore: boolean;
  readonly #serializer: Serializer;
  readonly #idLength: number;
  readonly #maxIdLength: number;
  readonly #lockTimeout: number | undefined;
  readonly #transaction: TransactionOptions;

  constructor(options: SessionManagerOptions) {
    assertManagerOptions(options);
    this.store = options.store ?? new PostgresStore(storeOptionsOf(options));
    this.#ownsStore = options.store === undefined;
    this.#serializer = options.serializer ?? superjsonSerializer;
    this.#maxIdLength = this.store.maxIdLength;
    const idLength = options.idLength ?? managerDefaults.idLength;
    if (!Number.isInteger(idLength) || idLength < 16 || idLength > this.#maxIdLength) {
      throw new RangeError(
        `idLength must be a whole number from 16 (64 bits) to the id column's width (${this.#maxIdLength}), got ${String(idLength)}`,
      );
    }
    this.#idLength = idLength;
    this.#lockTimeout = options.lockTimeout;
    this.#transaction = transactionOptionsOf(options);
  }

  /** Creates a session with a new id; the row is inserted and committed at once (visible to all). */
  async create(data: Partial<Omit<D, "_session_id">> = {}): Promise<SessionSnapshot<D>> {
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw new TypeError("Session data must be a plain object");
    }
    if (Object.hasOwn(data, "_session_id")) {
      throw new ReadOnlyFieldError("_session_id is assigned by the manager", { table: this.store.tableName });
    }
    // A collision of 128 random bits does not happen; with a short idLength it can, so retry a little.
    for (let attempt = 1; ; attempt++) {
      const id = generateSessionId(this.#idLength);
      const full = { ...data, _session_id: id } as unknown as D;
      try {
        await this.store.insert({ id, serialized: this.#encode(id, full) });
        return { id, data: full };
      } catch (error) {
        if (!(error instanceof DuplicateSessionIdError) || attempt === 3) throw error;
      }
    }
  }

  /**
   * Opens session `id` for one unit of work: one transaction, the row locked (`FOR UPDATE`) until `fn`
   * settles. What `fn` changed is saved (only if it changed), a delete is carried out, and the lock is
   * released. If `fn` throws, nothing is written and its error reaches you.
   * @throws SessionNotFoundError, InvalidSessionIdError, SessionReentryError, LockTimeoutError, CorruptPayloadError
   */
  async open<T>(id: string, fn: (session: Session<D>) => T | Promise<T>, options: TransactionOptions = {}): Promise<T> {
    this.#assertId(id);
    const transaction = normalizeTransactionOptions({ ...this.#transaction, ...options });
    const held = await this.#enter(id);
    let session: OpenSession<D> | undefined;
    try {
      return await this.store.transaction(async (tx) => {
        session = await this.#load(tx, id);
        const result = await heldSessions.run(held, () => fn(session!));
        const settlement = session.settle();
        session.end();
        if (settlement.action === "update") {
          if ((await tx.update({ id, serialized: settlement.serialized })) !== 1) throw this.#notFound(id);
        } else if (settlement.action === "remove") {
          await tx.remove({ id });
        }
        return result;
      }, transaction);
    } finally {
      session?.end();
    }
  }

  /** The committed state of session `id`, without taking its lock. @throws SessionNotFoundError */
  async read(id: string): Promise<SessionSnapshot<D>> {
    this.#assertId(id);
    const record = await this.store.fetch({ id, serialized: null });
    return { id, data: this.#decode(id, record.serialized) as D };
  }

  /**
   * Gives session `id` a new id (session-fixation defence): same data, old row gone, in one
   * transaction, so a concurrent reader finds either the old id or the new one.
   * @returns the new id
   */
  async rotate(id: string): Promise<string> {
    this.#assertId(id);
    const held = await this.#enter(id);
    return heldSessions.run(held, () =>
      this.store.transaction(async (tx) => {
        const record = await this.#lock(tx, id);
        const data = this.#decode(id, record.serialized);
        const newId = generateSessionId(this.#idLength);
        data["_session_id"] = newId;
        await tx.insert({ id: newId, serialized: this.#encode(newId, data) });
        await tx.remove({ id });
        return newId;
      }, this.#transaction),
    );
  }

  /** Deletes session `id`. @returns whether it existed (deleting twice is harmless). */
  async delete(id: string): Promise<boolean> {
    this.#assertId(id);
    return (await this.store.remove({ id })) > 0;
  }

  /** Closes the store if this manager created it. */
  close(): Promise<void> {
    return this.#ownsStore ? this.store.close() : Promise.resolve();
  }

  async #load(tx: StoreTransaction, id: string): Promise<OpenSession<D>> {
    const record = await this.#lock(tx, id);
    const data = this.#decode(id, record.serialized);
    data["_session_id"] = id;
    // Compare against our own serialization of what was loaded, not the stored text: a row written by
    // another serializer or without `_session_id` is not "modified" just for being re-encoded.
    const loaded = this.#encode(id, data);
    return new OpenSession<D>(id, data, loaded, (d) => this.#encode(id, d), this.store.tableName);
  }

  async #lock(tx: StoreTransaction, id: string): Promise<SessionRecord> {
    if (this.#lockTimeout === undefined) return tx.materialize({ id, serialized: null });
    const [setting] = await tx.query<{ previous: string }>(
      "SELECT current_setting('lock_timeout') AS previous, set_config('lock_timeout', $1, true)",
      [`${this.#lockTimeout}ms`],
    );
    // The setting lasts until the transaction ends: in a caller's transaction, give theirs back as soon
    // as the lock is held (or known not to exist). After a failed statement the transaction is aborted
    // and nothing more can run in it.
    const restore = () => tx.query("SELECT set_config('lock_timeout', $1, true)", [setting!.previous]);
    const joined = this.store.joinsCallerTransaction;
    try {
      const record = await tx.materialize({ id, serialized: null });
      if (joined) await restore();
      return record;
    } catch (error) {
      if (joined && error instanceof SessionNotFoundError) await restore();
      throw error;
    }
  }

  async #enter(id: string): Promise<ReadonlySet<string>> {
    const key = `${await this.store.tableIdentity()}\0${id}`;
    const held = heldSessions.getStore();
    if (held?.has(key)) {
      throw new SessionReentryError(`Session ${id} is already open in this unit of work; opening it again would wait for its own lock`, {
        sessionId: id,
        table: this.store.tableName,
      });
    }
    return new Set([...(held ?? []), key]);
  }

  #assertId(id: unknown): asserts id is string {
    assertSessionId(id, this.#maxIdLength, this.store.tableName);
  }

  #encode(id: string, data: unknown): string {
    return encode(this.#serializer, data, { sessionId: id, table: this.store.tableName });
  }

  #decode(id: string, text: string | null): Record<string, unknown> {
    return decode(this.#serializer, text, { sessionId: id, table: this.store.tableName });
  }

  #notFound(id: string): SessionNotFoundError {
    return new SessionNotFoundError("Object does not exist in the data store", { sessionId: id, table: this.store.tableName });
  }
}
