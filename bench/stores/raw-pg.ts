import { expiredAnHourAgo, fillerBlob, fillerCookie, fillerId, series } from "./filler.ts";
import { rawTable } from "./raw-pg-store.ts";
import type { BenchStore, OpenOptions, StoreDefinition } from "./types.ts";

/** A minimal store on plain `pg` with our table's shape: what the hardware and PostgreSQL allow. */
export const rawPg: StoreDefinition = {
  name: "raw-pg",
  label: "raw pg",
  ddl: () => [
    `CREATE TABLE ${rawTable} (id char(32) PRIMARY KEY, a_session text, expires_at timestamptz)`,
    `CREATE INDEX ${rawTable}_expires_at_idx ON ${rawTable} (expires_at)`,
  ],
  fillExpired: (from, to) =>
    `INSERT INTO ${rawTable} (id, a_session, expires_at) ` +
    `SELECT ${fillerId}, '{"cookie":' || ${fillerCookie} || ',"blob":"' || ${fillerBlob} || '"}', ${expiredAnHourAgo} ` +
    `FROM ${series(from, to)}`,
  countRows: `SELECT count(*)::int AS n FROM ${rawTable}`,
  async open({ url, poolMax }: OpenOptions): Promise<BenchStore> {
    const pg = (await import("pg")).default;
    const { RawPgStore, rawLockedUnits } = await import("./raw-pg-store.ts");
    const pool = new pg.Pool({ connectionString: url, max: poolMax });
    return {
      store: new RawPgStore(pool),
      locked: rawLockedUnits(pool),
      prune: async () => {
        await pool.query(`DELETE FROM ${rawTable} WHERE expires_at <= now()`);
      },
      close: () => pool.end(),
    };
  },
};
