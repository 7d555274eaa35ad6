// The session cookie in express-session's format, so that an express app and a web app on one domain
// share one session: the value is `s:<id>.<signature>`, where the signature is HMAC-SHA256 of the id
// with the secret, base64 without padding (what the `cookie-signature` package computes), and the
// value is URL-encoded in the header (what the `cookie` package's serialize does by default). Signed
// with the first secret; verified against each, so secrets can be rotated.
import { createHmac, timingSafeEqual } from "node:crypto";
import { parse, serialize } from "cookie";

/** `SameSite` as the `cookie` package and the frameworks spell it. */
export type SameSite = "lax" | "strict" | "none" | boolean;

/**
 * The session cookie's attributes. `maxAge` is in **seconds**, as in `Set-Cookie`'s `Max-Age`, Hono's
 * and React Router's cookie options (express-session's `cookie.maxAge` is in milliseconds).
 */
export interface SessionCookieOptions {
  /**
   * Lifetime in seconds, counted again from every response that sets the cookie; the stored session
   * expires with it. Unset (and no `expires`): a browser-session cookie, kept server-side for `ttl`.
   * At most 400 days (34 560 000 s), which browsers cap cookies at; a larger value is refused as
   * probably milliseconds.
   */
  maxAge?: number | undefined;
  /** A fixed expiry date instead of `maxAge` (not both). */
  expires?: Date | undefined;
  /** @default true */
  httpOnly?: boolean | undefined;
  /** Send only over HTTPS. Set it in production. @default false */
  secure?: boolean | undefined;
  /** @default "lax" */
  sameSite?: SameSite | undefined;
  /** @default "/" */
  path?: string | undefined;
  domain?: string | undefined;
  partitioned?: boolean | undefined;
  priority?: "low" | "medium" | "high" | undefined;
}

/** The cookie settings after checking, with the name and the secrets. */
export interface SessionCookie {
  readonly name: string;
  /** The first signs; every one verifies. */
  readonly secrets: readonly string[];
  readonly maxAge: number | undefined;
  readonly expires: Date | undefined;
  readonly httpOnly: boolean;
  readonly secure: boolean;
  readonly sameSite: "lax" | "strict" | "none" | undefined;
  readonly path: string;
  readonly domain: string | undefined;
  readonly partitioned: boolean | undefined;
  readonly priority: "low" | "medium" | "high" | undefined;
}

/** express-session's default cookie name: the default here too, so the two apps share it as they are. */
const defaultCookieName = "connect.sid";

/** Browsers keep a cookie at most 400 days (RFC 6265bis), whatever Max-Age says. */
const maxCookieSeconds = 400 * 24 * 3600;

/**
 * A lifetime (seconds) as the cookie can carry it, for a row that must end with its cookie: whole
 * seconds, since `Max-Age` has no fractions (rounded down: under 1 s is 0, which ends the session), and
 * at most the 400 days browsers keep a cookie (past them the row could not be reached, yet would count
 * as live and not be pruned).
 */
export function cookieLifetimeSeconds(seconds: number): number {
  return Math.min(Math.floor(seconds), maxCookieSeconds);
}

const cookieOptionKeys = ["maxAge", "expires", "httpOnly", "secure", "sameSite", "path", "domain", "partitioned", "priority"];

/** Checks the cookie options; errors name the option. */
export function normalizeSessionCookie(
  name: string | undefined,
  secret: unknown,
  options: SessionCookieOptions & Record<string, unknown> = {},
  secretOption = "secret",
): SessionCookie {
  if (typeof options !== "object" || options === null) throw new TypeError("cookie options must be an object");
  const unknown = Object.keys(options).filter((key) => !cookieOptionKeys.includes(key) && options[key] !== undefined);
  if (unknown.length > 0) throw new TypeError(`Unknown cookie option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`);
  const secrets = typeof secret === "string" ? [secret] : secret;
  if (!Array.isArray(secrets) || secrets.length === 0 || !secrets.every((s) => typeof s === "string" && s.length > 0)) {
    throw new TypeError(`${secretOption} must be a non-empty string or a non-empty array of them (the first signs, every one verifies)`);
  }
  const cookieName = name ?? defaultCookieName;
  const { maxAge, expires } = options;
  if (maxAge !== undefined) {
    if (typeof maxAge !== "number" || !Number.isFinite(maxAge) || maxAge <= 0) {
      throw new RangeError(`cookie.maxAge must be a positive number of seconds, got ${String(maxAge)}`);
    }
    if (maxAge > maxCookieSeconds) {
      throw new RangeError(
        `cookie.maxAge is in seconds (as Set-Cookie's Max-Age); ${maxAge} is more than the 400 days browsers keep a cookie. ` +
          `Milliseconds (express-session's unit)? Then give ${Math.round(maxAge / 1000)}.`,
      );
    }
  }
  if (expires !== undefined && !(expires instanceof Date && !Number.isNaN(expires.getTime()))) {
    throw new TypeError("cookie.expires must be a valid Date");
  }
  if (maxAge !== undefined && expires !== undefined) throw new TypeError("Give cookie.maxAge or cookie.expires, not both");
  const sameSite = sameSiteOf(options.sameSite);
  const secure = options.secure ?? false;
  if (sameSite === "none" && secure !== true)
    throw new TypeError('cookie.sameSite "none" needs cookie.secure: true (browsers drop the cookie otherwise)');
  for (const key of ["httpOnly", "secure", "partitioned"] as const) {
    if (options[key] !== undefined && typeof options[key] !== "boolean") throw new TypeError(`cookie.${key} must be a boolean`);
  }
  const cookie: SessionCookie = {
    name: cookieName,
    secrets: [...secrets],
    maxAge,
    expires,
    httpOnly: options.httpOnly ?? true,
    secure,
    sameSite,
    path: options.path ?? "/",
    domain: options.domain,
    partitioned: options.partitioned,
    priority: options.priority,
  };
  // The name, path, domain and priority are checked by serializing once (the `cookie` package refuses
  // what a header cannot carry).
  serialize(cookie.name, "", attributesOf(cookie));
  return cookie;
}

