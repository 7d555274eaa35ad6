import { ttlSecondsOf } from "../../store/session-ttl.ts";
import type { FrameworkSession } from "./framework-types.ts";

/** The parts of an express-session / @fastify/session session the adapter reads. */
export interface SessionLike {
  cookie?: CookieLike | undefined;
  [key: string]: unknown;
}

interface CookieLike {
  expires?: Date | string | null | undefined;
  maxAge?: number | null | undefined;
  originalMaxAge?: number | null | undefined;
  toJSON?: () => Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * When the session ends, in ms since the epoch. A ttl function decides alone: its result for the session
 * from now (connect-redis's precedence). Otherwise the cookie's `expires`, else its `maxAge` (what is
 * left) or `originalMaxAge` from now, else `ttl` seconds from now. The frameworks' cookies always carry
 * `expires` when they have a max age; a plain `{ maxAge }` is what apps and other stores' tests pass.
 * @throws TypeError, RangeError when a ttl function gives no number of seconds ≥ 0
 */
export function expiryOf(session: SessionLike, now: number, ttl: number | ((session: FrameworkSession) => number)): number {
  if (typeof ttl === "function") return now + ttlSecondsOf(ttl, session as unknown as FrameworkSession) * 1000;
  const ttlSeconds = ttl;
  const cookie = session.cookie;
  if (cookie?.expires != null) {
    const at = new Date(cookie.expires).getTime();
    if (!Number.isNaN(at)) return at;
  }
  if (typeof cookie?.maxAge === "number" && Number.isFinite(cookie.maxAge)) return now + cookie.maxAge;
  if (typeof cookie?.originalMaxAge === "number") return now + cookie.originalMaxAge;
  return now + ttlSeconds * 1000;
}

/**
 * The session as plain data for the serializer: string keys only (the frameworks keep internals in
 * symbols), the cookie through its `toJSON`. superjson does not walk class instances, so this is what
 * lets Dates in user data survive. A cookie's `expires` is left out: it is stored in `expires_at`, so an
 * unchanged session serializes to the same text on every request (what write avoidance compares).
 */
export function toStoredSession(session: SessionLike): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  // defineProperty, not assignment: an own `__proto__` key must stay a key, not become the prototype.
  for (const key of Object.keys(session)) {
    Object.defineProperty(plain, key, { value: session[key], writable: true, enumerable: true, configurable: true });
  }
  const cookie = session.cookie;
  if (cookie !== undefined && cookie !== null && typeof cookie === "object") {
    const json: Record<string, unknown> = typeof cookie.toJSON === "function" ? { ...cookie.toJSON() } : { ...cookie };
    // A browser-session cookie (expires null) keeps its null, so it is not made persistent on load.
    if (json["expires"] != null) delete json["expires"];
    // @fastify/session derives `originalExpires` from `expires` when it restores a session: storing it
    // would change the text on every request for nothing.
    delete json["originalExpires"];
    // Unset cookie options (express-session's toJSON lists `secure`, `domain`, ... as undefined) are
    // left out: the frameworks treat absent and undefined alike, and without them the session is plain
    // JSON, which the serializer writes and reads without superjson's walk.
    for (const key of Object.keys(json)) if (json[key] === undefined) delete json[key];
    plain["cookie"] = json;
  }
  return plain;
}

/** The session as the frameworks expect it back: the cookie's `expires` restored from `expires_at`. */
export function fromStoredSession(data: Record<string, unknown>, expiresAt: Date | null): Record<string, unknown> {
  const cookie = data["cookie"];
  if (expiresAt !== null && typeof cookie === "object" && cookie !== null && !("expires" in cookie)) {
    (cookie as Record<string, unknown>)["expires"] = expiresAt;
  }
  return data;
}
