import { oursBenchStore, oursTable } from "./ours-common.ts";
import type { BenchStore, OpenOptions, StoreDefinition } from "./types.ts";

/** This project as a user configures it from a URL: `PgSessionStore` on its own node-postgres pool. */
export const ours: StoreDefinition = {
  name: "ours",
  label: "prisma-pg-session",
  ...oursTable("sessions"),
  open: ({ url, poolMax }: OpenOptions): Promise<BenchStore> => oursBenchStore({ datasourceUrl: url, pool: { max: poolMax } }),
};
