import { randomBytes } from "node:crypto";
import type { LockedUnits } from "../stores/types.ts";
import type { Op } from "./runner.ts";

/** Plain data of about `bytes` as JSON, with the counter the units increment. */
export function lockedData(bytes: number): Record<string, unknown> {
  const data: Record<string, unknown> = { user: { id: 42, name: "user 42", roles: ["reader"] }, counter: 0, blob: "" };
  data["blob"] = randomBytes(bytes)
    .toString("base64")
    .slice(0, Math.max(0, bytes - JSON.stringify(data).length));
  return data;
}

export interface LockedState {
  units: LockedUnits;
  /** One id per concurrent caller (no lock waits) ... */
  distinct: string[];
  /** ... and one id they all share (every unit waits for the previous one). */
  hot: string;
}

export async function seedLocked(units: LockedUnits, callers: number, bytes: number): Promise<LockedState> {
  const distinct: string[] = [];
  for (let i = 0; i < callers; i++) distinct.push(await units.create(lockedData(bytes)));
  return { units, distinct, hot: await units.create(lockedData(bytes)) };
}

export function lockedOp(state: LockedState, hot: boolean): Op {
  return (loop) => state.units.increment(hot ? state.hot : state.distinct[loop]!);
}
