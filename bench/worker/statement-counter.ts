import { createRequire } from "node:module";
import pg from "pg";

/**
 * The copies of pg a statement can go through. The bench's own (bench/node_modules: raw pg,
 * connect-pg-simple, @prisma/adapter-pg) and the library's (src/ resolves pg from the root's
 * node_modules) are two installs of the same version, so two modules, each with its own `Client`.
 */
function pgCopies(): Array<typeof pg> {
  const library = createRequire(new URL("../../src/index.ts", import.meta.url))("pg") as typeof pg;
  return library.Client === pg.Client ? [pg] : [pg, library];
}

/**
 * Counts every statement any pg client of this process sends (pools, Prisma's driver adapter,
 * BEGIN/COMMIT included), by wrapping `Client.prototype.query` of every copy of pg before any store is
 * opened. A worker process runs one store, so the count is that store's. Optionally times statements
 * (prune batches).
 */
export class StatementCounter {
  total = 0;
  readonly byText = new Map<string, number>();
  #timing: { match: RegExp; durations: number[] } | undefined;

  install(): void {
    for (const copy of pgCopies()) this.#wrap(copy);
  }

  #wrap(copy: typeof pg): void {
    const original = copy.Client.prototype.query as (...args: unknown[]) => unknown;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const counter = this;
    (copy.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: unknown, ...args: unknown[]) {
      const first = args[0];
      const text = typeof first === "string" ? first : (first as { text?: string } | undefined)?.text;
      if (text === undefined) return original.apply(this, args);
      counter.total++;
      counter.byText.set(text, (counter.byText.get(text) ?? 0) + 1);
      const timing = counter.#timing;
      if (timing === undefined || !timing.match.test(text)) return original.apply(this, args);
      const started = performance.now();
      const done = (): void => void timing.durations.push(performance.now() - started);
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === "function") {
        args[last] = (...results: unknown[]) => (done(), (callback as (...r: unknown[]) => unknown)(...results));
        return original.apply(this, args);
      }
      const result = original.apply(this, args) as Promise<unknown>;
      result.then(done, done);
      return result;
    };
  }

  /** Statement counts since the last reset, most frequent first. */
  breakdown(limit = 8): Array<{ statement: string; count: number }> {
    return [...this.byText.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([statement, count]) => ({ statement: statement.replace(/\s+/g, " ").slice(0, 160), count }));
  }

  reset(): void {
    this.total = 0;
    this.byText.clear();
  }

  /** Records the duration of each statement matching `match` until `stopTiming`. */
  startTiming(match: RegExp): void {
    this.#timing = { match, durations: [] };
  }

  stopTiming(): number[] {
    const durations = this.#timing?.durations ?? [];
    this.#timing = undefined;
    return durations;
  }
}
