import { connectPgSimple } from "./connect-pg-simple.ts";
import { memory } from "./memory.ts";
import { ours } from "./ours.ts";
import { oursPrisma } from "./ours-prisma.ts";
import { prismaSessionStore } from "./prisma-session-store.ts";
import { rawPg } from "./raw-pg.ts";
import { oursJson } from "./experiments/ours-json.ts";
import type { StoreDefinition, StoreName } from "./types.ts";

/** The competitors of a default run, in report order. */
export const defaultStores: readonly StoreName[] = ["ours", "ours-prisma", "connect-pg-simple", "prisma-session-store", "raw-pg", "memory"];

/** Every store the bench knows, experiments included (`--stores=ours,ours-json,...`). */
export const allStoreDefinitions: readonly StoreDefinition[] = [
  ours,
  oursPrisma,
  oursJson,
  connectPgSimple,
  prismaSessionStore,
  rawPg,
  memory,
];

export function storeDefinition(name: StoreName): StoreDefinition {
  const found = allStoreDefinitions.find((definition) => definition.name === name);
  if (found === undefined) throw new Error(`unknown store ${name}`);
  return found;
}
