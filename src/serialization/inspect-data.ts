import { builtInPrototypeOf } from "./tracked-values.ts";
import type { KeyPath, PathStep } from "./key-path.ts";
import { ownDataKeys } from "./own-data-keys.ts";
import { UnsupportedValueError } from "./unsupported-value-error.ts";

/** What the serializer has registered beyond superjson's built-in types. */
export interface TypeRegistry {
  /** A custom transformer (e.g. Decimal) stores this value whole: it is not walked. */
  isCustom(value: object): boolean;
  /** A registered class: superjson restores its prototype and walks its own properties. */
  isRegisteredClass(value: object): boolean;
}

/** How session data can be written. */
export interface DataShape {
  /** Only strings, finite numbers, booleans, null, plain objects and arrays, each object reached once: JSON says it all. */
  plain: boolean;
  /** Some object has a key named `constructor` or `prototype`, which superjson's own walker refuses. */
  guardedKeys: boolean;
}

// superjson's typed-array rule restores exactly these constructors (by name); anything else that is an
// ArrayBuffer view (Buffer, BigInt64Array, DataView, a subclass) would fail to come back.
const typedArrays = new Set<unknown>(
  [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array].map(
    (t) => t.prototype,
  ),
);
const builtIns = new Set<unknown>([Date.prototype, RegExp.prototype, URL.prototype]);

interface Pending {
  value: unknown;
  path: KeyPath | undefined;
  depth: number;
}

/**
 * How deep data may nest. superjson's walkers recurse, and past a few thousand levels they exhaust the
 * stack at a depth that depends on the platform; a fixed limit refuses such data the same way everywhere.
 */
export const maxDepth = 1000;

const at = (parent: KeyPath | undefined, step: PathStep): KeyPath => ({ parent, step });

/** Queues a value found inside the one at `parent` (at `parentDepth`). */
function push(pending: Pending[], value: unknown, parent: KeyPath | undefined, parentDepth: number, step: PathStep): void {
  const path = at(parent, step);
  if (parentDepth >= maxDepth) throw new UnsupportedValueError(path, `data nested more than ${maxDepth} levels deep is refused`);
  pending.push({ value, path, depth: parentDepth + 1 });
}

/**
 * Walks session data once (iteratively: deep data cannot overflow the stack here) and refuses, with the
 * key path, every value that JSON or superjson would store altered or drop: symbols, functions, holes and
 * extra properties of arrays, non-enumerable or symbol keys, `__proto__` keys, null-prototype objects,
 * Errors, Buffers and other unrestorable binary views, float arrays holding NaN, ±Infinity or -0, and
 * instances of unregistered classes, and data nested deeper than {@link maxDepth}. Everything else
 * round-trips exactly.
 * @throws UnsupportedValueError
 */
