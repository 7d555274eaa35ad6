import { randomInt } from "node:crypto";
import fc from "fast-check";

// `npm test` (and CI) runs every property with the seed committed at its call site: the same cases on
// every run, so a verdict never depends on chance. `npm run fuzz` sets FUZZ=1: a fresh seed per property
// (or FUZZ_SEED to replay one), FUZZ_FACTOR times the runs, and a failure prints how to replay it.
const fuzzing = process.env["FUZZ"] === "1";
const factor = Number(process.env["FUZZ_FACTOR"] ?? 5);

export interface PropertyRun {
  /** The seed `npm test` uses: change it only together with a reason (e.g. a new counterexample kept in the regression cases). */
  seed: number;
  numRuns: number;
}

/** A test timeout that grows with the fuzzer's extra runs. */
export function propertyTimeout(ms: number): number {
  return fuzzing ? ms * factor : ms;
}

/**
 * Runs an async property and stops at the first failure without shrinking: the cases change the
 * database, so a re-run during shrinking would not see the state the failure saw. The failure names the
 * case (the property's own message), the seed and the command that replays it, and leaves out the
 * counterexample itself, which can hold megabytes of hostile strings.
 */
export async function checkProperty<T>(property: fc.IAsyncProperty<T>, run: PropertyRun): Promise<void> {
  const replaySeed = process.env["FUZZ_SEED"];
  const seed = fuzzing ? (replaySeed !== undefined ? Number(replaySeed) : randomInt(2 ** 31)) : run.seed;
  const numRuns = fuzzing ? run.numRuns * factor : run.numRuns;
  const testName = expect.getState().currentTestName ?? "";
  await fc.assert(property, {
    seed,
    numRuns,
    endOnFailure: true,
    reporter: (details) => {
      if (!details.failed) return;
      const cause = details.errorInstance;
      const message = cause instanceof Error ? cause.message : String(cause);
      const replay = `FUZZ_SEED=${details.seed} FUZZ_FACTOR=${fuzzing ? factor : 1} npm run fuzz -- -t ${JSON.stringify(testName)}`;
      throw new Error(`property failed in run ${details.numRuns} of ${numRuns} (seed ${details.seed}; replay: ${replay}):\n${message}`, {
        cause,
      });
    },
  });
}
