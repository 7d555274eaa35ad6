import { types } from "node:util";
import { SessionClosedError, SessionManager, type Session } from "../../src/index.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// Inside a unit of work, the Dates, Maps, Sets and RegExps of a session are real ones (not proxies):
// util.types and instanceof recognise them, structuredClone copies them, `new Date(d)` keeps the
// milliseconds. Their changes are still saved, and still refused once the unit has ended.

let ctx: TestContext;
let sessions: SessionManager;
beforeAll(async () => {
  ctx = await initTest({ table: "real" });
  sessions = new SessionManager({ prisma: ctx.prisma, tableName: ctx.table });
});
afterAll(async () => {
  await sessions.close();
  await destroyTest(ctx);
});

const at = 1_234_567_890_123;

test("they pass util.types, instanceof and structuredClone, and new Date(x) keeps the milliseconds", async () => {
  const { id } = await sessions.create({ when: new Date(at), prefs: new Map([["theme", "dark"]]), tags: new Set(["a"]), pattern: /x+/gi });
  await sessions.open(id, (session) => {
    const { when, prefs, tags, pattern } = session.data;
    expect(types.isDate(when)).toBe(true);
    expect(when instanceof Date).toBe(true);
    expect(new Date(when).getTime()).toBe(at);
    expect(structuredClone(when)).toEqual(new Date(at));
    expect(types.isMap(prefs)).toBe(true);
    expect(structuredClone(prefs)).toEqual(new Map([["theme", "dark"]]));
    expect(types.isSet(tags)).toBe(true);
    expect(structuredClone(tags)).toEqual(new Set(["a"]));
    expect(types.isRegExp(pattern)).toBe(true);
    expect(structuredClone(pattern).source).toBe("x+");
    expect(session.status).toBe("synced");
  });
});

test("their changes are saved, and refused once the unit has ended", async () => {
  const { id } = await sessions.create({ when: new Date(at), prefs: new Map([["theme", "dark"]]), tags: new Set(["a"]) });
  const kept = await sessions.open(id, (session) => {
    session.data["when"].setUTCMilliseconds(0);
    session.data["prefs"].set("theme", "light");
    session.data["tags"].add("b");
    expect(session.status).toBe("modified");
    return session;
  });
  const { data } = await sessions.read(id);
  expect(data["when"].getTime()).toBe(at - 123);
  expect(data["prefs"]).toEqual(new Map([["theme", "light"]]));
  expect(data["tags"]).toEqual(new Set(["a", "b"]));
  for (const write of [
    () => (kept as Session).data["when"].setTime(0),
    () => kept.data["prefs"].set("x", 1),
    () => kept.data["tags"].clear(),
  ]) {
    expect(write).toThrow(SessionClosedError);
  }
  expect((await sessions.read(id)).data["tags"]).toEqual(new Set(["a", "b"]));
});

test("a Date the app puts in is left as the app's own: nothing about it changes", async () => {
  const { id } = await sessions.create({});
  const mine = new Date(at);
  await sessions.open(id, (session) => {
    session.data["mine"] = mine;
    expect(session.data["mine"]).toBe(mine);
  });
  expect(Object.getPrototypeOf(mine)).toBe(Date.prototype);
  mine.setTime(0); // after the unit: the app's own object, not the session's
  expect((await sessions.read(id)).data["mine"]).toEqual(new Date(at));
});
