import pg from "pg";
import { newPrismaClient, testDatabaseUrl } from "./database.ts";

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
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0];
      const text = typeof first === "string" ? first : (first as { text?: string } | undefined)?.text;
      if (text !== undefined) statements.push(text);
      return query(...args);
    };
  });
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
