import type { Server } from "node:http";
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import express from "express";
import session from "express-session";
import Fastify from "fastify";
import type { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { baseUrl } from "./http.ts";

declare module "express-session" {
  interface SessionData {
    v?: string;
  }
}
declare module "fastify" {
  interface Session {
    v?: string;
  }
}

export type Framework = "express" | "fastify";

/** The cookie secret of every app built here: apps sharing it behave as instances of one app. */
export const sessionAppSecret = "a secret with at least thirty-two characters";

/** The session cookie's name in each framework. */
export const sessionCookieName: Record<Framework, string> = { express: "connect.sid", fastify: "sessionId" };

/**
 * A minimal app on `store`: `POST /set/:v` stores `v` in the session, `GET /v` shows it. `POST
 * /held/set/:v` does the same once released: its session is loaded (the store's `get`) before it waits,
 * `GET /held` counts the requests waiting and `POST /release` lets them go on — so a test orders
 * requests of one browser across servers without sleeping. The cookie is the frameworks' default, a
 * browser-session cookie: the store's `ttl` sets each save's expiry.
 */
export async function startSessionApp(framework: Framework, store: PgSessionStore): Promise<{ url: string; close(): Promise<void> }> {
  let waiting = 0;
  let release!: () => void;
  let released = new Promise<void>((resolve) => (release = resolve));
  const hold = async () => {
    waiting += 1;
    await released;
    waiting -= 1;
  };
  const releaseAll = () => {
    release();
    released = new Promise<void>((resolve) => (release = resolve));
  };

  if (framework === "express") {
    const app = express();
    app.use(session({ store, secret: sessionAppSecret, resave: false, saveUninitialized: false }));
    app.post("/set/:v", (req, res) => {
      req.session.v = req.params.v;
      res.json({ v: req.session.v });
    });
    app.post("/held/set/:v", async (req, res) => {
      await hold();
      req.session.v = req.params.v;
      res.json({ v: req.session.v });
    });
    app.get("/v", (req, res) => void res.json({ v: req.session.v ?? null }));
    app.get("/held", (_req, res) => void res.json({ waiting }));
    app.post("/release", (_req, res) => {
      releaseAll();
      res.json({ ok: true });
    });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    return { url: baseUrl(server), close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret: sessionAppSecret, store, saveUninitialized: false, cookie: { secure: false } });
  app.post("/set/:v", async (request) => {
    request.session.v = (request.params as { v: string }).v;
    return { v: request.session.v };
  });
  app.post("/held/set/:v", async (request) => {
    await hold();
    request.session.v = (request.params as { v: string }).v;
    return { v: request.session.v };
  });
  app.get("/v", async (request) => ({ v: request.session.v ?? null }));
  app.get("/held", async () => ({ waiting }));
  app.post("/release", async () => {
    releaseAll();
    return { ok: true };
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, close: () => app.close() };
}
