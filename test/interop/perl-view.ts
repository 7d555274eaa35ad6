import fc from "fast-check";
import type { PerlSpec } from "./perl-storable.ts";

// The type mapping of apacheSessionSerializer, written out independently of it: what JavaScript data
// becomes in Perl and comes back as, and what Perl data of each Perl type reads as here.

const isInt32 = (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 && !Object.is(n, -0);

/** An object with these entries, `__proto__` included as an own key. */
export function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  return object;
}

/** What JavaScript data reads back as after a trip through Perl (or through our own writer and reader). */
export function readBack(value: unknown): unknown {
  switch (typeof value) {
    case "number":
      return isInt32(value) ? value : String(value);
    case "bigint":
      return value >= -(2n ** 31n) && value < 2n ** 31n ? Number(value) : value.toString();
    case "boolean":
      return value ? 1 : 0;
    case "undefined":
      return null;
  }
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(readBack);
  return objectOf(Object.entries(value).map(([key, item]) => [key, readBack(item)]));
}

/** Perl's view of data: every scalar as its string (the `view` of apache-session.pl). */
export function perlView(value: unknown): unknown {
  if (value === null) return null;
  if (typeof value !== "object") return String(value);
  if (Array.isArray(value)) return value.map(perlView);
  return objectOf(Object.entries(value).map(([key, item]) => [key, perlView(item)]));
}

/** What Perl data built from `spec` reads as here. */
export function fromSpec(spec: PerlSpec): unknown {
  switch (spec.t) {
    case "h":
      return objectOf(spec.e.map(([key, item]) => [key, fromSpec(item)]));
    case "a":
      return spec.i.map(fromSpec);
    case "s":
      return spec.v;
    case "i":
    case "n": {
      // nfreeze writes integers of 32 bits as integers, other numbers as their text (Perl's, which for
      // the doubles generated below, at most 10 significant digits, is JavaScript's too).
      const n = Number(spec.v);
      return isInt32(n) ? n : spec.t === "i" ? BigInt(spec.v).toString() : String(n);
    }
    case "u":
      return null;
  }
}

const text = fc.string({
  unit: fc.oneof(fc.constantFrom("a", "é", "☺", "𝄞", "\u0000", "\n", "{", "ÿ"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
  maxLength: 12,
});
/** Characters 0-255 only: what a Perl byte string (no UTF-8 flag) can hold, e.g. UTF-8 bytes Perl never decoded. */
const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code)), maxLength: 12 });
const key = fc.oneof(text, latin1, fc.constantFrom("__proto__", "constructor", "_session_id", ""));
const entries = <T>(value: fc.Arbitrary<T>) => fc.uniqueArray(fc.tuple(key, value), { maxLength: 5, selector: ([k]) => k });

/** JavaScript data the writer accepts: nested objects and arrays of strings, numbers, bigints, booleans, null, undefined. */
export const writableData: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{ value: unknown; object: Record<string, unknown> }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      text,
      fc.integer(),
      fc.integer({ min: -200, max: 200 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
      fc.maxSafeInteger(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
      fc.boolean(),
      fc.constantFrom(null, undefined),
      fc.array(tie("value"), { maxLength: 5 }),
      tie("object"),
    ),
    object: entries(tie("value")).map(objectOf),
  }),
).object;

/** Perl data of every Perl type the reader maps: character and byte strings, IVs, NVs, undef, hashes, arrays. */
export const perlData: fc.Arbitrary<PerlSpec> = fc.letrec<{ value: PerlSpec; hash: PerlSpec }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    text.map((v): PerlSpec => ({ t: "s", v, bytes: false })),
    latin1.map((v): PerlSpec => ({ t: "s", v, bytes: true })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v): PerlSpec => ({ t: "i", v: v.toString() })),
    fc.integer().map((v): PerlSpec => ({ t: "i", v: String(v) })),
    fc.integer({ min: -1e9, max: 1e9 }).map((m): PerlSpec => ({ t: "n", v: String(m / 1000) })),
    fc.constant<PerlSpec>({ t: "u" }),
    fc.array(tie("value"), { maxLength: 5 }).map((i): PerlSpec => ({ t: "a", i })),
    tie("hash"),
  ),
  hash: entries(tie("value")).map((e): PerlSpec => ({ t: "h", e })),
})).hash;
