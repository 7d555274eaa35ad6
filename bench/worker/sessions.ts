import { randomBytes } from "node:crypto";
import session, { type Cookie, type SessionData } from "express-session";

export const maxAgeMs = 86_400_000;

/** An id as express-session makes them (uid-safe, 24 bytes): 32 base64url characters. */
export function newSessionId(): string {
  return randomBytes(24).toString("base64url");
}

/** A small seeded PRNG (mulberry32), so every store sees the same sequence of operations. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type BenchSession = SessionData & Record<string, unknown>;

/**
 * A session as express-session hands it to a store: a real `Cookie` plus typical application data,
 * padded so its JSON is about `bytes` long.
 */
export function makeSession(index: number, bytes: number): BenchSession {
  // express-session's Cookie takes its options in the constructor (its typings say otherwise).
  const CookieWithOptions = session.Cookie as unknown as new (options: Partial<Cookie>) => Cookie;
  const cookie = new CookieWithOptions({ maxAge: maxAgeMs, httpOnly: true, path: "/", sameSite: "lax", secure: false });
  const data: BenchSession = {
    cookie,
    user: { id: 100_000 + index, name: `user ${index}`, email: `user${index}@example.com`, roles: ["reader", "writer"] },
    csrfToken: randomBytes(18).toString("base64url"),
    flash: [],
    views: 0,
    lastSeenAt: new Date(1_764_000_000_000 + index * 1000).toISOString(),
    blob: "",
  } as unknown as BenchSession;
  const missing = bytes - JSON.stringify(data).length;
  data["blob"] =
    missing > 0
      ? randomBytes(Math.ceil((missing * 3) / 4))
          .toString("base64")
          .slice(0, missing)
      : "";
  return data;
}

/** What express-session does on every request (`req.session.touch()`): expires = now + maxAge. */
export function refreshCookie(sess: BenchSession): void {
  sess.cookie.maxAge = sess.cookie.originalMaxAge ?? undefined;
}
