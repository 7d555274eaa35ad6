import type { AddressInfo } from "node:net";
import type { Store } from "express-session";
import { makeSession } from "../worker/sessions.ts";

export const frameworks = ["express", "fastify"] as const;
export type Framework = (typeof frameworks)[number];

export const frameworkTitles: Record<Framework, string> = {
  express: "express 5 + express-session",
  fastify: "fastify 5 + @fastify/session (+ @fastify/cookie)",
};

/**
 * The measured routes. `read` reads the session and leaves it alone (express-session then calls the
 * store's `touch`; @fastify/session, `rolling` by default, saves the unchanged session: touch avoidance
 * is what tells stores apart here); `write` changes it on every request (a view counter), so every store
 * must write.
 */
export const routes = ["read", "write"] as const;
export type Route = (typeof routes)[number];

export const routeRequests: Record<Route, { method: "GET" | "POST"; path: string }> = {
  read: { method: "GET", path: "/read" },
  write: { method: "POST", path: "/write" },
};

/** What the app is doing: requests started and finished (session saved), the measured routes' requests and their sessions. */
export interface RequestTally {
  /** Requests that reached the app (every route), and those whose response ended after the session's save or touch. */
  started: number;
  finished: number;
  /** Requests the measured routes handled, and the distinct sessions they came with (reset per segment). */
  handled: number;
  sessions: Set<string>;
}

export interface RunningApp {
  port: number;
  close(): Promise<void>;
}

/** The application's view of its session data (both frameworks expose it as plain properties). */
interface AppSession {
  user?: { id: number };
  views?: number;
}

const secret = "a bench secret with at least thirty-two characters";
const maxAge = 86_400_000;

/** What `POST /login` stores: the Store API workloads' session data (user, csrf token, ... ~`bytes` of JSON). */
function loginData(index: number, bytes: number): Record<string, unknown> {
  const { cookie: _cookie, ...data } = makeSession(index, bytes);
  return data;
}

function readBody(session: AppSession): { user: number; views: number } | undefined {
  return session.user === undefined ? undefined : { user: session.user.id, views: session.views ?? 0 };
}

function writeBody(session: AppSession): { views: number } | undefined {
  if (session.user === undefined) return undefined;
  session.views = (session.views ?? 0) + 1;
  return { views: session.views };
}

/** express 5 + express-session, configured as the express-session quick start of our README (over HTTP). */
async function expressApp(store: Store, payloadBytes: number, tally: RequestTally): Promise<RunningApp> {
  const express = (await import("express")).default;
  const session = (await import("express-session")).default;
  const app = express();
  // Ahead of express-session, which wraps `res.end` again: this `end` runs once the session is saved or touched.
  app.use((_req, res, next) => {
    tally.started++;
    const end = res.end as (...args: unknown[]) => typeof res;
    res.end = function (this: typeof res, ...args: unknown[]) {
      tally.finished++;
      return end.apply(this, args);
    } as typeof res.end;
    next();
  });
  app.use(
    session({ store, secret, resave: false, saveUninitialized: false, cookie: { maxAge, httpOnly: true, sameSite: "lax", secure: false } }),
  );
  let logins = 0;
  app.post("/login", (req, res) => {
    Object.assign(req.session, loginData(logins++, payloadBytes));
    res.json({ ok: true });
  });
  app.get(routeRequests.read.path, (req, res) => {
    tally.handled++;
    tally.sessions.add(req.sessionID);
    const body = readBody(req.session as unknown as AppSession);
    if (body === undefined) res.status(401).json({ error: "no session" });
    else res.json(body);
  });
  app.post(routeRequests.write.path, (req, res) => {
    tally.handled++;
    tally.sessions.add(req.sessionID);
    const body = writeBody(req.session as unknown as AppSession);
    if (body === undefined) res.status(401).json({ error: "no session" });
    else res.json(body);
  });
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve, reject) => {
    const listening = app.listen(0, "127.0.0.1", (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** fastify 5 + @fastify/session on @fastify/cookie, as the fastify quick start of our README (over HTTP). */
async function fastifyApp(store: Store, payloadBytes: number, tally: RequestTally): Promise<RunningApp> {
  const Fastify = (await import("fastify")).default;
  const fastifyCookie = (await import("@fastify/cookie")).default;
  const fastifySession = (await import("@fastify/session")).default;
  type SessionStore = import("@fastify/session").SessionStore;
  const app = Fastify();
  app.addHook("onRequest", async () => {
    tally.started++;
  });
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret,
    // An express-session Store: the contract @fastify/session documents for its stores.
    store: store as unknown as SessionStore,
    saveUninitialized: false,
    cookie: { maxAge, httpOnly: true, sameSite: "lax", secure: false },
  });
  // After @fastify/session's: runs once the session is saved.
  app.addHook("onSend", async (_request, _reply, payload) => {
    tally.finished++;
    return payload;
  });
  let logins = 0;
  app.post("/login", async (request) => {
    Object.assign(request.session, loginData(logins++, payloadBytes));
    return { ok: true };
  });
  app.get(routeRequests.read.path, async (request, reply) => {
    tally.handled++;
    tally.sessions.add(request.session.sessionId);
    const body = readBody(request.session as unknown as AppSession);
    return body ?? reply.code(401).send({ error: "no session" });
  });
  app.post(routeRequests.write.path, async (request, reply) => {
    tally.handled++;
    tally.sessions.add(request.session.sessionId);
    const body = writeBody(request.session as unknown as AppSession);
    return body ?? reply.code(401).send({ error: "no session" });
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

export function startApp(framework: Framework, store: Store, payloadBytes: number, tally: RequestTally): Promise<RunningApp> {
  return framework === "express" ? expressApp(store, payloadBytes, tally) : fastifyApp(store, payloadBytes, tally);
}
