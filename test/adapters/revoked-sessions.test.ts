import { createHash } from "node:crypto";
import type { Server } from "node:http";
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import express from "express";
import session from "express-session";
import Fastify from "fastify";
import { PgSessionStore, type PgSessionStoreOptions } from "../../src/adapters/express-session/index.ts";
import { deferred, newPrismaClient } from "../support/database.ts";
import { baseUrl, CookieClient } from "../support/http.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// A revoked session stays revoked: a request of it that is in flight when it is revoked (it read the
// session live, its handler still runs) must not write it back when it ends, whichever process revoked
// it. The handler of /slow waits on a gate; the test revokes meanwhile, then opens the gate.

declare module "express-session" {
  interface SessionData {
    user?: string;
    views?: number;
  }
}
declare module "fastify" {
  interface Session {
    user?: string;
    views?: number;
  }
}

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

/** Requests of /slow wait here: `entered` resolves once `expected` of them are in their handler. */
class Gate {
  readonly #release = deferred();
  readonly #entered = deferred();
  #inside = 0;
  constructor(readonly expected: number) {}
  get entered(): Promise<void> {
    return this.#entered.promise;
  }
  async pass(): Promise<void> {
    if (++this.#inside === this.expected) this.#entered.resolve();
    await this.#release.promise;
  }
  release(): void {
    this.#release.resolve();
  }
}

interface App {
  url: string;
  store: PgSessionStore;
  table: string;
  gate: Gate;
  /** The session id a client's cookie carries. */
  sidOf(client: CookieClient): string;
}

const storeOptions = (table: string, extra: Partial<PgSessionStoreOptions>): PgSessionStoreOptions => ({
  prisma: ctx.counting.prisma,
  tableName: table,
  pruneSessionInterval: false,
  userId: (s) => s["user"],
  ...extra,
});

async function startExpress(extra: Partial<PgSessionStoreOptions>): Promise<App> {
  const table = await ctx.newTable("revoked");
  const store = new PgSessionStore(storeOptions(table, extra));
  ctx.cleanup(() => store.close());
  const app = express();
  app.use(express.json());
  app.use(session({ store, secret: "test secret", resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  const state = { gate: new Gate(1) };
  app.post("/login", (req, res, next) =>
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.user = req.body.user;
      res.json({ ok: true });
    }),
  );
  app.get("/me", (req, res) => res.json({ user: req.session.user ?? null }));
  app.post("/slow", async (req, res) => {
    await state.gate.pass();
    req.session.views = (req.session.views ?? 0) + 1; // a change: express-session saves it (store.set)
    res.json({ views: req.session.views });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  ctx.cleanup(() => new Promise((resolve) => server.close(resolve)));
  return {
    url: baseUrl(server),
    store,
    table,
    get gate() {
      return state.gate;
    },
    set gate(gate: Gate) {
      state.gate = gate;
    },
    sidOf: (client) => /^s:([^.]+)\./.exec(decodeURIComponent(client.cookies.get("connect.sid")!))![1]!,
  };
}

async function startFastify(extra: Partial<PgSessionStoreOptions>): Promise<App> {
  const table = await ctx.newTable("revoked");
  const store = new PgSessionStore(storeOptions(table, extra));
  ctx.cleanup(() => store.close());
  const app = Fastify();
  ctx.cleanup(() => app.close());
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: "a secret with at least thirty-two characters",
    store,
    saveUninitialized: false,
    cookie: { secure: false, maxAge: 3_600_000 },
  });
  const state = { gate: new Gate(1) };
  app.post("/login", async (request) => {
    await request.session.regenerate();
    request.session.user = (request.body as { user: string }).user;
    return { ok: true };
  });
  app.get("/me", async (request) => ({ user: request.session.user ?? null }));
  app.post("/slow", async (request) => {
    await state.gate.pass();
    request.session.views = (request.session.views ?? 0) + 1;
    return { views: request.session.views };
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url,
    store,
    table,
    get gate() {
      return state.gate;
    },
    set gate(gate: Gate) {
      state.gate = gate;
    },
    sidOf: (client) => decodeURIComponent(client.cookies.get("sessionId")!).split(".")[0]!,
  };
}

/** Another process on the same table: its own connections and its own memory. */
function otherProcess(table: string, extra: Partial<PgSessionStoreOptions>): PgSessionStore {
  const prisma = newPrismaClient(ctx.url);
  const store = new PgSessionStore({ prisma, tableName: table, pruneSessionInterval: false, ...extra });
  ctx.cleanup(async () => {
    await store.close();
    await prisma.$disconnect();
  });
  return store;
}

async function rowsOfUser(table: string, user: string): Promise<string[]> {
  const { rows } = await ctx.admin.query(`SELECT id::text AS id FROM "${table}" WHERE user_id = $1 ORDER BY id`, [user]);
  return rows.map((row) => row.id);
}

type Revoke = (app: App, sids: { laptop: string; phone: string }) => Promise<void>;

// A logout of the phone served by this process while the phone's other request is in flight.
const destroyHere: Revoke = async (app, { phone }) => {
  await app.store.destroy(phone);
};
const revokeAllHere: Revoke = async (app) => {
  expect(await app.store.revokeUserSessions("ann")).toBe(2);
};
const revokeOneHere: Revoke = async (app, { laptop }) => {
  const { sessions } = await app.store.userSessions("ann", { current: laptop });
  expect(await app.store.revokeUserSession("ann", sessions.find((s) => !s.current)!.handle)).toBe(true);
};
const revokeAllElsewhere =
  (extra: Partial<PgSessionStoreOptions> = {}): Revoke =>
  async (app) => {
    expect(await otherProcess(app.table, extra).revokeUserSessions("ann")).toBe(2);
  };
const revokeAllButLaptopElsewhere: Revoke = async (app, { laptop }) => {
  expect(await otherProcess(app.table, {}).revokeUserSessions("ann", { except: laptop })).toBe(1);
};

/** Other users' traffic through the same store: `count` new sessions saved and read (what fills its memory). */
async function otherTraffic(store: PgSessionStore, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const sid = `other-${i}-${Math.random().toString(36).slice(2)}`;
    await store.set(sid, { cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000) }, views: i } as never);
    await store.get(sid);
  }
}

