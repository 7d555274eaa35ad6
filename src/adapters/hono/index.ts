// `prisma-pg-session/hono`: a Hono middleware on the web core (`prisma-pg-session/web`). The session is
// on the context as `c.get("session")`; the middleware saves it after the handler and sets the cookie.
//
//   const app = new Hono<SessionEnv<{ user?: string }>>();
//   app.use(honoSession({ pgPool, secret: process.env.SESSION_SECRET! }));
//   app.get("/", (c) => c.text(`hello ${c.get("session").data.user ?? "stranger"}`));
export { honoSession, type SessionEnv, type HonoSessionOptions } from "./middleware.ts";
export { WebSessions, WebSession, type WebSessionsOptions, type SessionValues } from "../web/web-sessions.ts";
export type { SessionCookieOptions } from "../web/session-cookie.ts";
export { UnsupportedRuntimeError, UnsavedChangesError } from "../web/errors.ts";
export type * from "../../observability/public-types.ts";
