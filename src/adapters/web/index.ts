// `prisma-pg-session/web`: sessions for Web-standard Request / Response code (Hono, React Router, Next.js
// route handlers, Bun, Deno, plain node:http with a Request): express-session's signed cookie and
// PgSessionStore's rows, so an express app and these share one session. Its declarations name no
// framework.
export { WebSessions, WebSession, type WebSessionsOptions, type CookieSource, type SessionValues } from "./web-sessions.ts";
export type { SessionStorageOptions } from "./session-engine.ts";
export { generateWebSessionId } from "./session-engine.ts";
export type { SessionCookieOptions, SessionCookie, SameSite } from "./session-cookie.ts";
export { signSessionId } from "./session-cookie.ts";
export { UnsupportedRuntimeError, UnsavedChangesError } from "./errors.ts";
export { assertNodeRuntime } from "./runtime.ts";
export type { ReadThroughOption } from "../../migration/read-through.ts";
export type * from "../../observability/public-types.ts";