// Whatever this process forgets of a session (its memory holds cacheSize sessions; the attack sends more
// requests than that while the stolen session's request is in flight), a session it destroyed or revoked
// stays so, and with express-session one that another process revoked too (a session it loaded is
// only ever updated).
const evicting = { cacheSize: 50 };
const frameworks = [
  ["express", startExpress, true],
  ["fastify", startFastify, false],
] as const;
describe.each(frameworks)("%s, after more traffic than its memory holds", (_framework, start, acrossProcesses) => {
  const cases: Array<[string, Revoke]> = [
    ["destroyed by this process", destroyHere],
    ["revoked by this process (all of the user's)", revokeAllHere],
    ...(acrossProcesses ? ([["revoked by another process (all of the user's)", revokeAllElsewhere()]] as Array<[string, Revoke]>) : []),
  ];
  test.each(cases)("a session %s stays revoked when the request in flight ends", async (_label, revoke) => {
    const app = await start(evicting);
    const laptop = new CookieClient(app.url);
    const phone = new CookieClient(app.url);
    await laptop.request("POST", "/login", { user: "ann" });
    await phone.request("POST", "/login", { user: "ann" });
    const sids = { laptop: app.sidOf(laptop), phone: app.sidOf(phone) };
    const gate = new Gate(1);
    app.gate = gate;
    const request = phone.request("POST", "/slow");
    await gate.entered;
    await revoke(app, sids);
    await otherTraffic(app.store, evicting.cacheSize * 3);
    gate.release();
    expect((await request).status).toBe(200);
    expect(await rowsOfUser(app.table, "ann")).not.toContain(sids.phone);
    expect((await phone.request("GET", "/me")).body.user).toBeNull();
  });
});

describe.each([
  ["express", startExpress],
  ["fastify", startFastify],
] as const)("%s", (_framework, start) => {
  test.each<[string, Partial<PgSessionStoreOptions>, Revoke, number]>([
    ["destroyed by this process", {}, destroyHere, 1],
    ["destroyed by this process, two requests of it in flight", {}, destroyHere, 2],
    ["revoked by this process (all of the user's)", {}, revokeAllHere, 1],
    ["revoked by this process (one, by its handle)", {}, revokeOneHere, 1],
    ["revoked by another process (all of the user's)", {}, revokeAllElsewhere(), 1],
    ["revoked by another process, all but the laptop's", {}, revokeAllButLaptopElsewhere, 1],
    ["revoked by another process, with hashIds", { hashIds: true }, revokeAllElsewhere({ hashIds: true }), 1],
    ["revoked by another process, write avoidance off (cacheSize 0)", { cacheSize: 0 }, revokeAllElsewhere(), 1],
    ["revoked by another process, two requests of it in flight", {}, revokeAllElsewhere(), 2],
  ])("a session %s stays revoked when the request in flight ends", async (_label, extra, revoke, inFlight) => {
    const app = await start(extra);
    const laptop = new CookieClient(app.url);
    const phone = new CookieClient(app.url);
    await laptop.request("POST", "/login", { user: "ann" });
    await phone.request("POST", "/login", { user: "ann" });
    const sids = { laptop: app.sidOf(laptop), phone: app.sidOf(phone) };
    const keyOf = (sid: string) => (extra.hashIds ? createHash("sha256").update(sid).digest().subarray(0, 24).toString("base64url") : sid);
    expect(await rowsOfUser(app.table, "ann")).toEqual(Object.values(sids).map(keyOf).sort());

    const gate = new Gate(inFlight);
    app.gate = gate;
    const requests = Array.from({ length: inFlight }, () => phone.request("POST", "/slow"));
    await gate.entered; // the requests have read the session live and are in their handler
    await revoke(app, sids);
    const sentBefore = ctx.counting.statements.length;
    gate.release();
    for (const response of await Promise.all(requests)) expect(response.status).toBe(200);
    // Their saves ran (the frameworks save before responding) and inserted nothing.
    expect(ctx.counting.statements.slice(sentBefore).filter((sql) => /^\s*INSERT/i.test(sql))).toEqual([]);
    expect(await rowsOfUser(app.table, "ann")).not.toContain(keyOf(sids.phone));
    expect((await phone.request("GET", "/me")).body.user).toBeNull();
    const laptopKept = revoke === destroyHere || revoke === revokeOneHere || revoke === revokeAllButLaptopElsewhere;
    expect((await laptop.request("GET", "/me")).body.user).toBe(laptopKept ? "ann" : null);
  });
});
