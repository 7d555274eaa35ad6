import type { Context, MiddlewareHandler } from "hono";
import { WebSessions, type SessionValues, type WebSession, type WebSessionsOptions } from "../web/web-sessions.ts";

/** The context variables the middleware sets: `new Hono<SessionEnv<MyData>>()` types `c.get("session")`. */
export interface SessionEnv<D extends object = SessionValues> {
  Variables: {
    /** This request's session (its data, rotate, destroy, lock). */
    session: WebSession<D>;
    /** The sessions object the middleware uses (to commit or destroy by hand). */
    sessions: WebSessions<D>;
  };
}

/** The middleware's options: a {@link WebSessions} to use, or its options to make one. */
export type HonoSessionOptions<D extends object = SessionValues> = WebSessions<D> | WebSessionsOptions;

/**
 * Loads the request's session into `c.get("session")` before the handler and, after it, saves it and
 * appends its `Set-Cookie` to the response. When the handler failed (`c.error`), nothing is saved.
 * For a read-modify-write that concurrent requests must not lose, run it in
 * `await c.get("session").lock(async (session) => { ... })`.
 */
export function honoSession<D extends object = SessionValues>(options: HonoSessionOptions<D>): MiddlewareHandler<SessionEnv<D>> {
  const sessions = options instanceof WebSessions ? options : new WebSessions<D>(options);
  return async (c: Context<SessionEnv<D>>, next) => {
    const session = await sessions.load(c.req.raw);
    c.set("session", session);
    c.set("sessions", sessions);
    await next();
    // The handler threw: the request did not happen, as far as the session goes.
    if (c.error !== undefined) return;
    const setCookie = await sessions.commit(session);
    if (setCookie !== undefined) c.header("Set-Cookie", setCookie, { append: true });
  };
}
