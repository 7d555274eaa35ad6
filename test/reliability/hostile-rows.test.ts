import type { Server } from "node:http";
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import express from "express";
import session from "express-session";
import Fastify from "fastify";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { apacheSessionSerializer, CorruptPayloadError, StorableDataError, superjsonSerializer } from "../../src/index.ts";
import { decode, decodeForFramework } from "../../src/serialization/codec.ts";
import { encodeBase64Lines } from "../../src/serialization/apache-session-serializer.ts";
import { baseUrl, CookieClient } from "../support/http.ts";
import { thrownBy } from "../support/thrown-by.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// Rows the write path would never write, put in the table by someone else (another app, a restored
// backup, an attacker with SQL access): the read path refuses them as the write path would, with a
// typed error, in bounded time, and a framework that meets one keeps serving.

declare module "express-session" {
  interface SessionData {
    user?: string;
  }
}
declare module "fastify" {
  interface Session {
    user?: string;
  }
}

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

const context = { sessionId: "abc", table: "sessions" };
const cookie = { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString() };

/** superjson text whose `referentialEqualities` make each level two references to the one below: 2^levels values once expanded. */
function sharedReferences(levels: number): string {
  const json: Record<string, unknown> = { cookie };
  const equalities: Record<string, string[]> = {};
  for (let i = 0; i <= levels; i += 1) json[`l${i}`] = [[], []];
  for (let i = 0; i < levels; i += 1) equalities[`l${i}`] = [`l${i + 1}.0`, `l${i + 1}.1`];
  return JSON.stringify({ json, meta: { referentialEqualities: equalities } });
}

/** JSON nested `depth` objects deep under the key `deep`. */
function nested(depth: number): string {
  return `{"json":{"cookie":${JSON.stringify(cookie)},"deep":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}}`;
}

const protoRow = `{"json":{"cookie":${JSON.stringify(cookie)},"__proto__":{"polluted":true},"user":"mallory"}}`;

/** Storable nfreeze bytes of a hash `{ a: <refs × REF> → {} }`. */
function refChain(refs: number): Uint8Array {
  const value = [...Array<number>(refs).fill(4), 3, 0, 0, 0, 0]; // SX_REF × refs, then SX_HASH of 0 entries
  return Uint8Array.from([0x05, 0x0b, 3, 0, 0, 0, 1, ...value, 0, 0, 0, 1, 0x61]);
}

/**
 * Storable nfreeze bytes of `{ a: [...] }`, the array holding `levels` references to arrays, each array
 * after the first holding two back-references to the one before it: 2^levels values expanded. Tags
 * number every reference, container and scalar as it is read (a back-reference takes none): the hash
 * 0, its REF 1, the array 2; level 0 is REF 3, ARRAY 4, UNDEF 5, UNDEF 6; level i ≥ 1 REF 5 + 2·i, ARRAY 6 + 2·i.
 */
function storableDag(levels: number): Uint8Array {
  const refTag = (level: number) => (level === 0 ? 3 : 5 + 2 * level);
  const bytes: number[] = [0x05, 0x0b, 3, ...int32(1), 4, 2, ...int32(levels)];
  for (let i = 0; i < levels; i += 1) {
    bytes.push(4, 2, ...int32(2)); // SX_REF, then SX_ARRAY of 2
    if (i === 0)
      bytes.push(5, 5); // SX_UNDEF × 2
    else for (let k = 0; k < 2; k += 1) bytes.push(0, ...int32(refTag(i - 1))); // SX_OBJECT: the reference before
  }
  bytes.push(...int32(1), 0x61); // the key, "a"
  return Uint8Array.from(bytes);
}
function int32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

