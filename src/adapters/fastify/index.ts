// `prisma-pg-session/fastify`: the @fastify/session store. It is the express-session adapter's class,
// which fits @fastify/session's `SessionStore` as well; this entry lets a fastify app say what it uses
// and compile without `@types/express-session` (nor express-session itself: without it the store
// extends a plain EventEmitter).
//
//   await app.register(fastifySession, { secret, store: new PgSessionStore({ datasourceUrl }) });
export * from "../express-session/store-exports.ts";
export { lockedSession, type FastifySessionRequest } from "./locked-session.ts";
