import { migrationScripts } from "../setup/sql-files.ts";
import { expiredAnHourAgo, fillerBlob, fillerCookie, fillerId, fillUserSessions, series } from "./filler.ts";
import type { BenchStore, OpenOptions, StoreDefinition } from "./types.ts";

/** This project: `PgSessionStore` (express-session API) and `SessionManager.open` (locked units) on one client. */
export const ours: StoreDefinition = {
  name: "ours",
  label: "prisma-pg-session",
  ddl: migrationScripts,
  fillExpired: (from, to) =>
    `INSERT INTO "sessions" (id, a_session, expires_at) ` +
    `SELECT ${fillerId}, '{"json":{"cookie":' || ${fillerCookie} || ',"blob":"' || ${fillerBlob} || '"}}', ${expiredAnHourAgo} ` +
    `FROM ${series(from, to)}`,
  userSessions: { table: "sessions", fill: (from, to, users) => fillUserSessions("sessions", from, to, users) },
  countRows: `SELECT count(*)::int AS n FROM "sessions"`,
  async open({ url, poolMax }: OpenOptions): Promise<BenchStore> {
    const { PgSessionStore } = await import("../../src/adapters/express-session/index.ts");
    const { SessionManager } = await import("../../src/index.ts");
    // As a user would configure it; background pruning off (as for connect-pg-simple): pruning is measured on its own.
    const adapter = new PgSessionStore({ datasourceUrl: url, pool: { max: poolMax }, pruneSessionInterval: false });
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
      close: () => adapter.close(),
    };
  },
};
