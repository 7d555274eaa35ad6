import type { Store } from "express-session";
import type { Op } from "./runner.ts";
import { makeSession, newSessionId, refreshCookie, type BenchSession } from "./sessions.ts";
import * as call from "./store-calls.ts";

export interface PayloadSession {
  id: string;
  session: BenchSession;
}

/** One stored session whose JSON is about `bytes` long. */
export async function seedPayload(store: Store, bytes: number): Promise<PayloadSession> {
  const id = newSessionId();
  const session = makeSession(0, bytes);
  await call.set(store, id, session);
  return { id, session };
}

/** get, or set with a changed counter (so no store can skip the write), of that one session. */
export function payloadOp(store: Store, target: PayloadSession, kind: "get" | "set"): Op {
  if (kind === "get") {
    return async () => {
      if ((await call.get(store, target.id)) == null) throw new Error("payload session missing");
    };
  }
  return () => {
    refreshCookie(target.session);
    (target.session["views"] as number)++;
    return call.set(store, target.id, target.session);
  };
}
