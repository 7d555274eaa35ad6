// `prisma-pg-session/fastify`: the @fastify/session store. It is the express-session adapter's class,
// which fits @fastify/session's `SessionStore` as well; this entry lets a fastify app say what it uses
// and compile without `@types/express-session` (nor express-session itself: without it the store
// extends a plain EventEmitter).
//
//   await app.register(fastifySession, { secret, store: new PgSessionStore({ datasourceUrl }) });
export { PgSessionStore, type ListedSession, type FoundSessions } from "../express-session/pg-session-store.ts";
export type {
  UserSession,
  UserSessionPage,
  UserSessionsOptions,
  RevokeUserSessionsOptions,
  FindSessionsQuery,
} from "../../store/user-sessions.ts";
export type { PgSessionStoreOptions } from "../express-session/adapter-options.ts";
export type { FrameworkSession, FrameworkCookie } from "../express-session/framework-types.ts";
export type { Logger } from "../express-session/logger.ts";
export type { Callback } from "../express-session/callback.ts";
export type { HashIdsOption } from "../express-session/id-hasher.ts";
export type { ReadThroughOption } from "../../migration/read-through.ts";
export { lockedSession, type FastifySessionRequest } from "./locked-session.ts";
export type { LockedSession, LockedSessionOptions } from "../express-session/locked-unit.ts";
export type * from "../../observability/public-types.ts";
