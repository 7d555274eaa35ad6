// `prisma-pg-session/embedded`: an in-process PostgreSQL (PGlite) for demos, tests and local runs.
// Its own entry because it loads Prisma's generated client and PGlite.
export { openEmbeddedDatabase, type EmbeddedDatabase, type EmbeddedOptions } from "./embedded-database.ts";
