import type { Serializer } from "../serialization/serializer.ts";
import type { PostgresStore } from "../store/postgres-store.ts";
import type { Output } from "./output.ts";

/** What every command gets: the store on the chosen table, the output, and parsed options. */
export interface CommandContext {
  store: PostgresStore;
  serializer: Serializer;
  output: Output;
  /** Positional arguments after the command name. */
  args: string[];
  options: { limit: number; after: string | undefined; dryRun: boolean; batchSize: number; user: string | undefined; yes: boolean };
  now: () => Date;
}

/** Runs a command; it may resolve to its exit code (default: 0). */
export type Command = (context: CommandContext) => Promise<void | number>;
