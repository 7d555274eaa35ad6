import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time of the PostgreSQL backends serving one database, from /proc/<pid>/schedstat (ns, not clock
 * ticks). Backends are found by their process title, `postgres: [cluster: ]user database host(port) ...`.
 * Idle backends of other stores cost nothing, so during a segment the delta is the measured store's.
 * Returns undefined where /proc is not readable (another OS, another host): the column is then empty.
 */
export class ServerCpu {
  readonly #title: RegExp;

  constructor(database: string) {
    this.#title = new RegExp(`^postgres: (?:\\S+: )?\\S+ ${database} `);
  }

  /** ns of CPU per backend pid, now. */
  sample(): Map<number, number> | undefined {
    let pids: string[];
    try {
      pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
    } catch {
      return undefined;
    }
    const result = new Map<number, number>();
    for (const pid of pids) {
      try {
        const title = readFileSync(`/proc/${pid}/cmdline`, "latin1");
        if (!this.#title.test(title)) continue;
        const ns = Number(readFileSync(`/proc/${pid}/schedstat`, "latin1").split(" ")[0]);
        if (Number.isFinite(ns)) result.set(Number(pid), ns);
      } catch {
        // The process ended meanwhile, or is not ours to read.
      }
    }
    return result;
  }

  /** CPU ms the backends used between two samples (a backend started meanwhile counts in full). */
  static deltaMs(before: Map<number, number> | undefined, after: Map<number, number> | undefined): number | undefined {
    if (before === undefined || after === undefined || after.size === 0) return undefined;
    let ns = 0;
    for (const [pid, value] of after) ns += value - (before.get(pid) ?? 0);
    return ns / 1e6;
  }
}
