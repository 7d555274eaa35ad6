import { connectPgSimpleTable } from "../setup/sql-files.ts";
import { expiredAnHourAgo, fillerBlob, fillerCookie, fillerId, series } from "./filler.ts";
import type { BenchStore, OpenOptions, StoreDefinition } from "./types.ts";

/** connect-pg-simple: pg pool, JSON column, one statement per operation, no write avoidance. */
export const connectPgSimple: StoreDefinition = {
  name: "connect-pg-simple",
  label: "connect-pg-simple",
  ddl: () => [connectPgSimpleTable()],
  fillExpired: (from, to) =>
    `INSERT INTO "session" (sid, sess, expire) ` +
    `SELECT ${fillerId}, ('{"cookie":' || ${fillerCookie} || ',"blob":"' || ${fillerBlob} || '"}')::json, ${expiredAnHourAgo} ` +
    `FROM ${series(from, to)}`,
  countRows: `SELECT count(*)::int AS n FROM "session"`,
  async open({ url, poolMax }: OpenOptions): Promise<BenchStore> {
    const session = (await import("express-session")).default;
    const connectPgSimpleFactory = (await import("connect-pg-simple")).default;
    const PGStore = connectPgSimpleFactory(session);
    const store = new PGStore({ conObject: { connectionString: url, max: poolMax }, pruneSessionInterval: false });
    return {
      store,
      prune: () => new Promise<void>((resolve, reject) => store.pruneSessions((error) => (error ? reject(error) : resolve()))),
      // Typed `void`, but it returns the promise of the pool's end.
      close: async () => {
        await (store.close() as unknown as Promise<void>);
      },
    };
  },
};
