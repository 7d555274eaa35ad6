import { builtInPrototypeOf } from "../../src/serialization/tracked-values.ts";
import { Decimal } from "@prisma/client-runtime-utils";
// Prototype pollution shows as a new or changed property on a built-in prototype, or as a data object
// whose prototype is not the one its kind should have.

const guarded: object[] = [
  Object.prototype,
  Array.prototype,
  Function.prototype,
  String.prototype,
  Map.prototype,
  Set.prototype,
  Date.prototype,
  Object,
];
const names = [
  "Object.prototype",
  "Array.prototype",
  "Function.prototype",
  "String.prototype",
  "Map.prototype",
  "Set.prototype",
  "Date.prototype",
  "Object",
];

// Per guarded object: its prototype, then each own key followed by its value (or accessor).
function snapshot(target: object): unknown[] {
  const state: unknown[] = [Object.getPrototypeOf(target)];
  for (const key of Reflect.ownKeys(target)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(target, key)!;
    state.push(key, "value" in descriptor ? descriptor.value : (descriptor.get ?? descriptor.set));
  }
  return state;
}

const pristine = guarded.map(snapshot);

const pristineKeyCounts = guarded.map((target) => Reflect.ownKeys(target).length);

/** Cheap check, for every case: no built-in prototype gained or lost a property, none was replaced. */
export function assertNoPrototypeGrew(): void {
  guarded.forEach((target, i) => {
    if (Reflect.ownKeys(target).length !== pristineKeyCounts[i] || Object.getPrototypeOf(target) !== pristine[i]![0])
      assertPrototypesUntouched();
  });
}

/** Thorough check: no built-in prototype gained, lost or changed a property since this module was loaded. */
export function assertPrototypesUntouched(): void {
  guarded.forEach((target, i) => {
    const before = pristine[i]!;
    const now = snapshot(target);
    if (now.length !== before.length || now.some((item, j) => item !== before[j])) {
      const changed = now.filter((item, j) => j % 2 === 1 && item !== before[j]).map(String);
      throw new Error(`prototype pollution of ${names[i]}: ${changed.join(", ") || "its prototype"}`);
    }
  });
}

// What superjson itself decodes to: plain objects and arrays, Date, Map, Set, RegExp, Error, URL, and
// typed arrays (its "typed-array" annotation); and Prisma's Decimal, which the default serializer adds.
const typedArrays = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];
const expectedPrototypes = new Set<unknown>([
  Object.prototype,
  Array.prototype,
  Date.prototype,
  Map.prototype,
  Set.prototype,
  RegExp.prototype,
  Error.prototype,
  URL.prototype,
  Decimal.prototype,
  ...typedArrays.map((T) => T.prototype),
]);

/**
 * Throws unless every object in `value` has the prototype of its kind (plain objects: Object.prototype):
 * what a deserializer returns must not carry a borrowed prototype.
 */
export function assertPlainData(value: unknown, path = "data", seen = new Set<object>()): void {
  if (typeof value !== "object" || value === null || seen.has(value)) return;
  seen.add(value);
  // A Date, Map, Set or RegExp an open session tracks has the library's subclass prototype.
  const prototype = builtInPrototypeOf(value);
  if (!expectedPrototypes.has(prototype)) {
    throw new Error(`${path} has a foreign prototype: ${String(prototype?.constructor?.name ?? prototype)}`);
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      assertPlainData(k, `${path}<key>`, seen);
      assertPlainData(v, `${path}<value>`, seen);
    }
  } else if (value instanceof Set) {
    for (const v of value) assertPlainData(v, `${path}<item>`, seen);
  } else {
    for (const key of Object.keys(value)) assertPlainData((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
  }
}
