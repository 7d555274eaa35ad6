// Every event a layer fires, recorded by name: the observability tests' listener.
import { createHash } from "node:crypto";
import type pg from "pg";
import type { SessionEventMap, SessionEventName } from "../../src/index.ts";

export const eventNames: SessionEventName[] = [
  "created",
  "destroyed",
  "expiredOnRead",
  "pruned",
  "lockWaited",
  "writeSkipped",
  "operationFailed",
];

export type EventLog = { [K in SessionEventName]: Array<SessionEventMap[K]> } & {
  /** Empties every list; returns what was recorded (for "nothing more fired" checks). */
  take(): Array<[SessionEventName, unknown]>;
};

/** Listens for every event of `source` (PgSessionStore, SessionManager, WebSessions, a storage's `events`). */
export function eventLog(source: { on(event: any, listener: (event: any) => void): unknown }): EventLog {
  const log = { take: () => [] as Array<[SessionEventName, unknown]> } as unknown as EventLog;
  const order: Array<[SessionEventName, unknown]> = [];
  for (const name of eventNames) {
    (log as unknown as Record<string, unknown[]>)[name] = [];
    source.on(name, (event: unknown) => {
      (log as unknown as Record<string, unknown[]>)[name]!.push(event);
      order.push([name, event]);
    });
  }
  log.take = () => {
    for (const name of eventNames) (log as unknown as Record<string, unknown[]>)[name]!.length = 0;
    return order.splice(0);
  };
  return log;
}

/** The handle of a stored key, computed here as the library documents it: SHA-256, hex, 32 characters. */
export function handleOf(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex").slice(0, 32);
}

/** The handle PostgreSQL computes for a row (the expression userSessions() lists). */
export async function sqlHandleOf(admin: pg.Pool, table: string, key: string): Promise<string | undefined> {
  const { rows } = await admin.query(
    `SELECT substr(encode(sha256(convert_to(id::text, 'UTF8')), 'hex'), 1, 32) AS handle FROM "${table}" WHERE id = $1`,
    [key],
  );
  return rows[0]?.handle;
}
