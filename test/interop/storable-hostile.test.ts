import { existsSync } from "node:fs";
import fc from "fast-check";
import { apacheSessionSerializer, CorruptPayloadError, StorableDataError } from "../../src/index.ts";
import { decode } from "../../src/serialization/codec.ts";
import { thawStorable } from "../../src/serialization/storable-reader.ts";
import { encodeBase64Lines } from "../../src/serialization/apache-session-serializer.ts";
import { checkProperty } from "../support/check-property.ts";
import { PerlStorable } from "./perl-storable.ts";

// What the reader must never return: Perl values with no safe JavaScript equivalent, as the real
// Storable writes them, and damaged or hostile images. Each is a StorableDataError (a
// CorruptPayloadError through the codec), with nothing half-decoded and nothing run.

const context = { sessionId: "abc", table: "sessions" };
const hex = (text: string) => Buffer.from(text.replace(/\s/g, ""), "hex");

/** The error reading `image` raises (thawStorable must throw). */
function thawError(image: Uint8Array): StorableDataError {
  try {
    thawStorable(image);
  } catch (error) {
    if (error instanceof StorableDataError) return error;
    throw new Error(`not a StorableDataError: ${String(error)}`, { cause: error });
  }
  throw new Error("thawStorable returned");
}

let perl: PerlStorable;
let hostile: Record<string, string>;
beforeAll(async () => {
  perl = new PerlStorable();
  hostile = (await perl.request("hostile")) as Record<string, string>;
});
afterAll(async () => {
  await perl.close();
});

test.each([
  ["blessed", /blessed into Evil::Class/],
  ["blessedTop", /blessed into Evil::Top/],
  ["code", /code reference/],
  ["hook", /STORABLE_freeze/],
  ["tied", /tied hash/],
  ["regexp", /blessed into Regexp/],
  ["weak", /weak reference/],
  ["scalarRef", /reference to a scalar/],
  ["refRef", /reference to a reference/],
  ["restricted", /restricted hash/],
  ["vstring", /v-string/],
  ["overloaded", /overloaded operators/],
  ["topScalar", /no hash or array/],
])("Perl's %s is refused with a typed error naming it", (name, problem) => {
  const payload = hostile[name]!;
  expect(payload).toMatch(/^[A-Za-z0-9+/=\n]+$/);
  let error: unknown;
  try {
    decode(apacheSessionSerializer, payload, context);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CorruptPayloadError);
  expect(error).toMatchObject({ sessionId: "abc", cause: expect.any(StorableDataError) });
  expect((error as CorruptPayloadError).cause).toMatchObject({ reason: "refused", message: expect.stringMatching(problem) });
  expect(existsSync("/tmp/storable-code-ran")).toBe(false);
});

test("every truncation of a real Perl image is malformed, never a partial result", async () => {
  const spec = {
    t: "h" as const,
    e: [
      [
        "list",
        {
          t: "a" as const,
          i: [
            { t: "s" as const, v: "café ☺ ".repeat(50), bytes: false },
            { t: "i" as const, v: "123456789012" },
          ],
        },
      ],
      ["n", { t: "u" as const }],
    ] as [string, never][],
  };
  const image = Buffer.from(await perl.build(spec), "base64");
  expect(thawStorable(image)).toBeInstanceOf(Object);
  for (let length = 0; length < image.length; length++) {
    expect({ length, reason: thawError(image.subarray(0, length)).reason }).toEqual({ length, reason: "malformed" });
  }
});

test.each([
  ["a string longer than the data", "050b 0300000001 01 7fffffff 41"],
  ["a negative string length", "050b 0300000001 01 ffffffff"],
  ["an array of 2^31-1 items", "050b 02 7fffffff 0880"],
  ["a hash of 2^31-1 entries", "050b 03 7fffffff"],
  ["a negative key length", "050b 0300000001 0880 ffffffff"],
  ["a back-reference to a tag not yet stored", "050b 0300000001 04 00 00000007 00000001 61"],
  ["an unknown type code", "050b 0300000001 63 00000001 61"],
  ["a native-order image (freeze, not nfreeze)", "040b 0431323334 04080808 03 00000000"],
  ["a newer Storable format", "0563 0300000000"],
  ["bytes after the data", "050b 0300000000 00"],
  ["a native double in network order", "050b 0300000001 07 000000000000f83f 00000001 61"],
  ["invalid UTF-8 in a flagged string", "050b 0300000001 17 02 c328 00000001 61"],
  ["a hash in place of a hash value", "050b 0300000001 0300000000 00000001 61"],
])("%s is malformed", (_name, image) => {
  expect(thawError(hex(image)).reason).toBe("malformed");
});

test("nesting deeper than 1000 levels is refused without exhausting the stack", () => {
  const depth = 100_000;
  const image = Buffer.concat([hex("050b"), Buffer.alloc(depth * 6, hex("040200000001")), hex("0300000000")]);
  expect(thawError(image)).toMatchObject({ reason: "refused", message: expect.stringContaining("nested more than 1000") });
});

test("a __proto__ key from Perl is an own key: no object gets a new prototype", async () => {
  const payload = await perl.build({
    t: "h",
    e: [
      ["__proto__", { t: "h", e: [["isAdmin", { t: "i", v: "1" }]] }],
      ["constructor", { t: "s", v: "x", bytes: true }],
    ],
  });
  const data = decode(apacheSessionSerializer, payload, context);
  expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  expect(Object.hasOwn(data, "__proto__")).toBe(true);
  expect(Object.keys(data).sort()).toEqual(["__proto__", "constructor"]);
  expect(Object.getOwnPropertyDescriptor(data, "__proto__")?.value).toEqual({ isAdmin: 1 });
  expect((data as { isAdmin?: unknown }).isAdmin).toBeUndefined();
  expect(({} as { isAdmin?: unknown }).isAdmin).toBeUndefined();
});

test("text that is neither our JSON nor Base64 is malformed", () => {
  for (const text of ["{nope", "BQsDAAAAAA=\n", "BQsD AAAAAA==", "BQs*AAAAAA==", "[]"]) {
    expect(() => apacheSessionSerializer.deserialize(text)).toThrow(StorableDataError);
  }
});

test("damaged images (random bytes changed, cut or appended) give a StorableDataError or plain data, nothing else", async () => {
  const base = Buffer.from(
    await perl.build({
      t: "h",
      e: [
        [
          "a",
          {
            t: "a",
            i: [
              { t: "s", v: "x".repeat(300), bytes: true },
              { t: "h", e: [["k☺", { t: "i", v: "-5" }]] },
            ],
          },
        ],
        ["b", { t: "n", v: "1.5" }],
      ],
    }),
    "base64",
  );
  const damage = fc.record({
    edits: fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    cut: fc.nat(base.length),
    tail: fc.uint8Array({ maxLength: 8 }),
  });
  await checkProperty(
    fc.asyncProperty(damage, async ({ edits, cut, tail }) => {
      const image = Buffer.from(base);
      for (const [at, byte] of edits) image[at] = byte;
      const damaged = Buffer.concat([image.subarray(0, cut), tail]);
      let result: unknown;
      try {
        result = apacheSessionSerializer.deserialize(encodeBase64Lines(damaged));
      } catch (error) {
        expect(error).toBeInstanceOf(StorableDataError);
        return;
      }
      expect(typeof result).toBe("object");
    }),
    { seed: 130_003, numRuns: 3000 },
  );
});
