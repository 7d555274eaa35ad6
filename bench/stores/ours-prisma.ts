import { oursBenchStore, oursTable } from "./ours-common.ts";
import type { BenchStore, OpenOptions, StoreDefinition } from "./types.ts";

const table = "sessions_prisma";

/**
 * This project on the path most of its users take: the app's PrismaClient (on @prisma/adapter-pg)
 * passed as `prisma`, every statement through Prisma's raw-query API. Same workloads as `ours`.
 */
export const oursPrisma: StoreDefinition = {
  name: "ours-prisma",
  label: "prisma-pg-session (PrismaClient)",
  ...oursTable(table),
  async open({ url, poolMax }: OpenOptions): Promise<BenchStore> {
    const { PrismaClient } = await import("../../test/generated/prisma/client.ts");
    const { PrismaPg } = await import("@prisma/adapter-pg");
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolMax }) });
    return oursBenchStore({ prisma, tableName: table }, () => prisma.$disconnect());
  },
};
