import { migrationScriptsFor } from "../setup/sql-files.ts";
import { expiredAnHourAgo, fillerBlob, fillerCookie, fillerId, fillUserSessions, series } from "./filler.ts";
import type { BenchStore, OpenOptions, StoreDefinition } from "./types.ts";

const table = "sessions_prisma";

/**
 * This project on the path most of its users take: the app's PrismaClient (on @prisma/adapter-pg)
 * passed as `prisma`, every statement through Prisma's raw-query API. Same workloads as `ours`.
 */
export const oursPrisma: StoreDefinition = {
  name: "ours-prisma",
  label: "prisma-pg-session (PrismaClient)",
  ddl: () => migrationScriptsFor(table),
  fillExpired: (from, to) =>
    `INSERT INTO "${table}" (id, a_session, expires_at) ` +
    `SELECT ${fillerId}, '{"json":{"cookie":' || ${fillerCookie} || ',"blob":"' || ${fillerBlob} || '"}}', ${expiredAnHourAgo} ` +
    `FROM ${series(from, to)}`,
  userSessions: { table: table, fill: (from, to, users) => fillUserSessions(table, from, to, users) },
  countRows: `SELECT count(*)::int AS n FROM "${table}"`,
  async open({ url, poolMax }: OpenOptions): Promise<BenchStore> {
    const { PgSessionStore } = await import("../../src/adapters/express-session/index.ts");
    const { SessionManager } = await import("../../src/index.ts");
    const { PrismaClient } = await import("../../src/generated/prisma/client.ts");
    const { PrismaPg } = await import("@prisma/adapter-pg");
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolMax }) });
    const adapter = new PgSessionStore({ prisma, tableName: table, pruneSessionInterval: false });
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
        await prisma.$disconnect();
      },
    };
  },
};
