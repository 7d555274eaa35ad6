// The frameworks' types the adapter's declarations need, written out structurally: importing them from
// `express-session` would make every consumer's type check need `@types/express-session` (a fastify app
// has no reason to install it: TS2307). They are written so that express-session's `SessionData` and
// `Store` and @fastify/session's `Session` and `SessionStore` fit them, which the consumer tests in
// test/package/ check against the real packages.
import type { EventEmitter } from "node:events";

/** A session's cookie as express-session and @fastify/session keep it. */
export interface FrameworkCookie {
  originalMaxAge: number | null;
  maxAge?: number | undefined;
  expires?: Date | null | undefined;
  signed?: boolean | undefined;
  httpOnly?: boolean | undefined;
  path?: string | undefined;
  domain?: string | undefined;
  secure?: boolean | "auto" | undefined;
  sameSite?: boolean | "lax" | "strict" | "none" | undefined;
  partitioned?: boolean | undefined;
  priority?: "low" | "medium" | "high" | undefined;
}

/**
 * A session as the frameworks hand it to a store and get it back: its cookie and the app's own keys
 * (express-session's `SessionData`, @fastify/session's `Session`, both of which fit it).
 */
export interface FrameworkSession {
  cookie: FrameworkCookie;
  // `any`, not `unknown`: an index signature of `any` is the only one that interfaces such as an app's
  // augmented `SessionData` fit.
  [key: string]: any;
}

/**
 * What the adapter extends at run time: express-session's `Store` when express-session is installed,
 * else an `EventEmitter`. `regenerate`, `load` and `createSession` are express-session's own, present
 * only when it is installed (express-session is also their only caller); they are declared so that the
 * class fits `session({ store })`'s `Store`.
 */
export interface StoreBase extends EventEmitter {
  regenerate(req: object, callback: (err?: any) => any): void;
  load(sid: string, callback: (err: any, session?: FrameworkSession) => any): void;
  /** express-session's `Session & SessionData`, which only `@types/express-session` can name. */
  createSession(req: object, session: FrameworkSession): any;
}

export interface StoreBaseConstructor {
  new (): StoreBase;
}
