import { migrationScriptsFor } from "../../setup/sql-files.ts";
import type { BenchStore, OpenOptions, StoreDefinition } from "../types.ts";

const table = "sessions_json";

/** Experiment: ours with a plain JSON serializer (a public option) instead of superjson: what superjson costs. */
export const oursJson: StoreDefinition = {
  name: "ours-json",
  label: "ours + JSON serializer",
  ddl: () => migrationScriptsFor(table),
  async open({ url, poolMax }: OpenOptions): Promise<BenchStore> {
    const { PgSessionStore } = await import("../../../src/adapters/express-session/index.ts");
    const serializer = { serialize: (data: unknown) => JSON.stringify(data), deserialize: (text: string) => JSON.parse(text) as unknown };
    const adapter = new PgSessionStore({
      datasourceUrl: url,
      tableName: table,
      pool: { max: poolMax },
      pruneSessionInterval: false,
      serializer,
    });
    return { store: adapter, close: () => adapter.close() };
  },
};
