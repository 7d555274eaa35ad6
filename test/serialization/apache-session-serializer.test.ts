import {
  apacheSessionSerializer,
  CorruptPayloadError,
  createFormatDetectingSerializer,
  superjsonSerializer,
  UnsupportedValueError,
} from "../../src/index.ts";
import { encode } from "../../src/serialization/codec.ts";

// What the Apache::Session writer refuses (values Perl cannot hold faithfully), each named by its key
// path; the Perl side of the format is tested against the real module in test/interop.

const context = { sessionId: "abc", table: "sessions" };

class Money {
  constructor(readonly cents: number) {}
}
const sparse: unknown[] = [1];
sparse[2] = 3;
const tagged = Object.assign([1], { label: "x" });
const hidden = Object.defineProperty({}, "secret", { value: 1, enumerable: false });

test.each<[string, unknown, string, RegExp]>([
  ["a Date", { at: new Date(0) }, "at", /Date .*toISOString/],
  ["a Map", { cart: { m: new Map() } }, "cart.m", /Map has no Perl equivalent/],
  ["a Set", { tags: [new Set()] }, "tags[0]", /Set has no Perl equivalent/],
  ["a RegExp", { re: /x/ }, "re", /RegExp/],
  ["binary data", { bytes: new Uint8Array(2) }, "bytes", /binary data/],
  ["a class instance", { price: new Money(1) }, "price", /instance of Money/],
  ["a bigint beyond 64 bits", { big: 2n ** 64n }, "big", /64-bit/],
  ["a bigint below -2^63", { big: -(2n ** 63n) - 1n }, "big", /64-bit/],
  ["NaN", { n: Number.NaN }, "n", /NaN/],
  ["Infinity", { n: [Number.POSITIVE_INFINITY] }, "n[0]", /Infinity/],
  ["-0", { n: -0 }, "n", /-0/],
  ["a symbol", { s: Symbol("x") }, "s", /symbol/],
  ["a function", { f: () => 1 }, "f", /function/],
  ["a hole in an array", { list: sparse }, "list[1]", /hole/],
  ["an array property", { list: tagged }, "list", /label/],
  ["a symbol key", { o: { [Symbol("k")]: 1 } }, "o", /symbol key/],
  ["a non-enumerable property", { o: hidden }, "o", /non-enumerable/],
  ["a lone surrogate", { s: "a\ud800" }, "s", /lone surrogate/],
  ["a key with a lone surrogate", { o: { "\udc00": 1 } }, 'o["\\udc00"]', /lone surrogate/],
])("%s is refused with its key path", (_label, data, keyPath, problem) => {
  let error: unknown;
  try {
    encode(apacheSessionSerializer, data, context);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CorruptPayloadError);
  expect(error).toMatchObject({ keyPath, message: expect.stringMatching(problem) });
});

test("nesting deeper than 1000 levels is refused", () => {
  let deep: Record<string, unknown> = {};
  const top = deep;
  for (let i = 0; i < 1500; i++) deep = deep["d"] = {};
  expect(() => apacheSessionSerializer.serialize(top)).toThrow(UnsupportedValueError);
  expect(() => apacheSessionSerializer.serialize(top)).toThrow(/nested more than 1000/);
});

test("the mapping of what Perl holds differently: booleans 1/0, undefined undef, other numbers their text", () => {
  const data = {
    yes: true,
    no: false,
    missing: undefined,
    none: null,
    half: 0.5,
    big: 2 ** 40,
    huge: 2n ** 63n,
    small: 7n,
    nfc: "é",
    nfd: "e\u0301",
  };
  expect(apacheSessionSerializer.deserialize(apacheSessionSerializer.serialize(data))).toEqual({
    yes: 1,
    no: 0,
    missing: null,
    none: null,
    half: "0.5",
    big: "1099511627776",
    huge: "9223372036854775808",
    small: 7,
    nfc: "é",
    nfd: "e\u0301",
  });
});

test("the payload is MIME Base64 in lines of 76 characters, each ending in a newline", () => {
  const text = apacheSessionSerializer.serialize({ long: "x".repeat(500) });
  const lines = text.split("\n");
  expect(lines.pop()).toBe("");
  expect(lines.slice(0, -1).every((line) => line.length === 76)).toBe(true);
  expect(lines.at(-1)!.length).toBeLessThanOrEqual(76);
});

test("the format-detecting serializer reads both formats and writes the configured one", () => {
  const data = { _session_id: "abc", n: 1, s: "ü" };
  const json = superjsonSerializer.serialize(data);
  const base64 = apacheSessionSerializer.serialize(data);
  for (const write of [apacheSessionSerializer, superjsonSerializer]) {
    const serializer = createFormatDetectingSerializer({ write });
    expect(serializer.deserialize(json)).toEqual(data);
    expect(serializer.deserialize(base64)).toEqual(data);
    expect(serializer.serialize(data)).toBe(write.serialize(data));
  }
});
