import { Decimal } from "@prisma/client-runtime-utils";
import fc from "fast-check";

/** Any UTF-16 code unit: lone surrogates, NUL, controls, private use... everything a JS string can hold. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

/** Any Unicode code point but the surrogates: astral characters included (fast-check's "binary" unit, built in microseconds instead of a second). */
const codePoint = fc.integer({ min: 0, max: 0x10ffff - 0x800 }).map((code) => String.fromCodePoint(code < 0xd800 ? code : code + 0x800));

/**
 * One character of `alphabet`. (Not `fc.constantFrom` as a string unit: fast-check then rebuilds a
 * reverse lookup table for every generated string, which dominates the run time.)
 */
const charOf = (alphabet: string) => fc.integer({ min: 0, max: alphabet.length - 1 }).map((i) => alphabet[i]!);

/** Classic injection payloads, with and without spaces (spaceless ones pass an id's printable-ASCII check). */
export const sqlInjections = [
  "' OR '1'='1",
  "'OR'1'='1'--",
  "'; DROP TABLE sessions; --",
  "';DROP/**/TABLE/**/sessions;--",
  "x');DELETE/**/FROM/**/sessions;--",
  "';TRUNCATE/**/sessions;--",
  "1;DROP/**/TABLE/**/fuzz_canary",
  "'||pg_sleep(5)||'",
  "'UNION/**/SELECT/**/a_session/**/FROM/**/sessions--",
  "$1",
  "$$;DROP/**/TABLE/**/sessions;$$",
  '"sessions"',
  'a";DROP/**/TABLE/**/"sessions',
  "\\';DROP/**/TABLE/**/sessions;--",
  "E'\\x27'",
  "%'--",
  "/*",
  "*/",
  "--",
  ";",
  "\\",
  "'",
  '"',
  "\0'; DROP TABLE sessions; --",
] as const;

/** Strings of every kind: arbitrary code units, full code points, printable ASCII, injection payloads. */
export const hostileText = fc.oneof(
  fc.string({ unit: codeUnit, maxLength: 40 }),
  fc.string({ unit: codePoint, maxLength: 40 }),
  fc.string({ unit: "grapheme-ascii", maxLength: 40 }),
  fc.constantFrom(...sqlInjections),
);

/**
 * A string of 10^5 to 6·10^5 UTF-16 units (up to 1.8 MB of UTF-8: around a 1 MiB payload limit), made of
 * one repeated character: 1 to 3 UTF-8 bytes, a surrogate pair, NUL, or a lone surrogate.
 */
export const hugeText = fc
  .tuple(fc.constantFrom("x", "é", "€", "😀", "\0", "\uD800"), fc.integer({ min: 100_000, max: 600_000 }))
  .map(([char, units]) => char.repeat(Math.ceil(units / char.length)));

/**
 * Session ids as a hostile caller sends them: valid shapes (hex for the lifecycle API, printable ASCII
 * for the store and the adapters, some of them too long), near misses (a trailing newline or space,
 * upper case, unicode look-alikes), anything else, and a few values that are not strings at all.
 */
export const hostileId: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.string({ unit: charOf("0123456789abcdefABCDEF"), minLength: 1, maxLength: 40 }), weight: 4 },
  {
    arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 }),
    weight: 4,
  },
  { arbitrary: fc.constantFrom(...sqlInjections), weight: 2 },
  {
    arbitrary: fc
      .tuple(
        fc.string({ unit: charOf("0123456789abcdef"), minLength: 1, maxLength: 32 }),
        fc.constantFrom("\n", " ", "\t", "\0", "\r\n", "\u00a0", "\uff10"),
      )
      .map(([id, suffix]) => id + suffix),
    weight: 2,
  },
  { arbitrary: hostileText, weight: 3 },
  { arbitrary: fc.constantFrom(...["", " ", "a".repeat(33), "a".repeat(10_000)]), weight: 1 },
  { arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.constant(undefined), fc.object({ maxDepth: 1 })), weight: 1 },
);

