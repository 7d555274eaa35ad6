import { storeDefinition } from "../stores/index.ts";
import type { StoreName } from "../stores/types.ts";

export function storeLabel(name: StoreName): string {
  return storeDefinition(name).label;
}

export const workloadTitles: Record<string, string> = {
  create: "create (set of new ids)",
  get: "get-hit",
  set: "set (changed data, existing session)",
  touch: "touch",
  destroy: "destroy",
  mix: "realistic mix (80 % get, 15 % set of which ⅓ changed, 5 % touch)",
  fastify: "fastify-style request (get + set of unchanged data)",
};
