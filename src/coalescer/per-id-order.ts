import { idsOf, type RowWrite } from "./session-rows.ts";

/** A write as PerIdOrder tracks it. */
export interface OrderedWrite {
  op: RowWrite;
  /** Earlier writes of its ids not settled yet (PerIdOrder's own bookkeeping). */
  blockers?: number;
  /** Later writes of its ids, waiting for this one (PerIdOrder's own bookkeeping). */
  waiters?: OrderedWrite[];
}

/**
 * The writes of one id, one at a time, in the order they were issued: a write is released (`ready`)
 * only once every earlier write of each of its ids has settled, committed or failed. So a save never
 * overtakes an earlier save or a destroy of the same session, whatever turn or batch each lands in, and
 * this process has at most one statement on a given row at a time. Writes of different ids are never
 * held back.
 */
export class PerIdOrder<W extends OrderedWrite> {
  // The last write issued for each id that has not settled yet.
  readonly #last = new Map<string, W>();
  readonly #ready: (write: W) => void;

  constructor(ready: (write: W) => void) {
    this.#ready = ready;
  }

  issue(write: W): void {
    let blockers = 0;
    for (const id of idsOf(write.op)) {
      const earlier = this.#last.get(id);
      if (earlier !== undefined && earlier !== write) {
        (earlier.waiters ??= []).push(write);
        blockers += 1;
      }
      this.#last.set(id, write);
    }
    write.blockers = blockers;
    if (blockers === 0) this.#ready(write);
  }

  /** `write` has settled: the writes waiting for it are released once nothing else holds them back. */
  settled(write: W): void {
    for (const id of idsOf(write.op)) if (this.#last.get(id) === write) this.#last.delete(id);
    for (const waiter of (write.waiters ?? []) as W[]) {
      waiter.blockers! -= 1;
      if (waiter.blockers === 0) this.#ready(waiter);
    }
    write.waiters = undefined;
  }
}
