import type { PgSessionStore, PgSessionStoreOptions } from "../../src/adapters/express-session/index.ts";
import { migrationScriptsFor } from "../setup/sql-files.ts";
import { expiredAnHourAgo, fillerBlob, fillerCookie, fillerId, fillUserSessions, series } from "./filler.ts";
import type { BenchStore, StoreDefinition } from "./types.ts";

/** The SQL side of this project's store on `table`: the migrations, the fillers, the row count. */
export function oursTable(table: string): Pick<StoreDefinition, "ddl" | "fillExpired" | "userSessions" | "countRows"> {
  return {
    ddl: () => migrationScriptsFor(table),
    fillExpired: (from, to) =>
      `INSERT INTO "${table}" (id, a_session, expires_at) ` +
      `SELECT ${fillerId}, '{"json":{"cookie":' || ${fillerCookie} || ',"blob":"' || ${fillerBlob} || '"}}', ${expiredAnHourAgo} ` +
      `FROM ${series(from, to)}`,
    userSessions: { table, fill: (from, to, users) => fillUserSessions(table, from, to, users) },
    countRows: `SELECT count(*)::int AS n FROM "${table}"`,
  };
}

/**
 * `PgSessionStore` (express-session API) with `options`, and `SessionManager.open` (locked units) on the
 * same store; background pruning off (as for connect-pg-simple): pruning is measured on its own.
 * `closeClient` ends what the caller opened for it (a PrismaClient).
 */
export async function oursBenchStore(options: PgSessionStoreOptions, closeClient?: () => Promise<void>): Promise<BenchStore> {
  const { PgSessionStore } = await import("../../src/adapters/express-session/index.ts");
  const { SessionManager } = await import("../../src/index.ts");
  const adapter: PgSessionStore = new PgSessionStore({ ...options, pruneSessionInterval: false });
  const manager = new SessionManager({ store: adapter.store });
  return {
    store: adapter,
    locked: {
      create: async (data) => (await manager.create(data)).id,
      increment: (id) =>
        manager.open(id, (session) => {
          session.data["counter"] = ((session.data["counter"] as number | undefined) ?? 0) + 1;
        }),
      read: async (id) => (await manager.read(id)).data,
    },
    prune: async () => {
      await adapter.prune();
    },
    users: {
      list: async (user, limit) => (await adapter.userSessions(user, { limit })).sessions.length,
      count: (user) => adapter.countUserSessions(user),
      revokeAll: (user) => adapter.revokeUserSessions(user),
    },
    close: async () => {
      await adapter.close();
      await closeClient?.();
    },
  };
}