function sameSiteOf(value: SameSite | undefined): SessionCookie["sameSite"] {
  if (value === undefined) return "lax";
  if (value === false) return undefined;
  if (value === true) return "strict";
  const lower = typeof value === "string" ? value.toLowerCase() : value;
  if (lower === "lax" || lower === "strict" || lower === "none") return lower;
  throw new TypeError(`cookie.sameSite must be "lax", "strict", "none", true or false, got ${String(value)}`);
}

/** The attributes every Set-Cookie of this cookie carries (not its lifetime). */
function attributesOf(cookie: SessionCookie) {
  return {
    path: cookie.path,
    domain: cookie.domain,
    httpOnly: cookie.httpOnly,
    secure: cookie.secure,
    sameSite: cookie.sameSite,
    partitioned: cookie.partitioned,
    priority: cookie.priority,
  };
}

/** `cookie-signature`'s `sign`: `<value>.<base64 HMAC-SHA256, no padding>`. */
function sign(value: string, secret: string): string {
  return `${value}.${createHmac("sha256", secret).update(value).digest("base64").replace(/=+$/, "")}`;
}

/** `cookie-signature`'s `unsign`: the value, or undefined when no secret made this signature. Constant time. */
function unsign(input: string, secrets: readonly string[]): string | undefined {
  const dot = input.lastIndexOf(".");
  if (dot < 0) return undefined;
  const value = input.slice(0, dot);
  const given = Buffer.from(input);
  for (const secret of secrets) {
    const expected = Buffer.from(sign(value, secret));
    if (expected.length === given.length && timingSafeEqual(expected, given)) return value;
  }
  return undefined;
}

/** The signed cookie value express-session sets for `id`: `s:<id>.<signature>` (URL-encoded by serialize). */
export function signSessionId(id: string, secret: string): string {
  return `s:${sign(id, secret)}`;
}

/**
 * The session id a `Cookie` header carries, verified; `undefined` when there is no such cookie or it
 * is not one of ours (unsigned, signed with another secret, malformed). Only the first cookie of the
 * name counts, as in express-session. Never throws on input.
 */
export function readSessionId(header: string | null | undefined, cookie: SessionCookie): string | undefined {
  if (typeof header !== "string" || header === "") return undefined;
  // Cookie headers are small; a huge one is not a browser's, and parsing it would cost for nothing.
  if (header.length > 64 * 1024) return undefined;
  const raw = parse(header)[cookie.name];
  if (raw === undefined || !raw.startsWith("s:")) return undefined;
  return unsign(raw.slice(2), cookie.secrets);
}

/** Per-response overrides of the lifetime (React Router's `commitSession(session, { maxAge })`). */
export interface LifetimeOverride {
  maxAge?: number | undefined;
  expires?: Date | undefined;
}

/**
 * The `Set-Cookie` value giving the browser session `id`: signed with the first secret, with the
 * cookie's attributes; `maxAge` writes both `Max-Age` and `Expires` (as express-session writes `Expires`).
 */
export function sessionSetCookie(cookie: SessionCookie, id: string, now: number, override: LifetimeOverride = {}): string {
  const maxAge = override.maxAge ?? (override.expires === undefined ? cookie.maxAge : undefined);
  const expires = maxAge !== undefined ? new Date(now + maxAge * 1000) : (override.expires ?? cookie.expires);
  return serialize(cookie.name, signSessionId(id, cookie.secrets[0]!), {
    ...attributesOf(cookie),
    ...(maxAge === undefined ? {} : { maxAge: Math.floor(maxAge) }),
    ...(expires === undefined ? {} : { expires }),
  });
}

/** The `Set-Cookie` value that removes the session cookie from the browser. */
export function clearingSetCookie(cookie: SessionCookie): string {
  return serialize(cookie.name, "", { ...attributesOf(cookie), maxAge: 0, expires: new Date(0) });
}

/**
 * The cookie as express-session stores it in the session (`cookie` field of the row): what an express
 * app reading the row expects (`originalMaxAge` in milliseconds; `expires` is kept in `expires_at`).
 * Only attributes that are set are written.
 */
export function storedCookie(cookie: SessionCookie, expiresAt: Date | null): Record<string, unknown> {
  const stored: Record<string, unknown> = { originalMaxAge: cookie.maxAge === undefined ? null : cookie.maxAge * 1000 };
  if (cookie.partitioned !== undefined) stored["partitioned"] = cookie.partitioned;
  if (cookie.priority !== undefined) stored["priority"] = cookie.priority;
  stored["expires"] = expiresAt;
  stored["secure"] = cookie.secure;
  stored["httpOnly"] = cookie.httpOnly;
  if (cookie.domain !== undefined) stored["domain"] = cookie.domain;
  stored["path"] = cookie.path;
  if (cookie.sameSite !== undefined) stored["sameSite"] = cookie.sameSite;
  return stored;
}
