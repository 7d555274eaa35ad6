// superjson refuses keys named `constructor` and `prototype` anywhere in data it annotates (a guard
// against paths like `constructor.prototype.x` in its meta). They are ordinary data (an i18n dictionary
// has them), so data that holds both such keys and values superjson must annotate is written with every
// key that starts with NUL, `constructor` or `prototype` prefixed by one NUL, and the envelope says so.
// Data without such keys is written exactly as superjson writes it.

const escape = "\u0000";

const needsEscape = (key: string): boolean => key === "constructor" || key === "prototype" || key.startsWith(escape);

/** A copy of `data` with guarded keys escaped; shared and cyclic references stay shared. */
export function escapeGuardedKeys(data: unknown, copies = new Map<object, unknown>()): unknown {
  if (typeof data !== "object" || data === null) return data;
  const known = copies.get(data);
  if (known !== undefined) return known;
  if (Array.isArray(data)) {
    const copy: unknown[] = [];
    copies.set(data, copy);
    for (const item of data) copy.push(escapeGuardedKeys(item, copies));
    return copy;
  }
  if (data instanceof Map) {
    const copy = new Map();
    copies.set(data, copy);
    for (const [key, value] of data) copy.set(escapeGuardedKeys(key, copies), escapeGuardedKeys(value, copies));
    return copy;
  }
  if (data instanceof Set) {
    const copy = new Set();
    copies.set(data, copy);
    for (const item of data) copy.add(escapeGuardedKeys(item, copies));
    return copy;
  }
  if (Object.getPrototypeOf(data) !== Object.prototype) return data;
  const copy: Record<string, unknown> = {};
  copies.set(data, copy);
  for (const [key, value] of Object.entries(data)) {
    copy[needsEscape(key) ? escape + key : key] = escapeGuardedKeys(value, copies);
  }
  return copy;
}

/** Undoes {@link escapeGuardedKeys} in place (key order kept), on data superjson just deserialized. */
export function unescapeGuardedKeys(data: unknown, done = new Set<object>()): unknown {
  if (typeof data !== "object" || data === null || done.has(data)) return data;
  done.add(data);
  if (Array.isArray(data) || data instanceof Set) {
    for (const item of data) unescapeGuardedKeys(item, done);
  } else if (data instanceof Map) {
    for (const [key, value] of data) {
      unescapeGuardedKeys(key, done);
      unescapeGuardedKeys(value, done);
    }
  } else if (Object.getPrototypeOf(data) === Object.prototype) {
    const entries = Object.entries(data);
    for (const [key] of entries) Reflect.deleteProperty(data, key);
    for (const [key, value] of entries) {
      // defineProperty: a restored `constructor` or `prototype` key is an own data property, nothing more.
      Object.defineProperty(data, key.startsWith(escape) ? key.slice(1) : key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
      unescapeGuardedKeys(value, done);
    }
  }
  return data;
}
