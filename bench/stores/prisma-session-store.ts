import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { peerClientDir } from "../setup/generate.ts";
import { benchSql } from "../setup/sql-files.ts";
import type { BenchStore, OpenOptions, StoreDefinition } from "./types.ts";

interface PeerPrismaClient {
  $disconnect(): Promise<void>;
}

/** @quixo3/prisma-session-store on Prisma 7 with the pg driver adapter, configured as its README shows. */
export const prismaSessionStore: StoreDefinition = {
  name: "prisma-session-store",
  label: "@quixo3/prisma-session-store",
  ddl: () => [benchSql("session-store.sql")],
  countRows: `SELECT count(*)::int AS n FROM "Session"`,
  async open({ url, poolMax }: OpenOptions): Promise<BenchStore> {
    // Loaded by URL: the client is generated at run time (bench/generated is git-ignored), so a
    // static import would break type checking of a fresh clone.
    const clientModule = pathToFileURL(join(peerClientDir, "client.ts")).href;
    const { PrismaClient } = (await import(clientModule)) as {
      PrismaClient: new (options: { adapter: unknown }) => PeerPrismaClient;
    };
    const { PrismaPg } = await import("@prisma/adapter-pg");
    const { PrismaSessionStore } = await import("@quixo3/prisma-session-store");
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolMax }) });
    const store = new PrismaSessionStore(prisma as never, { dbRecordIdIsSessionId: true, dbRecordIdFunction: undefined });
    return { store, close: () => store.shutdown() };
  },
};
