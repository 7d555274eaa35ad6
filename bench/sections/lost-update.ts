import type { StoreName } from "../stores/types.ts";
import type { LostUpdateResult } from "../worker/lost-update.ts";
import { storesWith, worker, type RunContext } from "./context.ts";

export type LostUpdateRow = LostUpdateResult & { store: StoreName };

/** Lost updates: concurrent read-modify-write requests on one session, through each store's natural API. */
export async function lostUpdateSection(context: RunContext): Promise<LostUpdateRow[]> {
  const requests = context.config.lostUpdate.requests;
  const rows: LostUpdateRow[] = [];
  const locked = storesWith(context, "hasLocked");
  for (const name of context.config.stores) {
    const vias: Array<LostUpdateResult["via"]> = locked.includes(name) ? ["get/set", "locked unit"] : ["get/set"];
    for (const via of vias) {
      const result = await worker(context, name).call<LostUpdateResult>("lostUpdate", { requests, via });
      rows.push({ store: name, ...result });
      context.log(`lost update ${name} via ${via}: counter ${result.finalCounter} of ${requests} (${result.failed} failed)`);
    }
  }
  return rows;
}
