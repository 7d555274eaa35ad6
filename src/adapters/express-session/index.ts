// `prisma-pg-session/express`: the express-session store (also an @fastify/session store, which
// `prisma-pg-session/fastify` re-exports). Its declarations import neither framework's types.
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
export { lockedSession, type ExpressSessionRequest } from "./locked-route.ts";
export type { LockedSession, LockedSessionOptions } from "./locked-unit.ts";
export { importSessions } from "./import-sessions.ts";
export type { ImportOptions, ImportSummary, ImportProgress, ImportCounts, InvalidSourceRow } from "../../migration/import-sessions.ts";
export type { ReadThroughOption } from "../../migration/read-through.ts";
export type { SourceStoreName } from "../../migration/source-format.ts";
export type * from "../../observability/public-types.ts";
