const lockSuffix = "WHERE id = $1::bpchar FOR UPDATE";

/**
 * A row-lock statement (`... WHERE id = $1::bpchar FOR UPDATE`) that also sets this transaction's
 * `lock_timeout` to its parameter `$2` (`'5000ms'`) before it waits: the setting is a filter evaluated
 * on the row before the row is locked (a volatile function is never hoisted out of the scan), so a
 * bounded lock wait costs no statement of its own. A row that does not exist sets nothing, and waits
 * for nothing.
 */
export function timedLock(statement: string): string {
  if (!statement.endsWith(lockSuffix)) throw new Error(`not a row-lock statement: ${statement}`);
  return `${statement.slice(0, -lockSuffix.length)}WHERE id = $1::bpchar AND set_config('lock_timeout', $2::text, true) IS NOT NULL FOR UPDATE`;
}

/**
 * The lock statement and its values for `key`: `plain`, or with a `lockTimeout` (`'5000ms'`) `within`,
 * its timedLock form.
 */
export function lockQuery(plain: string, within: string, key: string, lockTimeout: string | undefined): [string, unknown[]] {
  return lockTimeout === undefined ? [plain, [key]] : [within, [key, lockTimeout]];
}
