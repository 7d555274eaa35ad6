import { expect } from "@jest/globals";

// Equality for round-trip assertions, where Jest's own falls short of "the same data":
// - two invalid Dates are equal (Jest compares getTime(), and NaN !== NaN);
// - plain objects with an own `constructor` key are compared by their keys (Jest's type check reads
//   `a.constructor === b.constructor`, which for such data compares two values, not two types).
function sameData(
  this: { equals: (a: unknown, b: unknown, testers?: unknown[], strict?: boolean) => boolean },
  a: unknown,
  b: unknown,
  testers: unknown[],
): boolean | undefined {
  if (a instanceof Date && b instanceof Date && Number.isNaN(a.getTime()) && Number.isNaN(b.getTime())) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return undefined;
  if (!Object.hasOwn(a, "constructor") && !Object.hasOwn(b, "constructor")) return undefined;
  if (Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return undefined;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every(
    (key) => Object.hasOwn(b, key) && this.equals((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], testers, true),
  );
}

expect.addEqualityTesters([sameData as never]);