/** Table names: valid identifiers (mostly of no existing table), schema-qualified names, quotes, injections, anything. */
export function hostileTableName(existing: readonly string[]): fc.Arbitrary<unknown> {
  const identifier = fc
    .tuple(
      charOf("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"),
      fc.string({ unit: charOf("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$"), maxLength: 70 }),
    )
    .map(([first, rest]) => first + rest);
  return fc.oneof(
    { arbitrary: identifier, weight: 2 },
    { arbitrary: fc.tuple(identifier, identifier).map(([schema, table]) => `${schema}.${table}`), weight: 1 },
    { arbitrary: fc.constantFrom(...existing), weight: 2 },
    { arbitrary: fc.constantFrom(...sqlInjections), weight: 3 },
    { arbitrary: fc.tuple(identifier, hostileText, identifier).map(([a, b, c]) => a + b + c), weight: 4 },
    { arbitrary: hostileText, weight: 4 },
    { arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.object({ maxDepth: 1 })), weight: 1 },
  );
}

/** Keys a payload may carry: anything, plus the ones that attack prototypes or the stored format. */
const hostileKey = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      "__proto__",
      "constructor",
      "prototype",
      "toString",
      "hasOwnProperty",
      "_session_id",
      "json",
      "meta",
      "cookie",
      "v",
    ),
    weight: 1,
  },
  { arbitrary: hostileText, weight: 4 },
);

class Unregistered {
  constructor(readonly field: string) {}
}

/**
 * Values that JSON or superjson alone would store altered (each must now come back exactly or be refused
 * with CorruptPayloadError): invalid Dates, -0, NaN, Buffers, typed arrays (float ones with NaN / -0),
 * Decimals, symbols, functions, Errors and instances of an unregistered class.
 */
const awkwardLeaf = fc.oneof(
  fc.constant(new Date(Number.NaN)),
  fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY),
  fc.string({ maxLength: 4 }).map((text) => Buffer.from(text)),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }).map((bytes) => new Uint8Array(bytes)),
  fc.array(fc.double(), { maxLength: 3 }).map((numbers) => new Float64Array(numbers)),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => new Decimal(String(n))),
  fc.constant(Symbol("value")),
  fc.constant(() => "function"),
  fc.constant(new Error("stored error")),
  fc.string({ maxLength: 4 }).map((field) => new Unregistered(field)),
  fc.constant(new URL("https://example.test/a?b=1")),
  fc.constant(/re+/gi),
);

const leaf = fc.oneof(
  { arbitrary: hostileText, weight: 1 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.bigInt(), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 1 },
  // Invalid Dates included (fast-check's default).
  { arbitrary: fc.date(), weight: 1 },
  { arbitrary: awkwardLeaf, weight: 1 },
);

/** JSON-ish values, the types the default serializer keeps, and the ones it must refuse, at any depth up to 6. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 6 },
    { arbitrary: leaf, weight: 50 },
    { arbitrary: fc.array(tie("value"), { maxLength: 4 }), weight: 10 },
    // Holes, and more rarely a property that is not an index.
    { arbitrary: fc.sparseArray(tie("value"), { maxLength: 4 }), weight: 5 },
    { arbitrary: fc.array(tie("value"), { maxLength: 2 }).map((items) => Object.assign(items, { extra: 1 })), weight: 1 },
    // Null-prototype objects too (fast-check's default mixes them in).
    { arbitrary: fc.dictionary(hostileKey, tie("value"), { maxKeys: 4 }), weight: 20 },
    {
      arbitrary: fc.dictionary(hostileText, tie("value"), { maxKeys: 2 }).map((object) => Object.assign(object, { [Symbol("key")]: 1 })),
      weight: 2,
    },
    // One object reached twice: superjson keeps the identity.
    { arbitrary: tie("value").map((shared) => ({ first: shared, second: shared })), weight: 3 },
    { arbitrary: fc.array(fc.tuple(hostileText, tie("value")), { maxLength: 3 }).map((entries) => new Map(entries)), weight: 10 },
    { arbitrary: fc.array(leaf, { maxLength: 3 }).map((items) => new Set(items)), weight: 10 },
  ),
})).value;

/** Objects nested 500 to 6 000 levels deep (arrays or objects): around and beyond what a serializer's recursion survives. */
export const deepValue = fc.tuple(fc.integer({ min: 500, max: 6_000 }), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { d: value };
  return value;
});

/** Session data as a hostile client shapes it: a plain object of hostile keys and values, sometimes deep or huge. */
export const hostilePayload: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { arbitrary: fc.dictionary(hostileKey, hostileValue, { maxKeys: 6, noNullPrototype: true }), weight: 100 },
  { arbitrary: deepValue.map((deep) => ({ deep })), weight: 1 },
  { arbitrary: hugeText.map((huge) => ({ huge })), weight: 1 },
);
