import fc from "fast-check";
import { apacheSessionSerializer } from "../../src/index.ts";
import { checkProperty } from "../support/check-property.ts";
import { PerlStorable } from "./perl-storable.ts";
import { fromSpec, objectOf, perlData, perlView, readBack, writableData } from "./perl-view.ts";

// Random nested data through the real Storable and back, both ways: what we write, Perl reads as the
// documented mapping says (and its own nfreeze of it reads back here); what Perl writes in every Perl
// type, we read as the mapping says (and what we write of it, Perl finds equal to its original).

let perl: PerlStorable;
beforeAll(() => {
  perl = new PerlStorable();
});
afterAll(async () => {
  await perl.close();
});

test("JavaScript data written here is what Perl thaws, and Perl's nfreeze of it reads back here", async () => {
  await checkProperty(
    fc.asyncProperty(writableData, async (data) => {
      const ours = apacheSessionSerializer.serialize(data);
      const echoed = await perl.echo(ours);
      expect(echoed.view).toEqual(perlView(readBack(data)));
      expect(apacheSessionSerializer.deserialize(echoed.payload)).toEqual(readBack(data));
      expect(apacheSessionSerializer.deserialize(ours)).toEqual(readBack(data));
    }),
    { seed: 130_001, numRuns: 400 },
  );
});

test("Perl data of every Perl type reads here as mapped, and what we write of it Perl finds equal to the original", async () => {
  await checkProperty(
    fc.asyncProperty(perlData, async (spec) => {
      const read = apacheSessionSerializer.deserialize(await perl.build(spec));
      expect(read).toEqual(fromSpec(spec));
      expect(await perl.check(spec, apacheSessionSerializer.serialize(read))).toBeNull();
    }),
    { seed: 130_002, numRuns: 400 },
  );
});

test("a single-key hash of each kind of value is byte for byte what Perl's encode_base64(nfreeze(...)) writes", async () => {
  const long = "x".repeat(300);
  const values: unknown[] = [
    "",
    "ascii",
    "café ☺ 𝄞",
    long,
    `${long}é`,
    0,
    -128,
    127,
    128,
    -129,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    1.5,
    -0.25,
    2 ** 40,
    null,
    [1, [2, { x: "y" }]],
    {},
  ];
  for (const value of values) {
    const ours = apacheSessionSerializer.serialize({ k: value });
    const echoed = await perl.echo(ours);
    expect({ value, payload: echoed.payload }).toEqual({ value, payload: ours });
  }
  // A non-ASCII key makes nfreeze write a flagged hash (SX_FLAG_HASH) with the key's UTF-8 flag.
  const flagged = apacheSessionSerializer.serialize({ "k☺": 1 });
  expect((await perl.echo(flagged)).payload).toBe(flagged);
});

test("one object reached twice is one Perl hash, in both directions; cycles too", async () => {
  const shared = { n: 1 };
  const data: Record<string, unknown> = { one: shared, two: shared };
  data["self"] = data;
  const answer = await perl.request("sharing", { payload: apacheSessionSerializer.serialize(data) });
  expect(answer).toEqual({ shared: 1, cycle: 1 });

  const back = apacheSessionSerializer.deserialize(
    (await perl.echo(apacheSessionSerializer.serialize({ one: shared, two: shared }))).payload,
  ) as Record<string, unknown>;
  expect(back["one"]).toBe(back["two"]);
  expect(back).toEqual(
    objectOf([
      ["one", { n: 1 }],
      ["two", { n: 1 }],
    ]),
  );
});
