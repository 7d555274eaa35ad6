import { SessionNotFoundError } from "../errors/store-errors.ts";
import type { StoreTransaction } from "./store-transaction.ts";

/**
 * Runs `lock` (a row-lock statement: `SELECT ... FOR UPDATE`) under PostgreSQL's `lock_timeout` of
 * `timeoutMs` for this transaction (`undefined`: the database's). The setting lasts until the
 * transaction ends: in a caller's transaction (`joined`), the caller's own is given back as soon as the
 * lock is held, or known not to exist (SessionNotFoundError). After any other failure the transaction
 * is aborted and nothing more can run in it.
 */
export async function withLockTimeout<T>(
  tx: StoreTransaction,
  timeoutMs: number | undefined,
  joined: boolean,
  lock: () => Promise<T>,
): Promise<T> {
  if (timeoutMs === undefined) return lock();
  const [setting] = await tx.query<{ previous: string }>(
    "SELECT current_setting('lock_timeout') AS previous, set_config('lock_timeout', $1, true)",
    [`${timeoutMs}ms`],
  );
  const restore = () => tx.query("SELECT set_config('lock_timeout', $1, true)", [setting!.previous]);
  let locked: T;
  try {
    locked = await lock();
  } catch (error) {
    if (joined && error instanceof SessionNotFoundError) await restore();
    throw error;
  }
  if (joined) await restore();
  return locked;
}
