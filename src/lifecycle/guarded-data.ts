import { isTrackable, trackAll, type Tracker } from "../serialization/tracked-values.ts";

/**
 * Session data as a tree of proxies that ask `guard` before every write, at any depth: property sets,
 * deletes and definitions, and the mutating methods of typed arrays, URLs and subclasses of the
 * built-ins (whose internal slots a proxy cannot reach, so their methods run on the real object).
 * Plain Dates, Maps, Sets and RegExps are not proxied: those of the loaded data are tracked (the real
 * object, whose mutating methods ask `guard`: tracked-values.ts), those the app puts in are its own.
 * Reads pass through; nested objects come back wrapped, the same proxy each time.
 */
export class GuardedData {
  readonly root: object;
  readonly #guard: (key: string | symbol, atRoot: boolean) => void;
  readonly #proxies = new WeakMap<object, object>();
  readonly #targets = new WeakMap<object, object>();
  readonly #rawRoot: object;
  readonly #tracker: Tracker;

  constructor(raw: object, guard: (key: string | symbol, atRoot: boolean) => void) {
    this.#rawRoot = raw;
    this.#guard = guard;
    this.#tracker = { guard: (method) => guard(method, false), wrap: (value) => this.#wrap(value), unwrap: (value) => this.unwrap(value) };
    trackAll(raw, this.#tracker);
    this.root = this.#wrap(raw);
  }

  /** The real object behind one of our proxies (a proxy assigned into the data is stored as its target). */
  unwrap<T>(value: T): T {
    return typeof value === "object" && value !== null ? ((this.#targets.get(value) as T | undefined) ?? value) : value;
  }

  #wrap<T>(value: T): T {
    if (typeof value !== "object" || value === null) return value;
    const known = this.#proxies.get(value);
    if (known !== undefined) return known as T;
    // A plain Date, Map, Set or RegExp is handed out as itself (a real Date passes util.types.isDate
    // and structuredClone, which a Proxy cannot): tracked if it was loaded (the constructor tracked
    // those), the app's own as it gave it (tracking it would change an object the app holds).
    if (value !== this.#rawRoot && isTrackable(value)) return value;
    const proxy = new Proxy(value, this.#handler(value));
    this.#proxies.set(value, proxy);
    this.#targets.set(proxy, value);
    return proxy as T;
  }

  #handler(target: object): ProxyHandler<object> {
    const atRoot = target === this.#rawRoot;
    const guard = (key: string | symbol) => this.#guard(key, atRoot);
    const slots = mutatorsOf(target);
    return {
      get: (object, key, receiver) => {
        const value: unknown = Reflect.get(object, key, slots === undefined ? receiver : object);
        if (slots !== undefined && typeof value === "function") {
          const method = value as (...args: unknown[]) => unknown;
          return (...args: unknown[]) => {
            if (typeof key === "string" && slots(key)) guard(key);
            const result = method.apply(
              object,
              args.map((arg) => this.unwrap(arg)),
            );
            return key === "get" ? this.#wrap(result) : result;
          };
        }
        return this.#wrap(value);
      },
      set: (object, key, value) => {
        guard(key);
        // defineProperty for `__proto__`: an own key (which the serializer refuses), never a new prototype.
        return key === "__proto__"
          ? Reflect.defineProperty(object, key, { value: this.unwrap(value), writable: true, enumerable: true, configurable: true })
          : Reflect.set(object, key, this.unwrap(value), object);
      },
      defineProperty: (object, key, descriptor) => {
        guard(key);
        const unwrapped = "value" in descriptor ? { ...descriptor, value: this.unwrap(descriptor.value) } : descriptor;
        return Reflect.defineProperty(object, key, unwrapped);
      },
      deleteProperty: (object, key) => (guard(key), Reflect.deleteProperty(object, key)),
      setPrototypeOf: () => {
        throw new TypeError("The prototype of session data cannot be changed");
      },
    };
  }
}

const typedArrayMutators = new Set(["copyWithin", "fill", "reverse", "set", "sort"]);

/**
 * For objects whose state lives in internal slots: which method names change it. `undefined` for
 * ordinary objects and arrays, whose methods write through the proxy (and so through `set`).
 */
function mutatorsOf(target: object): ((method: string) => boolean) | undefined {
  if (target instanceof Map || target instanceof Set || target instanceof WeakMap || target instanceof WeakSet) {
    return (method) => method === "set" || method === "add" || method === "delete" || method === "clear";
  }
  if (target instanceof Date) return (method) => method.startsWith("set");
  if (ArrayBuffer.isView(target)) return (method) => typedArrayMutators.has(method) || method.startsWith("set");
  if (target instanceof RegExp || target instanceof URL) return (method) => method === "compile";
  return undefined;
}
