/** What this process last read or wrote for a session. */
export interface WrittenState {
  text: string;
  expiresAt: number;
}

/**
 * A bounded, least-recently-used memory of session rows this process has seen, keyed by id. It lets
 * `set` and `touch` skip statements that would write what is already stored. It is a hint, not a
 * source of truth: every request starts with `get`, which refreshes it from the database.
 */
export class WriteCache {
  readonly #entries = new Map<string, WrittenState>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(id: string): WrittenState | undefined {
    const entry = this.#entries.get(id);
    if (entry !== undefined) {
      this.#entries.delete(id);
      this.#entries.set(id, entry);
    }
    return entry;
  }

  remember(id: string, state: WrittenState): void {
    if (this.#capacity === 0) return;
    this.#entries.delete(id);
    this.#entries.set(id, state);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  forget(id: string): void {
    this.#entries.delete(id);
  }

  clear(): void {
    this.#entries.clear();
  }
}
