import { hash } from "node:crypto";
import { EncryptedPayloadError } from "./encrypted-payload-error.ts";
import { resolveKeys, type EncryptionKey } from "./encryption-keys.ts";
import { newNonce, PayloadCipher } from "./payload-cipher.ts";
import { withRowKey } from "./keyed-serializer.ts";
import { superjsonSerializer, type Serializer } from "./serializer.ts";

export { EncryptedPayloadError } from "./encrypted-payload-error.ts";
export { parseEncryptionKeys, type EncryptionKey } from "./encryption-keys.ts";

export interface EncryptingSerializerOptions {
  /**
   * The keys, each `{ id, key }` with a 32-byte key (Uint8Array, 64 hex characters, or base64). The
   * first encrypts every write; all of them decrypt. To rotate, put the new key first and keep the old
   * ones until `prisma-pg-session rekey` has moved every row. `parseEncryptionKeys` reads them from
   * an environment variable.
   */
  keys: readonly EncryptionKey[];
  /** What turns session data into the text that is encrypted, and back. @default superjsonSerializer */
  serializer?: Serializer;
  /**
   * Hand rows without the `enc:` prefix to `serializer` instead of refusing them: for a table that
   * still holds unencrypted sessions (writes are always encrypted). Turn it off once
   * `prisma-pg-session rekey --plaintext` has encrypted the rest. @default false
   */
  acceptPlaintext?: boolean;
  /**
   * Decrypted payloads remembered (a SHA-256 of their text and their nonce), so that writing back
   * unchanged data reproduces the stored ciphertext and the express/fastify adapter's write avoidance
   * keeps skipping unchanged sessions. The price: a session written with exactly the text of another
   * session this process read gets that session's ciphertext, so a database reader can see that the
   * two are equal. `0`: every write gets a fresh nonce (and the adapter rewrites unchanged sessions on
   * every fastify request, or express with `resave: true`). @default 10000
   */
  reuseCacheSize?: number;
}

const optionNames = new Set(["keys", "serializer", "acceptPlaintext", "reuseCacheSize"]);
// Distinct texts one data object was sealed as, kept per object (see `identity` below).
const textsPerObject = 8;

/**
 * Encryption at rest: wraps a serializer (superjson by default) so that the stored text is
 * `enc:v1:<key id>:<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>`, with a random 96-bit nonce for
 * every new text. Usable wherever a `serializer` is taken (SessionManager, PgSessionStore).
 *
 * A payload that cannot be decrypted — altered, truncated, an unknown key id, or plaintext without
 * `acceptPlaintext` — makes `deserialize` throw an {@link EncryptedPayloadError}, which the store turns
 * into a `CorruptPayloadError` whose `cause` it is. The session id is not part of what is
 * authenticated (the Serializer interface does not pass it): a payload copied to another row decrypts
 * there as that row's session.
 */
// A read remembered for its row: the stored key, then the text's digest.
const readKey = (key: string, digest: string) => `${key}\0${digest}`;

export function createEncryptingSerializer(options: EncryptingSerializerOptions): Serializer {
  if (typeof options !== "object" || options === null)
    throw new TypeError("createEncryptingSerializer needs options { keys, serializer?, acceptPlaintext? }");
  const unknown = Object.keys(options).filter((name) => !optionNames.has(name));
  if (unknown.length > 0) {
    throw new TypeError(
      `createEncryptingSerializer: unknown option${unknown.length === 1 ? "" : "s"} ${unknown.join(", ")} (expected keys, serializer, acceptPlaintext, reuseCacheSize)`,
    );
  }
  const cipher = new PayloadCipher(resolveKeys(options.keys));
  const inner = options.serializer ?? superjsonSerializer;
  if (typeof inner !== "object" || inner === null || typeof inner.serialize !== "function" || typeof inner.deserialize !== "function") {
    throw new TypeError("createEncryptingSerializer: serializer must have serialize and deserialize methods");
  }
  const acceptPlaintext = options.acceptPlaintext ?? false;
  if (typeof acceptPlaintext !== "boolean")
    throw new TypeError(`createEncryptingSerializer: acceptPlaintext must be a boolean, got ${typeof acceptPlaintext}`);
  const reuseCacheSize = options.reuseCacheSize ?? 10_000;
  if (!Number.isSafeInteger(reuseCacheSize) || reuseCacheSize < 0) {
    throw new RangeError(`createEncryptingSerializer: reuseCacheSize must be a whole number ≥ 0, got ${String(reuseCacheSize)}`);
  }

  // Re-sealing a text with the nonce it was sealed with before gives the same payload: that is what keeps
  // `serialize` of unchanged data stable, which callers compare (SessionManager decides "modified",
  // and whether a deleted session was changed, by comparing serialize() results of one data object;
  // the adapter skips writing back what it read). A nonce is reused only for a text whose SHA-256 (of its
  // UTF-8 bytes, the very bytes sealed) is that of the text it was made for, and for the same row: never
  // two different plaintexts under one nonce, and two sessions holding equal data never share a
  // ciphertext.
  //
  // `identity`: per data object, the texts it was sealed as. Exact for SessionManager, whatever the cache.
  const identity = new WeakMap<object, Map<string, Buffer>>();
  // `reads`: texts decrypted under the current key, by row and digest, least recently used first. For
  // the adapter, whose `set` serializes a new object holding what `get` read.
  const reads = new Map<string, Buffer>();

  const remember = (digest: string, nonce: Buffer) => {
    reads.delete(digest);
    reads.set(digest, nonce);
    if (reads.size > reuseCacheSize) reads.delete(reads.keys().next().value as string);
  };

  const serialize = (data: unknown, key: string): string => {
    const text = inner.serialize(data);
    if (typeof text !== "string") throw new TypeError(`the inner serializer returned ${typeof text}, not text`);
    const digest = hash("sha256", text, "base64");
    const seen = typeof data === "object" && data !== null ? identity.get(data) : undefined;
    const nonce = seen?.get(digest) ?? (key === "" ? undefined : reads.get(readKey(key, digest))) ?? newNonce();
    const payload = cipher.seal(text, nonce);
    if (typeof data === "object" && data !== null) {
      const texts = seen ?? new Map<string, Buffer>();
      if (seen === undefined) identity.set(data, texts);
      if (!texts.has(digest)) {
        texts.set(digest, nonce);
        if (texts.size > textsPerObject) texts.delete(texts.keys().next().value as string);
      }
    }
    return payload;
  };
  const deserialize = (text: string, key: string): unknown => {
    if (!PayloadCipher.isSealed(text)) {
      if (acceptPlaintext) return inner.deserialize(text);
      throw new EncryptedPayloadError(
        "plaintext",
        "payload is not encrypted (no enc: prefix); to read unencrypted sessions while migrating, set acceptPlaintext: true",
      );
    }
    const opened = cipher.open(text);
    if (reuseCacheSize > 0 && key !== "" && opened.keyId === cipher.currentKeyId)
      remember(readKey(key, hash("sha256", opened.text, "base64")), opened.nonce);
    return inner.deserialize(opened.text);
  };
  return withRowKey({ serialize: (data) => serialize(data, ""), deserialize: (text) => deserialize(text, "") }, { serialize, deserialize });
}
