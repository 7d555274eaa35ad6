import { createHash, createHmac } from "node:crypto";

/** `hashIds` option: `true` for SHA-256, or a secret for HMAC-SHA-256 (a dump alone then reveals nothing). */
export type HashIdsOption = boolean | { secret: string | Buffer };

/**
 * Maps a session id to the key stored in `id`. Hashed, a database dump holds no live session id (as
 * Rails does). 24 bytes of the digest in base64url are 32 characters: they fit `char(32)` and keep 192
 * bits, far beyond any id's own entropy. Lookups stay one indexed equality each.
 */
export function idHasher(option: HashIdsOption | undefined): ((sid: string) => string) | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return (sid) => createHash("sha256").update(sid).digest().subarray(0, 24).toString("base64url");
  if (
    typeof option !== "object" ||
    option === null ||
    (typeof option.secret !== "string" && !Buffer.isBuffer(option.secret)) ||
    option.secret.length === 0
  ) {
    throw new TypeError("hashIds must be true, false or { secret } with a non-empty secret");
  }
  const { secret } = option;
  return (sid) => createHmac("sha256", secret).update(sid).digest().subarray(0, 24).toString("base64url");
}
