// A session's lifetime, `ttl`, in seconds: a number, or a function of the session called on every write
// (connect-redis's `ttl`, which takes precedence over the cookie), so that one session can live longer
// than another ("remember me"). Shared by the adapters, the web core and the lifecycle API.

/** Longest lifetime a ttl function may give, in seconds (about 3,170 years): the expiry must be a date. */
export const maxTtlSeconds = 1e11;

/**
 * The lifetime, in seconds, that the ttl function `ttl` gives `session`: a finite number from 0 to
 * {@link maxTtlSeconds}. A function that gives anything else is the app's bug, reported before anything
 * is written. @throws TypeError (not a number), RangeError (negative, NaN, infinite, too large)
 */
export function ttlSecondsOf<S>(ttl: (session: S) => number, session: S, what = "ttl(session)"): number {
  const seconds: unknown = ttl(session);
  if (typeof seconds !== "number") {
    throw new TypeError(`${what} must return a number of seconds, got ${seconds === null ? "null" : typeof seconds}`);
  }
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > maxTtlSeconds) {
    throw new RangeError(`${what} must return a number of seconds from 0 to ${maxTtlSeconds}, got ${String(seconds)}`);
  }
  return seconds;
}
