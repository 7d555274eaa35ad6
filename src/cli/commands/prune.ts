import { startProgress } from "../progress.ts";
import { adapterStatementsFor } from "../../table/adapter-statements.ts";
import type { Command } from "../command-context.ts";
import { operatorQueriesFor } from "../../table/operator-statements.ts";

/** `prune [--dry-run] [--batch-size N]`: deletes expired sessions in batches, showing progress. */
export const prune: Command = async ({ store, output, options, now }) => {
  const cutoff = now();
  const [{ n: expired } = { n: 0 }] = await store.query<{ n: number }>(operatorQueriesFor(store.table).countExpired, [cutoff]);
  if (options.dryRun) {
    output.result({ expired, deleted: 0, dryRun: true }, () => `${expired} expired session(s) would be deleted (dry run)`);
    return;
  }
  const progress = startProgress(output, "pruning", expired);
  const statement = adapterStatementsFor(store.table).prune;
  let deleted = 0;
  try {
    for (;;) {
      const batch = await store.execute(statement, [cutoff, options.batchSize]);
      deleted += batch;
      progress.update(deleted, () => (batch > 0 ? `deleted ${deleted} of ${expired}` : undefined));
      if (batch < options.batchSize) break;
    }
  } finally {
    progress.stop();
  }
  output.result({ expired, deleted, dryRun: false }, () => `pruned ${deleted} expired session(s)`);
};
