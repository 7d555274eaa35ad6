import type { BenchStore } from "../stores/types.ts";
import type { IdQueue } from "./id-queue.ts";
import type { Op } from "./runner.ts";
import { newSessionId, refreshCookie, seededRandom, type BenchSession } from "./sessions.ts";
import * as call from "./store-calls.ts";

/**
 * The express-session Store workloads, on ids drawn uniformly. `set` writes changed data (every store
 * must write); `mix` is 80 % get, 15 % set (a third of them changed, the rest resaves of unchanged data,
 * as with express-session's default `resave: true`), 5 % touch; `fastify` is @fastify/session's
 * request: get, then set of the unchanged session with a refreshed cookie. `mix` and `fastify` model
 * requests of the currently active users: the first `active` sessions of the pool (the rest are stored
 * but idle), so each active session gets several requests a minute, as in a running application.
 */
// touch before set: set rewrites most sessions, after which (within touchAfter) touches would be skipped.
export const workloadNames = ["create", "get", "touch", "set", "destroy", "mix", "fastify"] as const;
export type WorkloadName = (typeof workloadNames)[number];

export interface WorkloadState {
  bench: BenchStore;
  /** The seeded sessions, as the application holds them. */
  ids: string[];
  /** How many of them (the first) `mix` and `fastify` requests come from. */
  active: number;
  sessions: BenchSession[];
  /** Ids created by `create` (and top-ups), for `destroy`. */
  created: IdQueue;
  payloadBytes: number;
  /** get-hit calls that found nothing (must stay 0). */
  misses: number;
}

function pick(state: WorkloadState, random: () => number): number {
  return Math.floor(random() * state.ids.length);
}

function pickActive(state: WorkloadState, random: () => number): number {
  return Math.floor(random() * Math.min(state.active, state.ids.length));
}

export function workloadOp(name: WorkloadName, state: WorkloadState, seed: number): Op {
  const store = state.bench.store;
  const random = seededRandom(seed);
  const getHit = async (i: number): Promise<void> => {
    if ((await call.get(store, state.ids[i]!)) == null) state.misses++;
  };
  const setChanged = (i: number): Promise<void> => {
    const sess = state.sessions[i]!;
    refreshCookie(sess);
    (sess["views"] as number)++;
    return call.set(store, state.ids[i]!, sess);
  };
  const resave = (i: number): Promise<void> => {
    const sess = state.sessions[i]!;
    refreshCookie(sess);
    return call.set(store, state.ids[i]!, sess);
  };
  const touch = (i: number): Promise<void> => {
    const sess = state.sessions[i]!;
    refreshCookie(sess);
    return call.touch(store, state.ids[i]!, sess);
  };
  switch (name) {
    case "create":
      return async () => {
        // A new id with one of the seeded sessions' data (built once: building it is not the store's work).
        const id = newSessionId();
        await call.set(store, id, state.sessions[state.created.size % state.sessions.length]!);
        state.created.push(id);
      };
    case "get":
      return () => getHit(pick(state, random));
    case "set":
      return () => setChanged(pick(state, random));
    case "touch":
      return () => touch(pick(state, random));
    case "destroy":
      return async () => {
        const id = state.created.shift();
        if (id === undefined) return false;
        await call.destroy(store, id);
      };
    case "mix":
      return () => {
        const r = random();
        const i = pickActive(state, random);
        if (r < 0.8) return getHit(i);
        if (r < 0.85) return setChanged(i);
        if (r < 0.95) return resave(i);
        return touch(i);
      };
    case "fastify":
      return async () => {
        const i = pickActive(state, random);
        await getHit(i);
        await resave(i);
      };
  }
}
