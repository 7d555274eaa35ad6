import express from "express";
import session from "express-session";
import type { PgSessionStore } from "../src/adapters/express-session/index.ts";
import type { SessionManager } from "../src/index.ts";
import { raceCounters } from "./counter.ts";
import { counterPage, counterResult, sessionPage } from "./pages.ts";

declare module "express-session" {
  interface SessionData {
    visits?: number;
    name?: string;
    createdAt?: Date;
  }
}

export interface DemoDeps {
  store: PgSessionStore;
  sessions: SessionManager;
  storage: string;
  secret: string;
}

/** The demo web app: a session page (visits, name, rotate, log out) and the lost-update race. */
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
