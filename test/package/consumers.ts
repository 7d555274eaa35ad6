// The apps of package.test.ts: each is written into a fresh project that has the packed package in its
// node_modules, type-checked with the repo's tsc (strict, skipLibCheck off, so errors inside the
// package's .d.ts files count) and run with node. Kept as text: in test/ as .ts files, the repo's own
// type check would compile them against whatever dist/ happens to hold.

/** compilerOptions every consumer shares; `module` decides ESM or CommonJS with the package.json `type`. */
export const consumerCompilerOptions = {
  target: "ES2023",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  strict: true,
  skipLibCheck: false,
  noUncheckedIndexedAccess: true,
  // TypeScript 6 includes no @types package unless told: only what an import names, plus Node's.
  types: ["node"],
  outDir: "out",
  rootDir: "src",
};

/**
 * (a) An ESM app using `.`, `./express` (with express-session and its types installed) and `./embedded`
 * (types, and that the entry loads; PGlite itself is imported only when a database is opened).
 */
export const esmApp = `
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import session, { type Store } from "express-session";
import { PostgresStore, SessionStoreError, superjsonSerializer, type PostgresStoreOptions, type SessionRecord } from "prisma-pg-session";
import { PgSessionStore, type FrameworkSession, type PgSessionStoreOptions } from "prisma-pg-session/express";
import type { EmbeddedDatabase, EmbeddedOptions } from "prisma-pg-session/embedded";

declare module "express-session" {
  interface SessionData {
    user?: string;
  }
}

const datasourceUrl = process.env["TEST_DATABASE_URL"] ?? "";
const tableName = process.env["PPS_TABLE"] ?? "";

// Type level: the embedded database's client is a store's \`prisma\`; the adapter is express-session's Store.
export function storeOn(db: EmbeddedDatabase): PostgresStore {
  return new PostgresStore({ prisma: db.client, tableName });
}
export const embeddedOptions: EmbeddedOptions = { dataDir: ".data/pglite" };
const adapterOptions: PgSessionStoreOptions = { datasourceUrl, tableName, pruneSessionInterval: false };
const adapter = new PgSessionStore(adapterOptions);
const asStore: Store = adapter;
const middleware = session({ store: adapter, secret: "a secret with at least thirty-two characters", resave: false, saveUninitialized: false });
assert.equal(typeof middleware, "function");
// Run time: with express-session installed the adapter extends its Store (regenerate, load, createSession).
assert.ok(asStore instanceof session.Store);

// The store: insert, fetch, close.
const options: PostgresStoreOptions = { datasourceUrl, tableName };
const store = new PostgresStore(options);
const id = randomBytes(16).toString("hex");
const serialized = superjsonSerializer.serialize({ at: new Date("2026-11-25T09:30:00Z") });
await store.insert({ id, serialized });
const fetched: SessionRecord = await store.fetch({ id, serialized: null });
assert.equal(fetched.serialized, serialized);
assert.deepEqual(superjsonSerializer.deserialize(fetched.serialized ?? ""), { at: new Date("2026-11-25T09:30:00Z") });
await assert.rejects(store.fetch({ id: randomBytes(16).toString("hex"), serialized: null }), SessionStoreError);
await store.close();

// The adapter on the same table.
const sid = randomBytes(16).toString("hex");
const stored: FrameworkSession = { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) }, user: "ann" };
await adapter.set(sid, stored);
assert.equal((await adapter.get(sid))?.["user"], "ann");
await adapter.close();

// The embedded entry loads without opening anything (PGlite is imported on open).
const embedded = await import("prisma-pg-session/embedded");
assert.equal(typeof embedded.openEmbeddedDatabase, "function");
console.log("esm consumer ok");
`;

