import { randomBytes } from "node:crypto";
import type pg from "pg";

/**
 * Two things an injection would change first: a row in the table under attack and a table of its own
 * next to it (a DROP, a TRUNCATE or a stray UPDATE/DELETE hits one of them). `assertIntact()` reads both
 * in one statement and throws if either is gone or altered.
 */
export class Canary {
  /** The id of the canary row in the table under attack: keep it out of generated ids. */
  readonly id = "CANARY_do_not_touch";
  readonly payload = `canary payload ${randomBytes(8).toString("hex")}`;
  readonly table = `fuzz_canary_${randomBytes(4).toString("hex")}`;
  #checks = 0;

  private constructor(
    readonly pool: pg.Pool,
    readonly attacked: string,
  ) {}

  static async plant(pool: pg.Pool, attackedTable: string): Promise<Canary> {
    const canary = new Canary(pool, attackedTable);
    await pool.query(`CREATE TABLE "${canary.table}" (v text NOT NULL)`);
    await pool.query(`INSERT INTO "${canary.table}" (v) VALUES ($1)`, [canary.payload]);
    await pool.query(`INSERT INTO "${attackedTable}" (id, a_session) VALUES ($1, $2)`, [canary.id, canary.payload]);
    return canary;
  }

  /** How many times it was checked. */
  get checks(): number {
    return this.#checks;
  }

  async assertIntact(): Promise<void> {
    this.#checks += 1;
    const { rows } = await this.pool.query(
      `SELECT (SELECT array_agg(a_session) FROM "${this.attacked}" WHERE id = $1) AS row,
              (SELECT array_agg(v) FROM "${this.table}") AS own`,
      [this.id],
    );
    const { row, own } = rows[0];
    if (JSON.stringify(row) !== JSON.stringify([this.payload]) || JSON.stringify(own) !== JSON.stringify([this.payload])) {
      throw new Error(`canary changed: row ${JSON.stringify(row)}, table ${JSON.stringify(own)}`);
    }
  }

  async remove(): Promise<void> {
    await this.pool.query(`DROP TABLE IF EXISTS "${this.table}"`);
  }
}
