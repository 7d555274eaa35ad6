import type { BenchStore, StoreDefinition } from "./types.ts";

/** express-session's MemoryStore: no database, no network, the ceiling. */
export const memory: StoreDefinition = {
  name: "memory",
  label: "MemoryStore",
  ddl: () => [],
  async open(): Promise<BenchStore> {
    const session = (await import("express-session")).default;
    const store = new session.MemoryStore();
    return { store, close: async () => undefined };
  },
};
