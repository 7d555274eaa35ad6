import { hash } from "node:crypto";

/**
 * A digest of a payload: what the cache keeps instead of the text, so an entry costs the same ~100
 * bytes whatever the session's size (10,000 entries of 1 KB sessions: about 1 MB, not 10).
 */
export function payloadDigest(text: string): string {
  return hash("sha256", text, "base64");
}

/**
 * What this process knows of a session row:
 * - `read`: a `get` returned it live; `digest` and `expiresAt` are its payload's digest and expiry
 *   then (`undefined` when write avoidance is off);
 * - `written`: this process has written it since, so it exists, but only the database knows what it
 *   holds (another server may have written it after us);
 * - `gone`: this process destroyed or revoked it, or found it missing (or expired) after it was live.
 *
 * A session in any of these states is updated, never upserted, by `set`: a request that read it live
 * must not create it again once it is gone, whoever deleted it. A `gone` one is not written at all.
 */
export type KnownRow =
  { state: "read"; read: { digest: string; expiresAt: number } | undefined } | { state: "written" } | { state: "gone" };

const gone: KnownRow = Object.freeze({ state: "gone" });

/**
 * A bounded, least-recently-used memory of session rows this process has seen, keyed by the stored
 * key. It lets `set` and `touch` skip a statement only when it would write back exactly what the last
 * `get` read and this process has not written the row since (the frameworks call `get` at the start of
 * every request, so that is the request's own read). Skipping against our own earlier write instead
 * would lose a write whenever another server wrote the row in between. For write avoidance it is a
 * hint: forgetting an entry costs a statement. What it also gives is that a session seen live is never
 * resurrected by a late `set` (it is updated, not upserted): that holds for entries still remembered,
 * so the memory is kept even with write avoidance off (`remembersReads: false`).
 *
 * The `gone` sessions are kept apart, in a memory of their own that other sessions' reads and writes
 * never evict (only more sessions ending: it holds `goneCapacity`, by default ten times `capacity`), so
 * no amount of traffic makes this process forget that it destroyed or revoked a session. (express-session
 * needs no memory for that: a session it loaded is only ever updated, see PgSessionStore.createSession.)
 */
export class WriteCache {
  readonly #entries = new Map<string, KnownRow>();
  readonly #gone = new Set<string>();
  readonly #capacity: number;
  readonly #goneCapacity: number;
  readonly #remembersReads: boolean;

  constructor(capacity: number, remembersReads = true, goneCapacity = capacity * 10) {
    this.#capacity = capacity;
    this.#goneCapacity = goneCapacity;
    this.#remembersReads = remembersReads;
  }

  get(key: string): KnownRow | undefined {
    if (this.#gone.has(key)) return gone;
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /** A `get` returned this row live. */
  rememberRead(key: string, text: string, expiresAt: number): void {
    this.#remember(key, { state: "read", read: this.#remembersReads ? { digest: payloadDigest(text), expiresAt } : undefined });
  }

  /** This process wrote the row (it exists, but what it holds is no longer known here). */
  rememberWrite(key: string): void {
    this.#remember(key, { state: "written" });
  }

  /** The row is gone (destroyed or revoked here, or found missing): no `set` of this process writes it again. */
  rememberGone(key: string): void {
    this.#entries.delete(key);
    if (this.#goneCapacity === 0) return;
    this.#gone.delete(key);
    this.#gone.add(key);
    if (this.#gone.size > this.#goneCapacity) this.#gone.delete(this.#gone.values().next().value as string);
  }

  /** A `get` found no live row: a session seen live is gone; of one never seen, nothing is kept. */
  notFound(key: string): void {
    if (this.#entries.has(key)) this.rememberGone(key);
  }

  /** What is remembered of `key`, without counting as a use (for {@link restore}). */
  peek(key: string): KnownRow | undefined {
    return this.#gone.has(key) ? gone : this.#entries.get(key);
  }

  /** Puts back what {@link peek} returned: a destroy that failed leaves the session as it was, not gone. */
  restore(key: string, entry: KnownRow | undefined): void {
    this.#gone.delete(key);
    if (entry === undefined) this.#entries.delete(key);
    else if (entry.state === "gone") this.rememberGone(key);
    else this.#remember(key, entry);
  }

  /** Forgets everything (the store is closing). */
  clear(): void {
    this.#entries.clear();
    this.#gone.clear();
  }

  /** Every row is gone (the table was cleared): the sessions remembered are remembered as gone. */
  allGone(): void {
    for (const key of [...this.#entries.keys()]) this.rememberGone(key);
  }

  #remember(key: string, entry: KnownRow): void {
    // Seen live again (an import, a restore from a backup): no longer gone.
    this.#gone.delete(key);
    if (this.#capacity === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}
