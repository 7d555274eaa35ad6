import { Decimal } from "@prisma/client-runtime-utils";
import superjson from "superjson";
import { CorruptPayloadError, createSuperjsonSerializer, superjsonSerializer } from "../../src/index.ts";
import { decode, encode } from "../../src/serialization/codec.ts";

// Every kind of value the README's "What a session can hold" table names: kept exactly, or refused with
// CorruptPayloadError naming its key path. Nothing is stored altered.

const context = { sessionId: "abc", table: "sessions" };
const roundTrip = (data: Record<string, unknown>, serializer = superjsonSerializer) =>
  decode(serializer, encode(serializer, data, context), context);

function refusal(data: Record<string, unknown>): CorruptPayloadError {
  try {
    encode(superjsonSerializer, data, context);
  } catch (error) {
    if (error instanceof CorruptPayloadError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

class Money {
  constructor(
    readonly amount: number,
    readonly currency: string,
  ) {}
}

const nullPrototype = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
const shared = { n: 1 };
const cyclic: Record<string, unknown> = { name: "loop" };
cyclic["self"] = cyclic;

test.each<[string, unknown]>([
  ["strings (NUL and unpaired surrogates too)", ["a\u0000b", "x\uD800", "😀"]],
  ["finite numbers, -0, NaN, ±Infinity", [1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]],
  ["bigint", 12345678901234567890n],
  ["booleans and null", [true, false, null]],
  ["undefined, as a value and inside arrays", { u: undefined, list: [1, undefined, 3] }],
  ["a valid Date", new Date("2026-11-27T10:00:00Z")],
  ["an invalid Date", new Date(Number.NaN)],
  ["Map (any keys) and Set", new Map<unknown, unknown>([[{ k: 1 }, new Set([1n, "a"])]])],
  ["RegExp", /ab+c/gi],
  ["URL", new URL("https://example.test/p?q=1#h")],
  ["integer typed arrays", [new Uint8Array([0, 255]), new Int32Array([-1]), new Uint8ClampedArray([3])]],
  ["float typed arrays of finite numbers", new Float64Array([1.5, -2])],
  ["Prisma's Decimal", new Decimal("12345678901234567890.123456789")],
  ["keys named constructor and prototype (plain data)", { constructor: "Konstruktor", prototype: { de: "Prototyp" } }],
  [
    "keys named constructor and prototype beside Dates",
    { constructor: { at: new Date(0) }, prototype: [new Map([["constructor", 1]])], "\u0000x": 1 },
  ],
  ["an object reached twice", { a: shared, b: shared }],
  ["a cycle", cyclic],
])("kept exactly: %s", (_kind, value) => {
  const back = roundTrip({ value });
  expect(back).toStrictEqual({ value });
});

test("identity survives: shared objects stay shared, cycles stay cycles", () => {
  const back = roundTrip({ a: shared, b: shared, cyclic }) as { a: object; b: object; cyclic: Record<string, unknown> };
  expect(back.a).toBe(back.b);
  expect(back.cyclic["self"]).toBe(back.cyclic);
});

test("a Decimal comes back as a Decimal, equal to the stored one", () => {
  const back = roundTrip({ price: new Decimal("19.99") })["price"];
  expect(Decimal.isDecimal(back)).toBe(true);
  expect((back as Decimal).equals("19.99")).toBe(true);
});

test("an invalid Date comes back as an invalid Date, not null", () => {
  const back = roundTrip({ at: new Date(Number.NaN) })["at"];
  expect(back).toBeInstanceOf(Date);
  expect(Number.isNaN((back as Date).getTime())).toBe(true);
});

test.each<[string, Record<string, unknown>, string, RegExp]>([
  ["a symbol value", { a: { s: Symbol("x") } }, "a.s", /symbol/],
  ["a symbol key", { a: { [Symbol("k")]: 1 } }, "a", /symbol key/],
  ["a function", { cart: { total: () => 1 } }, "cart.total", /function/],
  ["a hole in a sparse array", { items: [1, , 3] }, "items[1]", /hole/],
  ["a property of an array that is not an index", { items: Object.assign([1], { note: "x" }) }, "items", /array property note/],
  ["a non-enumerable property", { a: Object.defineProperty({}, "hidden", { value: 1, enumerable: false }) }, "a", /non-enumerable/],
  ["an object with a null prototype", { q: nullPrototype }, "q", /null prototype/],
  ["an own __proto__ key", JSON.parse('{"form":{"__proto__":{"admin":true}}}') as Record<string, unknown>, "form.__proto__", /__proto__/],
  ["an instance of an unregistered class", { price: new Money(5, "EUR") }, "price", /instance of Money.*registerClass\(Money\)/],
  ["an Error", { last: new Error("boom") }, "last", /Error would lose/],
  ["a Buffer", { file: Buffer.from("hi") }, "file", /Buffer/],
  ["a BigInt64Array", { big: new BigInt64Array([1n]) }, "big", /BigInt64Array/],
  ["a DataView", { view: new DataView(new ArrayBuffer(2)) }, "view", /DataView/],
  ["NaN in a Float32Array", { f: new Float32Array([1, Number.NaN]) }, "f[1]", /NaN in a Float32Array/],
  ["-0 in a Float64Array", { f: new Float64Array([-0]) }, "f[0]", /-0 in a Float64Array/],
  ["a WeakMap", { w: new WeakMap() }, "w", /WeakMap/],
  ["a value inside a Map", { m: new Map([["k", () => 1]]) }, 'm.get("k")', /function/],
  ["a value inside a Set", { s: new Set([Symbol("x")]) }, "s[item 0]", /symbol/],
])("refused with its key path: %s", (_kind, data, keyPath, message) => {
  const error = refusal(data);
  expect(error.keyPath).toBe(keyPath);
  expect(error.message).toMatch(message);
  expect(error.message).toContain(keyPath);
});

test("a registered class comes back as an instance of itself", () => {
  const serializer = createSuperjsonSerializer({ register: (sj) => sj.registerClass(Money) });
  const back = roundTrip({ price: new Money(5, "EUR") }, serializer)["price"];
  expect(back).toBeInstanceOf(Money);
  expect(back).toEqual(new Money(5, "EUR"));
});

test("registering on one serializer leaves the default and the global superjson alone", () => {
  createSuperjsonSerializer({ register: (sj) => sj.registerClass(Money) });
  expect(() => encode(superjsonSerializer, { price: new Money(1, "EUR") }, context)).toThrow(CorruptPayloadError);
  expect(superjson.stringify({ price: new Money(1, "EUR") })).toBe('{"json":{"price":{"amount":1,"currency":"EUR"}}}');
});

test("data without special values is written byte for byte as superjson writes it", () => {
  const data = { user: { id: 7, name: "Ann", roles: ["a", "b"] }, n: 1.5, ok: true, none: null, text: "\u0000\uD800" };
  expect(superjsonSerializer.serialize(data)).toBe(superjson.stringify(data));
  const special = { at: new Date(0), m: new Map([[1, 2]]), big: 1n };
  expect(superjsonSerializer.serialize(special)).toBe(superjson.stringify(special));
});

test("texts written by plain superjson are read", () => {
  const data = { at: new Date(0), s: new Set(["x"]), nested: { list: [1, undefined] } };
  expect(superjsonSerializer.deserialize(superjson.stringify(data))).toStrictEqual(data);
});

const nested = (levels: number, bottom: unknown) => {
  let value = bottom;
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { d: value } : [value];
  return value;
};

test("data nested 1 000 levels deep is kept, Dates at the bottom included", () => {
  // `deep` is level 1, so 999 more levels put the Date at level 1 000.
  const data = { deep: nested(999, new Date(0)), plain: nested(999, "bottom") };
  expect(roundTrip(data)).toStrictEqual(data);
});

test("one level more is refused with the path, plain or not, instead of exhausting the stack somewhere", () => {
  for (const bottom of ["bottom", new Date(0)]) {
    const error = refusal({ deep: nested(1000, bottom) });
    expect(error.message).toMatch(/nested more than 1000 levels/);
    expect(error.keyPath).toMatch(/^deep(\.d|\[0\])+$/);
  }
  expect(() => encode(superjsonSerializer, { deep: nested(50_000, "bottom") }, context)).toThrow(CorruptPayloadError);
});
