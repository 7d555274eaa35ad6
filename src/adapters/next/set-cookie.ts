// The web core hands a `Set-Cookie` header value to its callers; Next.js sets cookies through
// `cookies().set(name, value, options)` instead. This turns one into the other. The header is the
// core's own (the `cookie` package's serialize), so every attribute it can write is known here: an
// attribute this does not know is a bug, reported rather than dropped.

/** `cookies().set`'s options, as Next.js documents them (`maxAge` in seconds). */
export interface NextCookieOptions {
  path?: string;
  domain?: string;
  maxAge?: number;
  expires?: Date;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "lax" | "strict" | "none";
  partitioned?: boolean;
  priority?: "low" | "medium" | "high";
}

/** A cookie to set: what `cookies().set(name, value, options)` takes. `value` is decoded (Next.js encodes it). */
export interface NextCookie {
  name: string;
  value: string;
  options: NextCookieOptions;
}

const sameSites = ["lax", "strict", "none"] as const;
const priorities = ["low", "medium", "high"] as const;

function oneOf<T extends string>(allowed: readonly T[], value: string, what: string): T {
  const lower = value.toLowerCase() as T;
  if (!allowed.includes(lower)) throw new Error(`Unexpected ${what} in the session's Set-Cookie: ${value}`);
  return lower;
}

/**
 * `cookies().set`'s arguments for a `Set-Cookie` value of the web core: the name, the value decoded
 * (as `cookies().set` encodes it again with `encodeURIComponent`, as the core's serialize did) and the
 * attributes. The value never appears in an error: it is a credential.
 */
export function parseSetCookie(header: string): NextCookie {
  const [pair = "", ...attributes] = header.split(";");
  const at = pair.indexOf("=");
  if (at <= 0) throw new Error("Unexpected session Set-Cookie: no name=value pair");
  const name = pair.slice(0, at).trim();
  const value = decodeURIComponent(pair.slice(at + 1).trim());
  const options: NextCookieOptions = {};
  for (const attribute of attributes) {
    const text = attribute.trim();
    if (text === "") continue;
    const eq = text.indexOf("=");
    const key = (eq < 0 ? text : text.slice(0, eq)).trim().toLowerCase();
    const arg = eq < 0 ? "" : text.slice(eq + 1).trim();
    switch (key) {
      case "path":
        options.path = arg;
        break;
      case "domain":
        options.domain = arg;
        break;
      case "max-age": {
        const seconds = Number(arg);
        if (!Number.isInteger(seconds)) throw new Error(`Unexpected Max-Age in the session's Set-Cookie: ${arg}`);
        options.maxAge = seconds;
        break;
      }
      case "expires": {
        const date = new Date(arg);
        if (Number.isNaN(date.getTime())) throw new Error(`Unexpected Expires in the session's Set-Cookie: ${arg}`);
        options.expires = date;
        break;
      }
      case "httponly":
        options.httpOnly = true;
        break;
      case "secure":
        options.secure = true;
        break;
      case "partitioned":
        options.partitioned = true;
        break;
      case "samesite":
        options.sameSite = oneOf(sameSites, arg, "SameSite");
        break;
      case "priority":
        options.priority = oneOf(priorities, arg, "Priority");
        break;
      default:
        throw new Error(`Unexpected attribute in the session's Set-Cookie: ${key}`);
    }
  }
  return { name, value, options };
}
