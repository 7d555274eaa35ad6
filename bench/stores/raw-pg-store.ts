import { randomBytes } from "node:crypto";
import session, { type SessionData } from "express-session";
import type pg from "pg";
import type { LockedUnits } from "./types.ts";

type Callback<T = void> = (error?: unknown, value?: T) => void;

export const rawTable = "raw_sessions";
const sql = {
  get: `SELECT a_session FROM ${rawTable} WHERE id = $1 AND expires_at > now()`,
  set:
    `INSERT INTO ${rawTable} (id, a_session, expires_at) VALUES ($1, $2, $3) ` +
    "ON CONFLICT (id) DO UPDATE SET a_session = EXCLUDED.a_session, expires_at = EXCLUDED.expires_at",
  touch: `UPDATE ${rawTable} SET expires_at = $2 WHERE id = $1`,
  destroy: `DELETE FROM ${rawTable} WHERE id = $1`,
  insert: `INSERT INTO ${rawTable} (id, a_session, expires_at) VALUES ($1, $2, NULL)`,
  lock: `SELECT a_session FROM ${rawTable} WHERE id = $1 FOR UPDATE`,
  update: `UPDATE ${rawTable} SET a_session = $2 WHERE id = $1`,
};

function expiryOf(sess: SessionData): Date {
  const expires = sess.cookie?.expires;
  return expires ? new Date(expires) : new Date(Date.now() + 86_400_000);
}

/**
 * The physical reference: the least a store on this table can do. One statement per operation, JSON,
 * no validation, no write avoidance, no error mapping.
 */
export class RawPgStore extends session.Store {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    super();
    this.#pool = pool;
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    this.#pool.query(sql.get, [sid]).then(
      (result) => callback(null, result.rows[0] ? (JSON.parse(result.rows[0].a_session) as SessionData) : null),
      (error: unknown) => callback(error),
    );
  }

  override set(sid: string, sess: SessionData, callback?: Callback): void {
    this.#run(sql.set, [sid, JSON.stringify(sess), expiryOf(sess)], callback);
  }

  override touch(sid: string, sess: SessionData, callback?: Callback): void {
    this.#run(sql.touch, [sid, expiryOf(sess)], callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    this.#run(sql.destroy, [sid], callback);
  }

  #run(text: string, values: unknown[], callback: Callback | undefined): void {
    this.#pool.query(text, values).then(
      () => callback?.(null),
      (error: unknown) => callback?.(error),
    );
  }
}

/** BEGIN / SELECT ... FOR UPDATE / UPDATE / COMMIT on a pooled connection: the reference locked unit. */
export function rawLockedUnits(pool: pg.Pool): LockedUnits {
  return {
    async create(data) {
      const id = randomBytes(16).toString("hex");
      await pool.query(sql.insert, [id, JSON.stringify(data)]);
      return id;
    },
    async increment(id) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const { rows } = await client.query(sql.lock, [id]);
        const data = JSON.parse(rows[0].a_session) as { counter?: number };
        data.counter = (data.counter ?? 0) + 1;
        await client.query(sql.update, [id, JSON.stringify(data)]);
        await client.query("COMMIT");
        client.release();
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        client.release();
        throw error;
      }
    },
    async read(id) {
      const { rows } = await pool.query(`SELECT a_session FROM ${rawTable} WHERE id = $1`, [id]);
      return JSON.parse(rows[0].a_session) as Record<string, unknown>;
    },
  };
}