describe("the read path refuses what the write path refuses, with CorruptPayloadError", () => {
  test.each([
    ["shared references expanding to 2^40 values", sharedReferences(40), /expanding to more than 1,000,000 values/],
    ["nesting 20,000 levels deep", nested(20_000), /nested more than 1000 levels deep/],
    ["an own __proto__ key (for a framework's session object)", protoRow, /a key named __proto__/],
  ])("superjson: %s", (_label, text, problem) => {
    const error = thrownBy(() => decodeForFramework(superjsonSerializer, text, context));
    expect(error).toBeInstanceOf(CorruptPayloadError);
    expect((error as Error).message).toMatch(problem);
  });

  test("Storable: a chain of 100,000 references to references is refused, not a stack overflow", () => {
    const error = thrownBy(() => decode(apacheSessionSerializer, encodeBase64Lines(refChain(100_000)), context));
    expect(error).toBeInstanceOf(CorruptPayloadError);
    expect((error as CorruptPayloadError).cause).toBeInstanceOf(StorableDataError);
    expect(String((error as CorruptPayloadError).cause)).toMatch(/a reference to a reference/);
  });

  test("Storable: back-references expanding to 2^40 values are refused", () => {
    const error = thrownBy(() => decode(apacheSessionSerializer, encodeBase64Lines(storableDag(40)), context));
    expect(error).toBeInstanceOf(CorruptPayloadError);
    expect((error as Error).message).toMatch(/expanding to more than 1,000,000 values/);
  });

  test("shared references within the limit still come back shared", () => {
    const data = decode(superjsonSerializer, sharedReferences(10), context);
    const l1 = data["l1"] as unknown[];
    expect(l1[0]).toBe(data["l0"]);
    expect(l1[1]).toBe(data["l0"]);
  });
});

/** Starts `app`'s server; what stops it is registered for cleanup. */
async function listen(app: express.Express): Promise<string> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  ctx.cleanup(() => new Promise((resolve) => server.close(resolve)));
  return baseUrl(server);
}

describe.each([
  ["shared references", sharedReferences(40)],
  ["nesting 20,000 levels deep", nested(20_000)],
  ["an own __proto__ key", protoRow],
])("a row holding %s", (_label, hostileText) => {
  test("express-session: the request fails with the store's typed error; the app serves the next request", async () => {
    const table = await ctx.newTable("hostile");
    const store = new PgSessionStore({ prisma: ctx.counting.prisma, tableName: table, pruneSessionInterval: false });
    ctx.cleanup(() => store.close());
    const app = express();
    app.use(session({ store, secret: "test secret", resave: false, saveUninitialized: false }));
    app.post("/login", (req, res) => {
      req.session.user = "ann";
      res.json({ ok: true });
    });
    app.get("/me", (req, res) => res.json({ user: req.session.user ?? null }));
    const failures: unknown[] = [];
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      failures.push(error);
      res.status(500).json({ error: (error as Error).name });
    });
    const url = await listen(app);
    const victim = new CookieClient(url);
    await victim.request("POST", "/login");
    await ctx.admin.query(`UPDATE "${table}" SET a_session = $1`, [hostileText]);
    const response = await victim.request("GET", "/me");
    expect(response.status).toBe(500);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(CorruptPayloadError);
    const other = new CookieClient(url);
    await other.request("POST", "/login");
    expect((await other.request("GET", "/me")).body).toEqual({ user: "ann" });
  });

  test("@fastify/session: the request fails with the store's typed error, the process stays up, the app serves the next request", async () => {
    const table = await ctx.newTable("hostile");
    const store = new PgSessionStore({ prisma: ctx.counting.prisma, tableName: table, pruneSessionInterval: false });
    ctx.cleanup(() => store.close());
    const app = Fastify();
    ctx.cleanup(() => app.close());
    await app.register(fastifyCookie);
    await app.register(fastifySession, { secret: "a secret with at least thirty-two characters", store, cookie: { secure: false } });
    const failures: unknown[] = [];
    app.setErrorHandler((error, _request, reply) => {
      failures.push(error);
      return reply.status(500).send({ error: (error as Error).name });
    });
    app.post("/login", async (request) => {
      request.session.user = "ann";
      return { ok: true };
    });
    app.get("/me", async (request) => ({ user: request.session.user ?? null }));
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    const victim = new CookieClient(url);
    await victim.request("POST", "/login");
    await ctx.admin.query(`UPDATE "${table}" SET a_session = $1`, [hostileText]);
    const response = await victim.request("GET", "/me");
    expect(response.status).toBe(500);
    expect(failures[0]).toBeInstanceOf(CorruptPayloadError);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    const other = new CookieClient(url);
    await other.request("POST", "/login");
    expect((await other.request("GET", "/me")).body).toEqual({ user: "ann" });
  });
});
