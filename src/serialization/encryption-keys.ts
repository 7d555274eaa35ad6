import { createSecretKey, type KeyObject } from "node:crypto";

/**
 * One AES-256 key of an encrypting serializer: `id` names it in every payload it encrypts (so it must
 * stay the same for as long as rows encrypted with it exist), `key` is exactly 32 bytes — a
 * `Uint8Array`/`Buffer`, 64 hex characters, or base64 / base64url (`openssl rand -base64 32`).
 */
export interface EncryptionKey {
  id: string;
  key: Uint8Array | string;
}

/** A validated key: its id and the secret as a KeyObject (the caller's bytes are copied, not kept). */
export interface ResolvedKey {
  readonly id: string;
  readonly secret: KeyObject;
}

/** Key ids: what may stand between the `:`s of a payload's header and in `id:key,id:key` lists. */
export const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;
const hexKey = /^[0-9a-fA-F]{64}$/;
const base64Key = /^[A-Za-z0-9+/]{43}=?$/;
const base64UrlKey = /^[A-Za-z0-9_-]{43}$/;
const keyLength = 32;

/**
 * Validates a key list (the first encrypts, every one decrypts). Messages name the key by its id and
 * never repeat key material.
 * @throws TypeError for a list that is not a non-empty array, a malformed or duplicate id, a key of the wrong type
 * @throws RangeError for a key that is not 32 bytes
 */
export function resolveKeys(keys: unknown): ResolvedKey[] {
  if (!Array.isArray(keys)) {
    throw new TypeError(`keys must be an array of { id, key } (the first encrypts, all decrypt), got ${describe(keys)}`);
  }
  if (keys.length === 0) {
    throw new TypeError("keys must list at least one { id, key }: the first encrypts, all of them decrypt");
  }
  const seen = new Set<string>();
  return keys.map((entry: unknown, index) => {
    if (typeof entry !== "object" || entry === null) {
      throw new TypeError(`keys[${index}] must be an object { id, key }, got ${describe(entry)}`);
    }
    const extra = Object.keys(entry).filter((name) => name !== "id" && name !== "key");
    if (extra.length > 0)
      throw new TypeError(
        `keys[${index}] has unknown propert${extra.length === 1 ? "y" : "ies"} ${extra.join(", ")}: expected { id, key }`,
      );
    const { id, key } = entry as { id?: unknown; key?: unknown };
    if (typeof id !== "string" || !keyIdPattern.test(id)) {
      throw new TypeError(
        `keys[${index}]: id must be 1 to 64 characters of letters, digits, ".", "_" and "-" (it is written into every payload), got ${typeof id === "string" ? JSON.stringify(id) : describe(id)}`,
      );
    }
    if (seen.has(id)) throw new TypeError(`key id ${JSON.stringify(id)} is listed twice: each id must name one key`);
    seen.add(id);
    return { id, secret: createSecretKey(keyBytes(id, key)) };
  });
}

/**
 * Reads keys from text such as an environment variable: `id:key` entries separated by commas (spaces
 * around them ignored), the first one encrypting, e.g. `2026-11:<base64 of 32 bytes>,2026-05:<...>`.
 * Each key is 64 hex characters or base64 / base64url of 32 bytes.
 *
 * ```ts
 * createEncryptingSerializer({ keys: parseEncryptionKeys(process.env.SESSION_ENCRYPTION_KEYS, "SESSION_ENCRYPTION_KEYS") })
 * ```
 * @param source what to call the text in error messages (e.g. the variable's name)
 * @throws TypeError / RangeError naming the entry (never its key)
 */
export function parseEncryptionKeys(text: string | undefined, source = "the key list"): EncryptionKey[] {
  if (typeof text !== "string" || text.trim() === "") {
    throw new TypeError(`${source} is ${text === undefined ? "not set" : "empty"}: expected id:key[,id:key...], the first key encrypting`);
  }
  const keys = text.split(",").map((entry, index) => {
    const trimmed = entry.trim();
    const colon = trimmed.indexOf(":");
    if (colon <= 0 || colon === trimmed.length - 1) {
      throw new TypeError(`${source}: entry ${index + 1} is not id:key (expected id:key[,id:key...], the first key encrypting)`);
    }
    return { id: trimmed.slice(0, colon), key: trimmed.slice(colon + 1) };
  });
  try {
    resolveKeys(keys); // validate now, so that errors name `source`
  } catch (error) {
    if (error instanceof RangeError) throw new RangeError(`${source}: ${error.message}`);
    if (error instanceof TypeError)
      throw new TypeError(`${source}: ${error.message.replace(/^keys\[(\d+)\]/, (_m, i: string) => `entry ${Number(i) + 1}`)}`);
    throw error;
  }
  return keys;
}

function keyBytes(id: string, key: unknown): Buffer {
  if (key instanceof Uint8Array) {
    if (key.byteLength !== keyLength)
      throw new RangeError(`key ${JSON.stringify(id)} is ${key.byteLength} bytes; AES-256 needs exactly ${keyLength}`);
    return Buffer.from(key); // a copy: later changes to the caller's buffer change nothing here
  }
  if (typeof key !== "string") {
    throw new TypeError(
      `key ${JSON.stringify(id)} must be a Uint8Array / Buffer of ${keyLength} bytes, or its hex or base64 text, got ${describe(key)}`,
    );
  }
  if (hexKey.test(key)) return Buffer.from(key, "hex");
  if (base64Key.test(key) || base64UrlKey.test(key)) {
    const bytes = Buffer.from(key, base64UrlKey.test(key) ? "base64url" : "base64");
    // 43 characters carry 2 bits beyond 32 bytes: they must be zero, or the text is not what it claims to be.
    if (bytes.length === keyLength && bytes.toString("base64url") === key.replace(/=$/, "").replaceAll("+", "-").replaceAll("/", "_"))
      return bytes;
  }
  throw new RangeError(
    `key ${JSON.stringify(id)} is not ${keyLength} bytes: give 64 hex characters or base64 / base64url of ${keyLength} bytes ` +
      `(44 characters with padding, e.g. from \`openssl rand -base64 32\`); got ${key.length} characters`,
  );
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}
