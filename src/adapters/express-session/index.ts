// `prisma-pg-session/express`: the express-session store (also an @fastify/session store, which
// `prisma-pg-session/fastify` re-exports). Its declarations import neither framework's types.
export * from "./store-exports.ts";
export { lockedSession, type ExpressSessionRequest } from "./locked-route.ts";
export { importSessions } from "./import-sessions.ts";
export type { ImportOptions, ImportSummary, ImportProgress, ImportCounts, InvalidSourceRow } from "../../migration/import-sessions.ts";
export type { SourceStoreName } from "../../migration/source-format.ts";
