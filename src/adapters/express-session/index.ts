export { PgSessionStore, type ListedSession } from "./pg-session-store.ts";
export type { PgSessionStoreOptions } from "./adapter-options.ts";
export type { Logger } from "./logger.ts";
export type { Callback } from "./callback.ts";
export type { HashIdsOption } from "./id-hasher.ts";
