// The store's public surface, shared by `prisma-pg-session/express` and `prisma-pg-session/fastify`
// (the same class serves both frameworks); each entry adds its own `lockedSession`.
export { PgSessionStore, type ListedSession, type FoundSessions } from "./pg-session-store.ts";
export type {
  UserSession,
  UserSessionPage,
  UserSessionsOptions,
  RevokeUserSessionsOptions,
  FindSessionsQuery,
} from "../../store/user-sessions.ts";
export type { PgSessionStoreOptions } from "./adapter-options.ts";
export type { FrameworkSession, FrameworkCookie } from "./framework-types.ts";
export type { Logger } from "./logger.ts";
export type { Callback } from "./callback.ts";
export type { HashIdsOption } from "./id-hasher.ts";
export type { LockedSession, LockedSessionOptions } from "./locked-unit.ts";
export type { ReadThroughOption } from "../../migration/read-through.ts";
export type * from "../../observability/public-types.ts";
