// `prisma-pg-session/next`: Next.js App Router sessions (Server Actions, Route Handlers; Node.js
// runtime) on the web core (`prisma-pg-session/web`), reading and setting the cookie through
// `cookies()` from `next/headers`. express-session's cookie and PgSessionStore's rows, so an express
// app on the same domain and table shares the sessions.
//
//   export const sessions = createNextSessions<{ user?: string; count?: number }>(() => ({
//     datasourceUrl: process.env.DATABASE_URL!, secret: process.env.SESSION_SECRET!, cookie: { maxAge: 86_400 },
//   }));
//   // in a Server Action or Route Handler:
//   const count = await sessions.lock((s) => (s.data.count = (s.data.count ?? 0) + 1));
export { createNextSessions, type NextSessions, type NextSessionsOptions } from "./next-sessions.ts";
export { WebSessions, WebSession, type WebSessionsOptions, type SessionValues } from "../web/web-sessions.ts";
export type { SessionCookieOptions, SameSite } from "../web/session-cookie.ts";
export type { TransactionOptions } from "../../driver/driver.ts";
export { UnsupportedRuntimeError, UnsavedChangesError } from "../web/errors.ts";
export type * from "../../observability/public-types.ts";