export function inspectData(data: unknown, registry: TypeRegistry): DataShape {
  const shape: DataShape = { plain: true, guardedKeys: false };
  const seen = new Set<object>();
  const pending: Pending[] = [{ value: data, path: undefined, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, path, depth } = next;
    switch (typeof value) {
      case "string":
      case "boolean":
        continue;
      case "number":
        // NaN, ±Infinity and -0 are superjson's to keep (JSON would write null and 0).
        if (!Number.isFinite(value) || Object.is(value, -0)) shape.plain = false;
        continue;
      case "bigint":
      case "undefined":
        shape.plain = false;
        continue;
      case "symbol":
        throw new UnsupportedValueError(path, "a symbol has no stored form");
      case "function":
        throw new UnsupportedValueError(path, "a function has no stored form");
    }
    if (value === null) continue;
    const object = value as object;
    // A second reference (shared or cyclic): superjson keeps the identity, JSON would copy or fail.
    if (seen.has(object)) {
      shape.plain = false;
      continue;
    }
    seen.add(object);
    if (Array.isArray(object)) {
      pushArray(object, path, depth, pending);
      continue;
    }
    // A Date, Map, Set or RegExp an open session tracks (tracked-values.ts) is what it was.
    const prototype: unknown = builtInPrototypeOf(object);
    if (prototype === Object.prototype) {
      if (pushObject(object, path, depth, pending)) shape.guardedKeys = true;
      continue;
    }
    shape.plain = false;
    if (prototype === null) {
      throw new UnsupportedValueError(
        path,
        "an object with a null prototype would come back as an ordinary object: copy it first ({ ...value })",
      );
    }
    if (builtIns.has(prototype) || registry.isCustom(object)) continue;
    if (prototype === Map.prototype) {
      let entry = 0;
      for (const [key, item] of object as Map<unknown, unknown>) {
        push(pending, item, path, depth, { kind: "map-value", key, entry });
        push(pending, key, path, depth, { kind: "map-key", entry });
        entry++;
      }
      continue;
    }
    if (prototype === Set.prototype) {
      let entry = 0;
      for (const item of object as Set<unknown>) push(pending, item, path, depth, { kind: "set-item", entry: entry++ });
      continue;
    }
    if (typedArrays.has(prototype)) {
      checkTypedArray(object as ArrayLike<number>, path);
      continue;
    }
    const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
    const kind = typeof name === "string" && name !== "" ? name : "an unnamed class";
    if (Buffer.isBuffer(object)) {
      throw new UnsupportedValueError(
        path,
        'a Buffer cannot be restored: store a Uint8Array (new Uint8Array(buffer)) or buffer.toString("base64")',
      );
    }
    if (object instanceof Error) {
      throw new UnsupportedValueError(
        path,
        `an ${kind} would lose its stack and properties: store its message (or register a class for it)`,
      );
    }
    if (registry.isRegisteredClass(object)) {
      if (pushObject(object, path, depth, pending)) shape.guardedKeys = true;
      continue;
    }
    throw new UnsupportedValueError(
      path,
      `an instance of ${kind} would come back as a plain object: register the class ` +
        `(createSuperjsonSerializer({ register: (superjson) => superjson.registerClass(${kind}) })) or store plain data`,
    );
  }
  return shape;
}

/** Queues an object's own properties; @returns whether one is named `constructor` or `prototype`. */
function pushObject(object: object, path: KeyPath | undefined, depth: number, pending: Pending[]): boolean {
  const keys = ownDataKeys(object, path);
  let guarded = false;
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    if (key === "__proto__") {
      throw new UnsupportedValueError(
        at(path, { kind: "key", key }),
        "a key named __proto__ is refused: it would change the prototype of objects it is copied into",
      );
    }
    if (key === "constructor" || key === "prototype") guarded = true;
    push(pending, (object as Record<string, unknown>)[key], path, depth, { kind: "key", key });
  }
  return guarded;
}

function pushArray(array: unknown[], path: KeyPath | undefined, depth: number, pending: Pending[]): void {
  for (let i = array.length - 1; i >= 0; i--) {
    if (!Object.hasOwn(array, i)) {
      throw new UnsupportedValueError(
        at(path, { kind: "index", index: i }),
        "a hole in a sparse array would come back as a value: fill it (with undefined or null)",
      );
    }
    push(pending, array[i], path, depth, { kind: "index", index: i });
  }
  const keys = Object.keys(array);
  if (keys.length !== array.length || Reflect.ownKeys(array).length !== array.length + 1) {
    const extra = Reflect.ownKeys(array).find((key) => key !== "length" && (typeof key === "symbol" || !/^(0|[1-9]\d*)$/.test(key)));
    throw new UnsupportedValueError(path, `the array property ${String(extra)} would be dropped`);
  }
}

function checkTypedArray(array: ArrayLike<number>, path: KeyPath | undefined): void {
  if (!(array instanceof Float32Array || array instanceof Float64Array)) return;
  for (let i = 0; i < array.length; i++) {
    const item = array[i]!;
    if (!Number.isFinite(item) || Object.is(item, -0)) {
      const label = Object.is(item, -0) ? "-0" : String(item);
      throw new UnsupportedValueError(
        at(path, { kind: "index", index: i }),
        `${label} in a ${array.constructor.name} would come back as 0`,
      );
    }
  }
}
