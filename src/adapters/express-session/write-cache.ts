import { hash } from "node:crypto";

/**
 * A digest of a payload: what the cache keeps instead of the text, so an entry costs the same ~100
 * bytes whatever the session's size (10,000 entries of 1 KB sessions: about 1 MB, not 10).
 */
export function payloadDigest(text: string): string {
  return hash("sha1", text, "base64");
}

/**
 * What this process knows of a session row. `read` is the payload's digest and the expiry as its last
 * `get` returned them; it is `undefined` once this process has written the row since that read, because from then on
 * only the database knows what the row holds (another server may have written it after us).
 */
export interface KnownRow {
  read: { digest: string; expiresAt: number } | undefined;
}

/**
 * A bounded, least-recently-used memory of session rows this process has seen live, keyed by the stored
 * key. It lets `set` and `touch` skip a statement only when it would write back exactly what the last
 * `get` read and this process has not written the row since (the frameworks call `get` at the start of
 * every request, so that is the request's own read). Skipping against our own earlier write instead
 * would lose a write whenever another server wrote the row in between. It is a hint, never a source of
 * truth: forgetting an entry costs a statement, not correctness.
 */
export class WriteCache {
  readonly #entries = new Map<string, KnownRow>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(key: string): KnownRow | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /** A `get` returned this row. */
  rememberRead(key: string, text: string, expiresAt: number): void {
    this.#remember(key, { read: { digest: payloadDigest(text), expiresAt } });
  }

  /** This process wrote the row (it exists, but what it holds is no longer known here). */
  rememberWrite(key: string): void {
    this.#remember(key, { read: undefined });
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  #remember(key: string, entry: KnownRow): void {
    if (this.#capacity === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}