/** (b) A CommonJS app: TypeScript compiles its imports to require() calls, which load the ESM build. */
export const cjsApp = `
import assert = require("node:assert/strict");
import { randomBytes } from "node:crypto";
import { PostgresStore, SessionStoreError, generateSessionId } from "prisma-pg-session";
import { PgSessionStore } from "prisma-pg-session/express";
import { PgSessionStore as FastifyStore } from "prisma-pg-session/fastify";
import { openEmbeddedDatabase } from "prisma-pg-session/embedded";
import packageJson = require("prisma-pg-session/package.json");

async function main(): Promise<void> {
  assert.equal(packageJson.name, "prisma-pg-session");
  assert.equal(FastifyStore, PgSessionStore);
  assert.equal(typeof openEmbeddedDatabase, "function");
  assert.match(generateSessionId(32), /^[0-9a-f]{32}$/);
  const store = new PostgresStore({ datasourceUrl: process.env["TEST_DATABASE_URL"] ?? "", tableName: process.env["PPS_TABLE"] ?? "" });
  const id = randomBytes(16).toString("hex");
  await store.insert({ id, serialized: '{"json":{"n":1}}' });
  assert.equal((await store.fetch({ id, serialized: null })).serialized, '{"json":{"n":1}}');
  assert.equal(await store.remove({ id }), 1);
  await assert.rejects(store.fetch({ id, serialized: null }), SessionStoreError);
  await store.close();
  console.log("cjs consumer ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

/**
 * (c) A fastify app with fastify's and @fastify/session's types, and neither express-session nor its
 * types: the adapter's declarations must not need them, and at run time it extends EventEmitter.
 */
export const fastifyApp = `
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import fastifyCookie from "@fastify/cookie";
import fastifySession, { type SessionStore } from "@fastify/session";
import Fastify from "fastify";
import { PgSessionStore, type PgSessionStoreOptions } from "prisma-pg-session/fastify";

declare module "fastify" {
  interface Session {
    user?: string;
    loginAt?: Date;
  }
}

const options: PgSessionStoreOptions = {
  datasourceUrl: process.env["TEST_DATABASE_URL"] ?? "",
  tableName: process.env["PPS_TABLE"] ?? "",
  pruneSessionInterval: false,
};
const store = new PgSessionStore(options);
const asStore: SessionStore = store;
assert.equal(Object.getPrototypeOf(PgSessionStore.prototype), EventEmitter.prototype);

const app = Fastify();
await app.register(fastifyCookie);
await app.register(fastifySession, { secret: "a secret with at least thirty-two characters", store: asStore, saveUninitialized: false, cookie: { secure: false } });
app.post("/login", async (request) => {
  request.session.user = "ann";
  request.session.loginAt = new Date("2026-11-25T09:30:00Z");
  return { ok: true };
});
app.get("/me", async (request) => ({ user: request.session.user ?? null, loginAtIsDate: request.session.loginAt instanceof Date }));

const login = await app.inject({ method: "POST", url: "/login" });
const cookie = login.cookies.find((c) => c.name === "sessionId");
assert.ok(cookie, "login sets the session cookie");
const me = await app.inject({ method: "GET", url: "/me", headers: { cookie: \`sessionId=\${cookie.value}\` } });
assert.deepEqual(me.json(), { user: "ann", loginAtIsDate: true });
assert.equal((await store.all()).length >= 1, true);
await app.close();
await store.close();
console.log("fastify consumer ok");
`;

/** Records the URL of every ES module loaded (Node's module hooks), into the file in LOAD_LOG. */
export const recordLoadsRegister = `
import { register } from "node:module";
register("./record-loads-hooks.mjs", import.meta.url, { data: { log: process.env.LOAD_LOG } });
`;
export const recordLoadsHooks = `
import { appendFileSync } from "node:fs";
let log;
export function initialize(data) {
  log = data.log;
}
export async function load(url, context, nextLoad) {
  appendFileSync(log, url + "\\n");
  return nextLoad(url, context);
}
`;
/** Imports argv[2], then adds every CommonJS module loaded (require's cache) to LOAD_LOG. */
export const loadProbe = `
import { appendFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
await import(process.argv[2]);
const required = Object.keys(createRequire(import.meta.url).cache).map((file) => pathToFileURL(file).href);
appendFileSync(process.env.LOAD_LOG, required.map((url) => url + "\\n").join(""));
`;
