import { CorruptPayloadError, superjsonSerializer, type Serializer } from "../../src/index.ts";
import { decode, encode } from "../../src/serialization/codec.ts";
import { thrownBy } from "../support/thrown-by.ts";

const context = { sessionId: "abc", table: "sessions" };

test("superjson keeps Date, Map, Set, BigInt, RegExp and undefined", () => {
  const data = {
    at: new Date("2026-11-25T12:00:00Z"),
    map: new Map([["k", 1]]),
    set: new Set(["a"]),
    big: 12345678901234567890n,
    re: /ab+c/gi,
    missing: undefined,
    nested: { list: [1, "two", { three: 3 }] },
  };
  const back = decode(superjsonSerializer, encode(superjsonSerializer, data, context), context);
  expect(back).toEqual(data);
  expect(back["at"]).toBeInstanceOf(Date);
  expect("missing" in back).toBe(true);
});

test.each([
  ["not JSON", "{nope"],
  ["JSON that is not an object", "[1,2]"],
  ["a bare string", '"text"'],
])("undecodable text (%s) is CorruptPayloadError naming the session", (_label, text) => {
  const error = (() => {
    try {
      decode(superjsonSerializer, text, context);
    } catch (e) {
      return e;
    }
  })();
  expect(error).toBeInstanceOf(CorruptPayloadError);
  expect(error).toMatchObject({ sessionId: "abc", message: expect.stringMatching(/could not be unserialized: abc/) });
});

test("a NULL payload is CorruptPayloadError", () => {
  expect(() => decode(superjsonSerializer, null, context)).toThrow(CorruptPayloadError);
});

test("data the serializer cannot encode is CorruptPayloadError with the cause", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic["self"] = { cyclic };
  const throwing: Serializer = { serialize: () => JSON.stringify(cyclic), deserialize: JSON.parse };
  expect(() => encode(throwing, {}, context)).toThrow(CorruptPayloadError);
  // The cause is the serializer's own error (JSON.stringify's TypeError for the cycle).
  expect(thrownBy(() => encode(throwing, {}, context)).cause).toBeInstanceOf(TypeError);
  const notText: Serializer = { serialize: () => 42 as unknown as string, deserialize: JSON.parse };
  expect(() => encode(notText, {}, context)).toThrow(CorruptPayloadError);
  expect(() => encode(notText, {}, context)).toThrow(/returned number/);
});

test("deserialization never pollutes Object.prototype", () => {
  const text = '{"json":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}';
  decode(superjsonSerializer, text, context);
  expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
});
