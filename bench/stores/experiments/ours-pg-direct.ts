import type pg from "pg";
import { migrationScriptsFor } from "../../setup/sql-files.ts";
import type { BenchStore, OpenOptions, StoreDefinition } from "../types.ts";

const table = "sessions_direct";

/**
 * Experiment (the src/ change this benchmark recommends, done from outside by subclassing
 * PostgresStore): the same adapter and SessionManager, but statements and transactions go straight to
 * the pg pool that the Prisma client also uses, instead of through PrismaClient's
 * `$queryRawUnsafe` / `$executeRawUnsafe` / `$transaction`. SQL, statement counts, validation, error
 * mapping and serialization are unchanged. Not production code: no transaction timeout.
 */
export const oursPgDirect: StoreDefinition = {
  name: "ours-pg-direct",
  label: "ours, pg direct (experiment)",
  ddl: () => migrationScriptsFor(table),
  async open({ url, poolMax }: OpenOptions): Promise<BenchStore> {
    const { Pool } = (await import("pg")).default;
    const { PrismaPg } = await import("@prisma/adapter-pg");
    const { PrismaClient } = await import("../../../src/generated/prisma/client.ts");
    const { PostgresStore, SessionManager, StoreTransaction, parseTableName } = await import("../../../src/index.ts");
    const { PgSessionStore } = await import("../../../src/adapters/express/index.ts");
    const { statementsFor } = await import("../../../src/store/statements.ts");
    const { mapDatabaseError } = await import("../../../src/errors/map-database-error.ts");
    type SqlClient = ConstructorParameters<typeof StoreTransaction>[0];

    const pool = new Pool({ connectionString: url, max: poolMax, connectionTimeoutMillis: 5000, idleTimeoutMillis: 10_000 });
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    const tableName = parseTableName(table);
    const context = { table: tableName, statements: statementsFor(tableName), maxPayloadBytes: 16 * 1024 * 1024, maxIdLength: 32 };
    const sqlClient = (client: pg.Pool | pg.PoolClient): SqlClient => ({
      $queryRawUnsafe: <T>(sql: string, ...values: unknown[]) => client.query(sql, values).then((result: pg.QueryResult) => result.rows as T),
      $executeRawUnsafe: (sql: string, ...values: unknown[]) => client.query(sql, values).then((result: pg.QueryResult) => result.rowCount ?? 0),
    });

    class PgDirectStore extends PostgresStore {
      override async query<R>(sql: string, values: readonly unknown[], sessionId?: string): Promise<R[]> {
        try {
          return (await pool.query(sql, values as unknown[])).rows as R[];
        } catch (error) {
          throw mapDatabaseError(error, { sessionId, table });
        }
      }

      override async execute(sql: string, values: readonly unknown[], sessionId?: string): Promise<number> {
        try {
          return (await pool.query(sql, values as unknown[])).rowCount ?? 0;
        } catch (error) {
          throw mapDatabaseError(error, { sessionId, table });
        }
      }

      override async transaction<T>(fn: (tx: InstanceType<typeof StoreTransaction>) => Promise<T>): Promise<T> {
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          const result = await fn(new StoreTransaction(sqlClient(client), context));
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw mapDatabaseError(error, { table });
        } finally {
          client.release();
        }
      }
    }

    const store = new PgDirectStore({ prisma, tableName: table });
    const adapter = new PgSessionStore({ store, pruneSessionInterval: false });
    const manager = new SessionManager({ store });
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
      close: async () => {
        await adapter.close();
        await prisma.$disconnect();
        await pool.end();
      },
    };
  },
};
