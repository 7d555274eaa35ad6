import { SessionNotFoundError } from "../errors/store-errors.ts";
import type { LockTurn } from "./row-turns.ts";
import type { StoreTransaction } from "./store-transaction.ts";

/**
 * Runs `lock` (a row-lock statement: `SELECT ... FOR UPDATE`) in the unit's `turn`
 * (PostgresStore.lockedTransaction), under PostgreSQL's `lock_timeout` of `turn.lockTimeoutMs` for this
 * transaction (`undefined`: the database's), then ends the turn. In a transaction of its own, `lock`
 * gets the timeout (`'5000ms'`) to set in its statement (timed-lock.ts: no statement of its own). In a
 * caller's transaction (`turn.joined`), it is set before and the caller's own is given back as soon as
 * the lock is held, or known not to exist (SessionNotFoundError). After any other failure the
 * transaction is aborted and nothing more can run in it.
 */
export async function lockInTurn<T>(
  tx: StoreTransaction,
  turn: LockTurn,
  lock: (lockTimeout: string | undefined) => Promise<T>,
): Promise<T> {
  try {
    const timeout = turn.lockTimeoutMs === undefined ? undefined : `${turn.lockTimeoutMs}ms`;
    if (timeout === undefined) return await lock(undefined);
    return turn.joined ? await lockJoined(tx, timeout, () => lock(undefined)) : await lock(timeout);
  } finally {
    turn.end();
  }
}

async function lockJoined<T>(tx: StoreTransaction, timeout: string, lock: () => Promise<T>): Promise<T> {
  const [setting] = await tx.query<{ previous: string }>(
    "SELECT current_setting('lock_timeout') AS previous, set_config('lock_timeout', $1, true)",
    [timeout],
  );
  const restore = () => tx.query("SELECT set_config('lock_timeout', $1, true)", [setting!.previous]);
  let locked: T;
  try {
    locked = await lock();
  } catch (error) {
    if (error instanceof SessionNotFoundError) await restore();
    throw error;
  }
  await restore();
  return locked;
}
