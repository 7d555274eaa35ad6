// `prisma-pg-session/react-router`: React Router (v7 framework or data mode) session storage in
// PostgreSQL, made with React Router's own `createSessionStorage`, and express-session's cookie format
// so an express app on the same domain shares the sessions.
//
//   export const { getSession, commitSession, destroySession } = createPgSessionStorage<{ user: string }>({
//     pgPool, cookie: { secrets: [process.env.SESSION_SECRET!], maxAge: 86_400, secure: true },
//   });
export {
  createPgSessionStorage,
  type PgSessionStorage,
  type PgSessionStorageOptions,
  type PgSessionCookieOptions,
} from "./session-storage.ts";
export type { SessionStorageOptions } from "../web/session-engine.ts";
export type { SessionCookieOptions, SameSite } from "../web/session-cookie.ts";
export { UnsupportedRuntimeError, UnsavedChangesError } from "../web/errors.ts";
export type * from "../../observability/public-types.ts";
