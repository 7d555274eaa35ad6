import type { BenchStore } from "../stores/types.ts";
import { lockedData } from "./locked.ts";
import { makeSession, newSessionId } from "./sessions.ts";
import * as call from "./store-calls.ts";

export interface LostUpdateResult {
  via: "get/set" | "locked unit";
  requests: number;
  finalCounter: number | undefined;
  failed: number;
  firstError?: string;
  ms: number;
}

/**
 * `requests` concurrent read-modify-write "requests" on one session, each adding 1 to a counter:
 * through the express-session API (get, counter + 1, set) or through the store's locked unit.
 */
export async function lostUpdate(bench: BenchStore, requests: number, via: LostUpdateResult["via"]): Promise<LostUpdateResult> {
  let read: () => Promise<unknown>;
  let request: () => Promise<void>;
  if (via === "locked unit") {
    const units = bench.locked;
    if (units === undefined) throw new Error("this store has no locked unit");
    const id = await units.create(lockedData(1024));
    request = () => units.increment(id);
    read = async () => (await units.read(id))["counter"];
  } else {
    const store = bench.store;
    const sid = newSessionId();
    const initial = makeSession(0, 1024);
    initial["counter"] = 0;
    await call.set(store, sid, initial);
    request = async () => {
      const sess = (await call.get(store, sid)) as Record<string, unknown> | null | undefined;
      if (sess == null) throw new Error("session vanished");
      sess["counter"] = ((sess["counter"] as number | undefined) ?? 0) + 1;
      await call.set(store, sid, sess as never);
    };
    read = async () => ((await call.get(store, sid)) as Record<string, unknown> | null | undefined)?.["counter"];
  }
  const started = performance.now();
  const outcomes = await Promise.allSettled(Array.from({ length: requests }, () => request()));
  const ms = performance.now() - started;
  const failures = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  const result: LostUpdateResult = { via, requests, finalCounter: (await read()) as number | undefined, failed: failures.length, ms };
  if (failures[0] !== undefined) result.firstError = String((failures[0].reason as Error)?.message ?? failures[0].reason).slice(0, 200);
  return result;
}
