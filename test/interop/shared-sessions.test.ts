import { spawn, spawnSync } from "node:child_process";
import { perl, perlDataSource, perlScript } from "./perl-script.ts";
import {
  apacheSessionSerializer,
  CorruptPayloadError,
  createFormatDetectingSerializer,
  SessionManager,
  StorableDataError,
  superjsonSerializer,
} from "../../src/index.ts";
import { eventually } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";
import { objectOf } from "./perl-view.ts";

// One live session shared with the real Apache::Session::Postgres (Serialize::Base64) on one table:
// each side opens, changes and saves what the other wrote, under the same row locks.
const dsn = perlDataSource();

const perlCreates = (command: string) => /^ID ([0-9a-f]{32})$/m.exec(perl(command, dsn))![1]!;
const perlSees = (id: string) => JSON.parse(/^DUMP (.*)$/m.exec(perl("dump", dsn, id))![1]!) as Record<string, unknown>;

let ctx: TestContext;
let sessions: SessionManager;
beforeAll(async () => {
  ctx = await initTest({ store: true });
  sessions = new SessionManager({ store: ctx.store, serializer: apacheSessionSerializer });
});
afterAll(() => destroyTest(ctx));

const storedText = async (id: string) =>
  (await ctx.admin.query("SELECT a_session FROM sessions WHERE id = $1", [id])).rows[0].a_session as string;

test("a session created in Perl is opened, changed and saved here, and Perl then sees the change", async () => {
  const id = perlCreates("create-rich");
  await sessions.open(id, (session) => {
    const data = session.data as Record<string, any>;
    expect(data).toEqual(
      objectOf([
        ["_session_id", id],
        ["who", "perl"],
        ["count", 1],
        ["name", "ann"],
        ["text", "café ☺"],
        ["bytes", "caf\u00c3\u00a9"], // a Perl byte string: one character per byte, as Perl sees it
        ["list", [1, "2.5", null, "x", -70000]],
        ["nested", { deep: { k: "v" } }],
        ["big", "1099511627776"],
        ["clé", "latin-1 key"],
        ["k☺", "utf-8 key"],
        ["one", { n: 1 }],
        ["two", { n: 1 }],
        ["__proto__", { polluted: 1 }],
      ]),
    );
    expect(data["one"]).toBe(data["two"]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    data["count"] += 1;
    data["list"].push("from node");
    data["nested"].deep.k = "changed here";
    data["added"] = { ü: true, at: 1.25 };
  });
  expect(perlSees(id)).toEqual(
    objectOf([
      ["_session_id", id],
      ["who", "perl"],
      ["count", "2"],
      ["name", "ann"],
      ["text", "café ☺"],
      ["bytes", "caf\u00c3\u00a9"],
      ["list", ["1", "2.5", null, "x", "-70000", "from node"]],
      ["nested", { deep: { k: "changed here" } }],
      ["big", "1099511627776"],
      ["clé", "latin-1 key"],
      ["k☺", "utf-8 key"],
      ["one", { n: "1" }],
      ["two", { n: "1" }],
      ["__proto__", { polluted: "1" }],
      ["added", { ü: "1", at: "1.25" }],
    ]),
  );
});

test("a session created here is tied in Perl, changed, and the change is seen here", async () => {
  const { id } = await sessions.create({ name: "ann", count: 5, list: ["a"], text: "naïve ☕", ratio: 0.5 });
  expect(perl("bump", dsn, id)).toBe("BUMPED\n");
  const { data } = await sessions.read(id);
  expect(data).toEqual({
    _session_id: id,
    name: "ann",
    count: 6,
    list: ["a", "from perl"],
    text: "naïve ☕",
    ratio: "0.5",
    perl_saw: "ann",
  });
});

test("concurrent increments from Perl and from here on one session end at the exact total", async () => {
  const { id } = await sessions.create({ count: 0 });
  const perlUnits = 60;
  const ourWorkers = 4;
  const ourUnitsEach = 15;
  const incrementer = spawn("perl", [perlScript, "increment", dsn, id, String(perlUnits)]);
  let out = "";
  let err = "";
  incrementer.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  incrementer.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => incrementer.on("close", resolve));
  await eventually(async () => out.includes("STARTED") || out.includes("DONE"));
  await Promise.all(
    Array.from({ length: ourWorkers }, async () => {
      for (let i = 0; i < ourUnitsEach; i++) {
        await sessions.open(id, (session) => {
          const data = session.data as Record<string, number>;
          data["count"] = data["count"]! + 1;
        });
      }
    }),
  );
  expect({ exit: await exited, err }).toEqual({ exit: 0, err: "" });
  const total = perlUnits + ourWorkers * ourUnitsEach;
  expect((await sessions.read(id)).data["count"]).toBe(total);
  expect(perlSees(id)["count"]).toBe(String(total));
});

test("a table in transition: each row is read in its own format, changed rows are written in the configured one", async () => {
  const ours = await new SessionManager({ store: ctx.store }).create({ from: "json", when: new Date(0).toISOString() });
  const theirs = perlCreates("create");
  const jsonText = await storedText(ours.id);
  expect(jsonText.startsWith("{")).toBe(true);

  const toPerl = new SessionManager({ store: ctx.store, serializer: createFormatDetectingSerializer({ write: apacheSessionSerializer }) });
  expect((await toPerl.read(theirs)).data).toEqual({ _session_id: theirs, who: "perl" });
  await toPerl.open(ours.id, (session) => expect(session.data["from"]).toBe("json"));
  expect(await storedText(ours.id)).toBe(jsonText); // opened, unchanged: not rewritten
  await toPerl.open(ours.id, (session) => {
    session.data["from"] = "json, then perl";
  });
  expect(perlSees(ours.id)).toEqual({ _session_id: ours.id, from: "json, then perl", when: "1970-01-01T00:00:00.000Z" });

  // Once the Perl application is retired: write JSON, still read what Perl left behind.
  const toJson = new SessionManager({ store: ctx.store, serializer: createFormatDetectingSerializer({ write: superjsonSerializer }) });
  await toJson.open(theirs, (session) => {
    session.data["who"] = "node";
  });
  expect(await storedText(theirs)).toMatch(/^\{/);
  expect((await toJson.read(theirs)).data).toEqual({ _session_id: theirs, who: "node" });
});

test("a Perl session holding a blessed object is refused whole, and its row is left as it was", async () => {
  const id = perlCreates("create");
  const blessed = perlBlessed(id);
  await ctx.admin.query("UPDATE sessions SET a_session = $2 WHERE id = $1", [id, blessed]);
  const error = await sessions.open(id, () => undefined).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CorruptPayloadError);
  expect((error as CorruptPayloadError).cause).toBeInstanceOf(StorableDataError);
  expect((error as CorruptPayloadError).cause).toMatchObject({ reason: "refused", message: expect.stringContaining("Evil::Class") });
  expect(await storedText(id)).toBe(blessed);
});

/** Apache::Session's payload for {_session_id => id, o => bless({}, 'Evil::Class')}, written by Perl. */
function perlBlessed(id: string): string {
  const code = `print encode_base64(nfreeze({ _session_id => '${id}', o => bless({}, 'Evil::Class') }))`;
  const run = spawnSync("perl", ["-MStorable=nfreeze", "-MMIME::Base64", "-e", code], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout;
}
