import fc from "fast-check";

/**
 * Runs an async property `numRuns` times and stops at the first failure without shrinking: the cases
 * change the database, so a re-run during shrinking would not see the state the failure saw. The
 * failure names the case (the property's own message), the seed and the path to replay it, and leaves
 * out the counterexample itself, which can hold megabytes of hostile strings.
 */
export async function checkProperty<T>(property: fc.IAsyncProperty<T>, numRuns: number): Promise<void> {
  await fc.assert(property, {
    numRuns,
    endOnFailure: true,
    reporter: (details) => {
      if (!details.failed) return;
      const cause = details.errorInstance;
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new Error(`property failed in run ${details.numRuns} of ${numRuns} (replay: seed ${details.seed}, path "${details.counterexamplePath}"):\n${message}`, {
        cause,
      });
    },
  });
}
