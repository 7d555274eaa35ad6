// `lockedSession` for express-session: a locked read-modify-write of `req.session` in a route.
//
//   const locked = lockedSession(store);                    // the PgSessionStore given to session({ store })
//   app.post("/increment", async (req, res) => {
//     const count = await locked(req, (data) => (data.count = (data.count ?? 0) + 1));
//     res.json({ count });
//   });
import { SessionNotFoundError } from "../../errors/store-errors.ts";
import type { Callback } from "./callback.ts";
import {
  LockedUnits,
  type FrameworkBinding,
  type FrameworkSessionObject,
  type LockedSession,
  type LockedSessionOptions,
} from "./locked-unit.ts";
import type { PgSessionStore } from "./pg-session-store.ts";

/** What `lockedSession` reads of an express request: what express-session puts on it. */
export interface ExpressSessionRequest {
  session?: object | null | undefined;
  sessionID?: string | undefined;
  sessionStore?: unknown;
}

const noop = () => {};

const expressBinding: FrameworkBinding = {
  sessionName: "req.session",
  sessionOf(request, store) {
    const req = request as ExpressSessionRequest;
    const session = req.session as FrameworkSessionObject | null | undefined;
    if (session === undefined || session === null) {
      // express-session deletes req.session on destroy() and keeps req.sessionID.
      if (req.sessionStore === store && typeof req.sessionID === "string") {
        throw new SessionNotFoundError("req.session was destroyed earlier in this request", { table: store.store.tableName });
      }
      throw new TypeError(
        "req.session is missing: mount express-session with this store (session({ store })) before the route, on a path its cookie covers",
      );
    }
    if (req.sessionStore !== store) {
      throw new TypeError("req.session belongs to another store: give lockedSession the PgSessionStore that session({ store }) uses");
    }
    if (typeof session.save !== "function") throw new TypeError("req.session is not an express-session session");
    return session;
  },
  currentSession: (request) => (request as ExpressSessionRequest).session,
  // express-session keeps its "modified" hash in a closure.
  modifiedSinceLoad: () => undefined,
  // The id its save() writes under (`this.id`), which is req.sessionID.
  idOf: (session) => session["id"],
  save: (session) => new Promise<void>((resolve, reject) => void session.save((error: unknown) => (error ? reject(error) : resolve()))),
  // express-session's save(fn) answers with the session; with no callback it ignores the outcome.
  touchInstead(store, session, callback) {
    store.touch(session["id"] as string, session, (callback ?? noop) as Callback<void>);
    return session;
  },
};

/**
 * A locked read-modify-write of express-session sessions in routes: `locked(req, fn)` locks the
 * session's row (`SELECT ... FOR UPDATE`) for the life of `fn`, gives `fn` the session's stored data
 * (without the cookie, which stays the framework's), saves what `fn` changed, then makes `req.session`
 * equal to what was committed. Concurrent requests of one user each see the others' committed
 * changes: 20 concurrent increments end at 20, where `req.session.count++` ends at whatever the last
 * request to finish saw.
 *
 * - `req.session`'s end-of-request save cannot undo the unit: `req.session.save` is guarded so that it
 *   writes the session only if the route changed its data (not its cookie) after the unit (then as
 *   usual: unlocked, last writer wins); otherwise it only extends the expiry (the store's `touch`),
 *   whatever `resave` says.
 * - A new session (no row yet) is first saved by express-session's own `req.session.save()`, then
 *   locked. A session gone since the request read it (destroyed elsewhere, pruned) raises
 *   `SessionNotFoundError` and stays gone. Ids are validated before any SQL (`InvalidSessionIdError`).
 * - Inside `fn`, change `data`, not `req.session` (refused with a TypeError, nothing written). `data`
 *   cannot take `cookie` or keys of express-session's own (`id`, `save`...): `ReadOnlyFieldError`. After
 *   the unit, `data` stays readable and refuses writes (`SessionClosedError`). If `fn` throws, nothing
 *   is written and its error reaches you.
 * - Change `req.session` after the unit, not before it: the committed data replaces the request's copy.
 *   Changes made between two units of one request are refused by the second (TypeError; the
 *   framework saves them as usual); those made before the first unit cannot be seen (express-session
 *   keeps its "modified" hash private) and are replaced, except on a new session, whose first save
 *   writes them.
 *
 * The unit uses the store's own serializer and `hashIds`. The type parameter is the data's shape:
 * `lockedSession<{ count?: number }>(store)`.
 */
export function lockedSession<D extends object = Record<string, any>>(
  store: PgSessionStore,
  options: LockedSessionOptions = {},
): LockedSession<D, ExpressSessionRequest> {
  const units = new LockedUnits<D>(store, options, expressBinding);
  return (req, fn) => units.run(req, fn);
}
