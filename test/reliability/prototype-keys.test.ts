import type { SessionData } from "express-session";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { CorruptPayloadError, InvalidSessionIdError, SessionManager, SessionStoreError } from "../../src/index.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// Three ways hostile keys and ids got past the session's guards, found by the hostile-input properties
// and fixed: `__proto__` assigned into session data, an own `__proto__` key in an express session, and
// ids with unpaired surrogates under hashIds.

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

/** A request body as express.json() parses it: JSON.parse makes `__proto__` an own key. */
const body = () => JSON.parse('{"__proto__": {"isAdmin": true}, "name": "ann"}') as Record<string, unknown>;

test("open: Object.assign(s.data, parsedBody) with a __proto__ key neither gives the session a prototype nor corrupts its values", async () => {
  const sessions = new SessionManager({ prisma: ctx.prisma, tableName: await ctx.newTable("proto") });
  const since = new Date("2026-11-25T09:30:00Z");
  const { id } = await sessions.create({ since, cart: new Map([["sku-1", 2]]) });
  // The session's data refuses a new prototype (its setPrototypeOf trap), but `data.__proto__ = x` goes
  // through the set trap to Reflect.set on the target, whose __proto__ setter replaces the prototype.
  const outcome = await sessions
    .open(id, (s) => {
      Object.assign(s.data, body());
      return {
        inherited: (s.data as Record<string, unknown>)["isAdmin"],
        prototypeKept: Object.getPrototypeOf(s.data) === Object.prototype,
      };
    })
    .then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
  if ("error" in outcome) {
    // Refusing the key is fine, as a typed error or a TypeError...
    expect(outcome.error instanceof SessionStoreError || outcome.error instanceof TypeError).toBe(true);
  } else {
    // ...and so is keeping the prototype; borrowing the attacker's object is not.
    expect(outcome.value).toEqual({ inherited: undefined, prototypeKept: true });
  }
  // Either way the stored session keeps its types (a replaced prototype made superjson store the whole
  // session as plain JSON: the Date came back as a string, the Map as {}).
  const { data } = await sessions.read(id);
  expect(data["since"]).toEqual(since);
  expect(data["cart"]).toEqual(new Map([["sku-1", 2]]));
});

test("adapter: a session with an own __proto__ key is refused with CorruptPayloadError, not saved without it", async () => {
  const store = new PgSessionStore({ prisma: ctx.prisma, tableName: await ctx.newTable("proto"), pruneSessionInterval: false });
  const session = Object.assign(body(), { loginAt: new Date("2026-11-25T09:30:00Z"), cookie: { originalMaxAge: 60_000, expires: null } });
  // toStoredSession copies keys with `plain[key] = ...`: the own __proto__ key becomes the copy's
  // prototype, drops out of the stored data, and superjson no longer sees a plain object (the Date
  // would be stored as a string). superjson refuses __proto__ keys everywhere else: so should this.
  const outcome = await store.set("sid-proto", session as unknown as SessionData).then(
    () => "saved",
    (error: unknown) => error,
  );
  if (outcome === "saved") {
    const back = (await store.get("sid-proto")) as unknown as Record<string, unknown>;
    expect(Object.hasOwn(back, "__proto__")).toBe(true);
    expect(back["loginAt"]).toEqual(new Date("2026-11-25T09:30:00Z"));
  } else {
    expect(outcome).toBeInstanceOf(CorruptPayloadError);
  }
  await store.close();
});

test("hashIds: two different session ids never share a session (ids that are not well-formed UTF-16 included)", async () => {
  const store = new PgSessionStore({
    prisma: ctx.prisma,
    tableName: await ctx.newTable("proto"),
    hashIds: true,
    pruneSessionInterval: false,
  });
  const session = { user: "ann", cookie: { originalMaxAge: 60_000, expires: null } } as unknown as SessionData;
  // UTF-8 encoding (which the hash input goes through) turns each lone surrogate into U+FFFD.
  // Refused outright (what the store does now), or stored under a key no other id can reach.
  const stored = await store.set("x\uD800", session).then(
    () => true,
    (error: unknown) => (expect(error).toBeInstanceOf(InvalidSessionIdError), false),
  );
  const other = await store.get("x\uDBFF").then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if ("error" in other) expect(other.error).toBeInstanceOf(InvalidSessionIdError);
  else expect(other.value).toBeNull();
  expect(stored).toBe(false);
  await store.close();
});
