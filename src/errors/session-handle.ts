import { hash } from "node:crypto";

/**
 * The handle of a stored key: the first 128 bits of its SHA-256, in hex. What names a session wherever
 * the library reports one (errors, events, `userSessions()` listings, the CLI), so operators can
 * correlate, without handing out the id itself, which is a credential (user-statements.ts computes the
 * same in SQL from `id::text`; stored keys never end in spaces).
 */
export function sessionHandle(key: string): string {
  return hash("sha256", key, "hex").slice(0, 32);
}

// Ids shorter than this are not spelled out of messages (a few characters would match words); no
// session id of a real table is that short.
const shortest = 8;

/** `message` with every occurrence of `key` replaced by its handle. */
export function withoutKey(message: string, key: string | undefined): string {
  if (key === undefined || key.length < shortest || !message.includes(key)) return message;
  return message.split(key).join(`<session ${sessionHandle(key)}>`);
}
