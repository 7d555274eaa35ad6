import express from "express";
import session from "express-session";
import type { PgSessionStore } from "../src/adapters/express-session/index.ts";
import type { SessionManager } from "../src/index.ts";
import { raceCounters } from "./counter.ts";
import { counterPage, counterResult, sessionPage, sessionsPage } from "./pages.ts";

declare module "express-session" {
  interface SessionData {
    visits?: number;
    name?: string;
    createdAt?: Date;
    /** Who logged in (the store's `userId`). */
    user?: string;
    /** Where from, as stored for "your sessions" (the store's `device`). */
    device?: { userAgent?: string | undefined; ip?: string | undefined };
    /** What the last action on "your sessions" did, shown once. */
    notice?: string;
  }
}

export interface DemoDeps {
  store: PgSessionStore;
  sessions: SessionManager;
  storage: string;
  secret: string;
}

/**
 * The demo web app: a session page (visits, name, rotate, log in, log out), "your sessions" (the
 * user's sessions, each revocable, and "log out everywhere else") and the lost-update race. `store`
 * must derive the user from `session.user` (its `userId` option) and the device from `session.device`.
 */
export function createDemoApp({ store, sessions, storage, secret }: DemoDeps): express.Express {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session({
      store,
      secret,
      name: "demo.sid",
      resave: false,
      saveUninitialized: true,
      cookie: { maxAge: 24 * 3600 * 1000, httpOnly: true, sameSite: "lax" },
    }),
  );

  app.get("/", (req, res) => {
    req.session.createdAt ??= new Date();
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.type("html").send(
      sessionPage({
        id: req.sessionID,
        user: req.session.user,
        visits: req.session.visits,
        name: req.session.name,
        createdAt: req.session.createdAt,
        expiresAt: req.session.cookie.expires ?? undefined,
        storage,
      }),
    );
  });

  app.post("/name", (req, res) => {
    const name = String(req.body.name ?? "")
      .slice(0, 100)
      .trim();
    if (name) req.session.name = name;
    res.redirect(303, "/");
  });

  // Rotation as on login: a new id for the same data (session-fixation defence).
  app.post("/rotate", (req, res, next) => {
    const { cookie: _cookie, ...data } = req.session;
    req.session.regenerate((err) => {
      if (err) return next(err);
      Object.assign(req.session, data);
      res.redirect(303, "/");
    });
  });

  app.post("/logout", (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.redirect(303, "/"))));

  // Log in: a new id (session-fixation defence), then the user and the device it logs in from, which
  // the store writes to user_id, user_agent and ip with the session.
  app.post("/login", (req, res, next) => {
    const user = String(req.body.user ?? "")
      .slice(0, 100)
      .trim();
    if (!user) return res.redirect(303, "/");
    const { cookie: _cookie, ...data } = req.session;
    req.session.regenerate((err) => {
      if (err) return next(err);
      Object.assign(req.session, data, { user, device: { userAgent: req.get("user-agent"), ip: req.ip } });
      res.redirect(303, "/");
    });
  });

  app.get("/sessions", async (req, res, next) => {
    const user = req.session.user;
    if (user === undefined) return res.redirect(303, "/");
    try {
      const { sessions } = await store.userSessions(user, { current: req.sessionID, limit: 100 });
      const notice = req.session.notice;
      delete req.session.notice;
      res.type("html").send(sessionsPage({ user, sessions, notice }));
    } catch (error) {
      next(error);
    }
  });

  // Revoke one session of this user, by the handle the listing gave (only this user's can match).
  app.post("/sessions/revoke", async (req, res, next) => {
    const user = req.session.user;
    if (user === undefined) return res.redirect(303, "/");
    try {
      const revoked = await store.revokeUserSession(user, String(req.body.handle ?? ""));
      req.session.notice = revoked ? "Session revoked." : "That session had already ended.";
      res.redirect(303, "/sessions");
    } catch (error) {
      if (error instanceof TypeError) return res.status(400).type("text").send(error.message);
      next(error);
    }
  });

  app.post("/sessions/revoke-others", async (req, res, next) => {
    const user = req.session.user;
    if (user === undefined) return res.redirect(303, "/");
    try {
      const ended = await store.revokeUserSessions(user, { except: req.sessionID });
      req.session.notice = `Logged out of ${ended} other session(s).`;
      res.redirect(303, "/sessions");
    } catch (error) {
      next(error);
    }
  });

  app.get("/counter", (_req, res) => res.type("html").send(counterPage()));
  app.post("/counter", async (req, res, next) => {
    const n = Math.min(500, Math.max(1, Number.parseInt(String(req.body.n), 10) || 50));
    try {
      const started = Date.now();
      const { locked, naive } = await raceCounters(sessions, store, n);
      res.type("html").send(counterResult(n, locked, naive, Date.now() - started));
    } catch (error) {
      next(error);
    }
  });

  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    console.error(err);
    if (!res.headersSent) res.status(500).type("text").send(`${err.name}: ${err.message}`);
  });
  return app;
}
