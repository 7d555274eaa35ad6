/**
 * Dates, Maps, Sets and RegExps that report their writes, yet stay the real thing: a value is tracked
 * by giving it a subclass's prototype (it keeps its internal slots), so `instanceof`, `util.types`,
 * `structuredClone` and `new Date(value)` see a real Date (Map, Set, RegExp), where a Proxy would not.
 * Its mutating methods first ask the value's tracker (the open session's guard), then do what the
 * built-in does. Only values of exactly the built-in prototype are tracked (a subclass of the app's
 * keeps its own prototype, and is guarded another way).
 */

/** What a tracked value reports to: the guard of the session it belongs to. */
export interface Tracker {
  /** Called before a mutating method runs; throws to refuse the write. */
  guard(method: string): void;
  /** A value read out of the tracked one (a Map's `get`), as the session hands values out. */
  wrap<T>(value: T): T;
  /** A value written into the tracked one, as the session stores values. */
  unwrap<T>(value: T): T;
}

const trackers = new WeakMap<object, Tracker>();

type Method = (this: object, ...args: unknown[]) => unknown;

/** The subclass prototype for `base`: every method in `mutators` guarded, `get` wrapped. */
function trackedPrototype(base: object, mutators: readonly string[], unwrapsArgs: boolean, wrapsGet: boolean): object {
  const prototype = Object.create(base) as Record<string, Method>;
  const builtIn = base as Record<string, Method>;
  for (const name of mutators) {
    const method = builtIn[name]!;
    Object.defineProperty(prototype, name, {
      configurable: true,
      writable: true,
      value: function (this: object, ...args: unknown[]): unknown {
        const tracker = trackers.get(this);
        tracker?.guard(name);
        return method.apply(this, tracker !== undefined && unwrapsArgs ? args.map((arg) => tracker.unwrap(arg)) : args);
      },
    });
  }
  if (wrapsGet) {
    const get = builtIn["get"]!;
    Object.defineProperty(prototype, "get", {
      configurable: true,
      writable: true,
      value: function (this: object, ...args: unknown[]): unknown {
        const value = get.apply(this, args);
        return trackers.get(this)?.wrap(value) ?? value;
      },
    });
  }
  return prototype;
}

const dateSetters = Object.getOwnPropertyNames(Date.prototype).filter((name) => name.startsWith("set"));
const trackedOf = new Map<object, object>([
  [Date.prototype, trackedPrototype(Date.prototype, dateSetters, false, false)],
  [Map.prototype, trackedPrototype(Map.prototype, ["set", "delete", "clear"], true, true)],
  [Set.prototype, trackedPrototype(Set.prototype, ["add", "delete", "clear"], true, false)],
  [RegExp.prototype, trackedPrototype(RegExp.prototype, ["compile"], false, false)],
]);
const builtInOf = new Map<object, object>([...trackedOf].map(([builtIn, tracked]) => [tracked, builtIn]));

/**
 * Tracks `value` for `tracker` (a value already tracked changes tracker: it was put into another
 * session). @returns false when `value` is not a plain Date, Map, Set or RegExp (nothing changed)
 */
export function track(value: object, tracker: Tracker): boolean {
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === null) return false;
  const tracked = trackedOf.get(prototype) ?? (builtInOf.has(prototype) ? prototype : undefined);
  if (tracked === undefined) return false;
  if (tracked !== prototype) Object.setPrototypeOf(value, tracked);
  trackers.set(value, tracker);
  return true;
}

/** Whether `value` is tracked (by any tracker). */
export function isTracked(value: object): boolean {
  return trackers.has(value);
}

/** Whether `value` is a plain Date, Map, Set or RegExp (of the built-in prototype exactly), tracked or not. */
export function isTrackable(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype !== null && (trackedOf.has(prototype) || builtInOf.has(prototype));
}

/**
 * Tracks, for `tracker`, every plain Date, Map, Set and RegExp inside `root` (a session's data as it
 * was loaded: objects of its own, that nothing else holds). Walks without recursion.
 */
export function trackAll(root: object, tracker: Tracker): void {
  const seen = new Set<object>();
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== "object" || next === null || seen.has(next)) continue;
    seen.add(next);
    if (Array.isArray(next)) {
      for (const item of next) pending.push(item);
      continue;
    }
    if (next instanceof Map) {
      for (const [key, value] of next) pending.push(key, value);
      track(next, tracker);
      continue;
    }
    if (next instanceof Set) {
      for (const value of next) pending.push(value);
      track(next, tracker);
      continue;
    }
    if (!track(next, tracker)) for (const value of Object.values(next)) pending.push(value);
  }
}

/** The prototype that tells what `value` is: a tracked value's built-in one, else its own. */
export function builtInPrototypeOf(value: object): unknown {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null ? null : (builtInOf.get(prototype) ?? prototype);
}
