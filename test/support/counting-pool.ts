import pg from "pg";
import { newPrismaClient, recordStatements, testDatabaseUrl } from "./database.ts";

export interface CountingPool {
  pool: pg.Pool;
  /** Every statement the pool's connections sent, in order (BEGIN/COMMIT included). */
  statements: string[];
  /** A PrismaClient on the same pool: its statements are recorded too. */
  prisma(): ReturnType<typeof newPrismaClient>;
  close(): Promise<void>;
}

/** A node-postgres pool on the test database that records what its connections send: counts at the driver. */
export function countingPool(max = 10): CountingPool {
  const statements: string[] = [];
  const pool = new pg.Pool({ connectionString: testDatabaseUrl(), max });
  recordStatements(pool, statements);
  let prisma: ReturnType<typeof newPrismaClient> | undefined;
  return {
    pool,
    statements,
    prisma: () => (prisma ??= newPrismaClient(pool)),
    close: async () => {
      await prisma?.$disconnect();
      await pool.end();
    },
  };
}
