/**
 * What each session may hold, as its only writer knows it: the value of the last acknowledged write,
 * plus the values of writes that failed after they were sent (their commit may or may not have happened:
 * the connection died before the answer). Every read must find one of these values; a read settles the
 * question. Anything else is a lost or altered session, recorded in `violations`.
 */
export class WriteLedger {
  readonly violations: string[] = [];
  readonly #possible = new Map<string, Set<number>>();

  /** A write of `value` succeeded: nothing else is possible any more. */
  acknowledged(id: string, value: number): void {
    this.#possible.set(id, new Set([value]));
  }

  /** A write of `value` failed after it may have reached the database. */
  uncertain(id: string, value: number): void {
    this.#possible.get(id)?.add(value);
  }

  /** A read (or a locked load) found `value` (undefined: no session): it must be one of the possible ones. */
  observed(id: string, value: number | undefined): void {
    const possible = this.#possible.get(id);
    if (possible === undefined) {
      this.violations.push(`${id}: read ${value}, but nothing was ever written`);
    } else if (value === undefined || !possible.has(value)) {
      this.violations.push(`${id}: read ${value === undefined ? "no session" : value}, expected one of ${[...possible].join(", ")}`);
    } else {
      this.#possible.set(id, new Set([value]));
    }
  }

  /** Values that could still be stored for `id`. */
  possible(id: string): number[] {
    return [...(this.#possible.get(id) ?? [])];
  }

  ids(): string[] {
    return [...this.#possible.keys()];
  }

  /** Ids whose stored value is not known exactly (a write of unknown outcome, not read since). */
  get uncertainIds(): number {
    let n = 0;
    for (const values of this.#possible.values()) if (values.size > 1) n += 1;
    return n;
  }
}
