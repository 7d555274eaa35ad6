// `lockedSession` for @fastify/session: a locked read-modify-write of `request.session` in a route.
//
//   const locked = lockedSession(store);                    // the PgSessionStore given to fastifySession
//   app.post("/increment", async (request) => {
//     const count = await locked(request, (data) => (data.count = (data.count ?? 0) + 1));
//     return { count };
//   });
import { SessionNotFoundError } from "../../errors/store-errors.ts";
import {
  LockedUnits,
  type FrameworkBinding,
  type FrameworkSessionObject,
  type LockedSession,
  type LockedSessionOptions,
} from "../express-session/locked-unit.ts";
import type { PgSessionStore } from "../express-session/pg-session-store.ts";

/** What `lockedSession` reads of a fastify request: what @fastify/session puts on it. */
export interface FastifySessionRequest {
  session?: object | null | undefined;
  sessionStore?: unknown;
}

const fastifyBinding: FrameworkBinding = {
  sessionName: "request.session",
  sessionOf(request, store) {
    const { session, sessionStore } = request as FastifySessionRequest;
    // @fastify/session sets request.session to null on destroy().
    if (session === null && sessionStore === store) {
      throw new SessionNotFoundError("request.session was destroyed earlier in this request", { table: store.store.tableName });
    }
    if (typeof session !== "object" || session === null || typeof (session as { sessionId?: unknown }).sessionId !== "string") {
      throw new TypeError(
        "request.session is not a session: register @fastify/cookie and @fastify/session with this store before the route, on a path its cookie covers",
      );
    }
    if (sessionStore !== store) {
      throw new TypeError("request.session belongs to another store: give lockedSession the PgSessionStore that @fastify/session uses");
    }
    const framework = session as FrameworkSessionObject;
    if (typeof framework.save !== "function") throw new TypeError("request.session is not an @fastify/session session");
    return framework;
  },
  currentSession: (request) => (request as FastifySessionRequest).session,
  modifiedSinceLoad: (session) =>
    typeof session["isModified"] === "function" ? Boolean((session["isModified"] as () => unknown).call(session)) : undefined,
  idOf: (session) => session["sessionId"],
  save: async (session) => {
    await session.save();
  },
  // @fastify/session's save(callback) answers nothing; save() answers a promise.
  touchInstead(store, session, callback) {
    const sid = session["sessionId"] as string;
    if (callback === undefined) return store.touch(sid, session);
    store.touch(sid, session, callback);
    return undefined;
  },
};

/**
 * A locked read-modify-write of @fastify/session sessions in routes: `locked(request, fn)` locks the
 * session's row (`SELECT ... FOR UPDATE`) for the life of `fn`, gives `fn` the session's stored data
 * (without the cookie, which stays the framework's), saves what `fn` changed, then makes
 * `request.session` equal to what was committed. Concurrent requests of one user each see the others'
 * committed changes: 20 concurrent increments end at 20.
 *
 * - The end-of-request save (@fastify/session saves every request by default, `rolling`) cannot undo
 *   the unit: `request.session.save` is guarded so that it writes the session only if the route changed
 *   its data (not its cookie) after the unit (then as usual: unlocked, last writer wins); otherwise it
 *   only extends the expiry (the store's `touch`).
 * - A new session (no row yet) is first saved by @fastify/session's own `request.session.save()`, then
 *   locked. A session gone since the request read it (destroyed elsewhere, pruned) raises
 *   `SessionNotFoundError` and stays gone. Ids are validated before any SQL (`InvalidSessionIdError`).
 * - Inside `fn`, change `data`, not `request.session` (refused with a TypeError, nothing written).
 *   `data` cannot take `cookie` or names of the session object's own (`sessionId`, `save`, `get`...):
 *   `ReadOnlyFieldError`. After the unit, `data` stays readable and refuses writes
 *   (`SessionClosedError`). If `fn` throws, nothing is written and its error reaches you.
 * - Change `request.session` after the unit, not before it: the committed data replaces the request's
 *   copy, so unsaved changes made before a unit (`request.session.isModified()`, or made between two
 *   units) are refused with a TypeError (the framework saves them as usual), except on a new session,
 *   whose first save writes them.
 *
 * The unit uses the store's own serializer and `hashIds`. The type parameter is the data's shape:
 * `lockedSession<{ count?: number }>(store)`.
 */
export function lockedSession<D extends object = Record<string, any>>(
  store: PgSessionStore,
  options: LockedSessionOptions = {},
): LockedSession<D, FastifySessionRequest> {
  const units = new LockedUnits<D>(store, options, fastifyBinding);
  return (request, fn) => units.run(request, fn);
}
