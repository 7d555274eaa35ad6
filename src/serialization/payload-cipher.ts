import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { EncryptedPayloadError } from "./encrypted-payload-error.ts";
import { keyIdPattern, type ResolvedKey } from "./encryption-keys.ts";

/** What every encrypted payload starts with; neither JSON (`{`) nor Base64 (no `:`) can. */
const encryptedPrefix = "enc:";
const version = "v1";
const nonceLength = 12; // 96 bits, GCM's native nonce size
const tagLength = 16;
const base64Url = /^[A-Za-z0-9_-]*$/;
// `ignoreBOM`: a leading U+FEFF is part of the text (the default drops it, and the text opened would
// then not be the text sealed).
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A fresh random 96-bit nonce. */
export function newNonce(): Buffer {
  return randomBytes(nonceLength);
}

/** A payload opened: its text, the key id and the nonce it was sealed with. */
export interface OpenedPayload {
  text: string;
  keyId: string;
  nonce: Buffer;
}

/**
 * AES-256-GCM on payload text. A sealed payload is
 *
 *     enc:v1:<key id>:<base64url(nonce[12] ‖ ciphertext ‖ tag[16])>
 *
 * ASCII text (fits a `text` column, no NUL), the ciphertext as long as the UTF-8 of the text it hides.
 * The header `enc:v1:<key id>:` is the GCM additional data, so changing the version or the key id
 * fails authentication too. Nothing binds a payload to its row: the Serializer interface does not
 * tell the serializer which session it is writing.
 */
export class PayloadCipher {
  readonly #current: ResolvedKey;
  readonly #keys: ReadonlyMap<string, ResolvedKey>;
  // The current key's header, and it as GCM additional data: the same for every payload it seals.
  readonly #header: string;
  readonly #aad: Buffer;

  constructor(keys: readonly ResolvedKey[]) {
    if (keys[0] === undefined) throw new TypeError("PayloadCipher needs at least one key");
    this.#current = keys[0];
    this.#keys = new Map(keys.map((key) => [key.id, key]));
    this.#header = `${encryptedPrefix}${version}:${this.#current.id}:`;
    this.#aad = Buffer.from(this.#header, "latin1");
  }

  /** The id of the key new payloads are sealed with (the first). */
  get currentKeyId(): string {
    return this.#current.id;
  }

  /** Whether `payload` is in the encrypted format (says nothing about whether it can be opened). */
  static isSealed(payload: string): boolean {
    return payload.startsWith(encryptedPrefix);
  }

  /**
   * Encrypts `text` with the current key. `nonce` is for re-sealing the very same text with the nonce it
   * was sealed with before (which reproduces that payload, and reveals nothing new); anything else
   * gets a fresh random nonce.
   * @throws TypeError for text that is not well-formed UTF-16 (it would be altered by UTF-8 encoding)
   */
  seal(text: string, nonce: Buffer = newNonce()): string {
    if (nonce.length !== nonceLength) throw new RangeError(`a nonce is ${nonceLength} bytes`);
    if (!text.isWellFormed()) throw new TypeError("the text to encrypt holds unpaired surrogates, which UTF-8 cannot carry unaltered");
    const cipher = createCipheriv("aes-256-gcm", this.#current.secret, nonce, { authTagLength: tagLength });
    cipher.setAAD(this.#aad);
    const body = Buffer.concat([nonce, cipher.update(text, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return this.#header + body.toString("base64url");
  }

  /**
   * Decrypts a sealed payload with the key its header names.
   * @throws EncryptedPayloadError (`malformed`, `unsupported-version`, `unknown-key`, `authentication`)
   */
  open(payload: string): OpenedPayload {
    if (!PayloadCipher.isSealed(payload))
      throw new EncryptedPayloadError("malformed", `encrypted payload must start with ${encryptedPrefix}`);
    const versionEnd = payload.indexOf(":", encryptedPrefix.length);
    const payloadVersion = versionEnd < 0 ? undefined : payload.slice(encryptedPrefix.length, versionEnd);
    if (payloadVersion !== version) {
      if (payloadVersion !== undefined && /^v[0-9]{1,4}$/.test(payloadVersion)) {
        throw new EncryptedPayloadError(
          "unsupported-version",
          `encrypted payload is format ${payloadVersion}; this version of prisma-pg-session reads ${version}`,
        );
      }
      throw new EncryptedPayloadError("malformed", `encrypted payload has no format version after ${encryptedPrefix}`);
    }
    const idEnd = payload.indexOf(":", versionEnd + 1);
    if (idEnd < 0) throw new EncryptedPayloadError("malformed", "encrypted payload has no key id (truncated?)");
    const keyId = payload.slice(versionEnd + 1, idEnd);
    const key = this.#keys.get(keyId);
    if (key === undefined) {
      // The id is printed only if it looks like one (the header of a damaged payload could hold anything).
      const shown = keyIdPattern.test(keyId) ? JSON.stringify(keyId) : "(malformed)";
      throw new EncryptedPayloadError(
        "unknown-key",
        `encrypted payload names key id ${shown}, which is not among the configured keys`,
        shown === "(malformed)" ? undefined : keyId,
      );
    }
    const encoded = payload.slice(idEnd + 1);
    if (!base64Url.test(encoded) || encoded.length % 4 === 1) {
      throw new EncryptedPayloadError("malformed", "encrypted payload body is not base64url", keyId);
    }
    const body = Buffer.from(encoded, "base64url");
    if (body.length < nonceLength + tagLength) {
      throw new EncryptedPayloadError(
        "malformed",
        `encrypted payload body is ${body.length} bytes, shorter than a nonce and a tag (truncated?)`,
        keyId,
      );
    }
    const nonce = body.subarray(0, nonceLength);
    const decipher = createDecipheriv("aes-256-gcm", key.secret, nonce, { authTagLength: tagLength });
    decipher.setAAD(Buffer.from(payload.slice(0, idEnd + 1), "latin1"));
    decipher.setAuthTag(body.subarray(body.length - tagLength));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(body.subarray(nonceLength, body.length - tagLength)), decipher.final()]);
    } catch {
      throw new EncryptedPayloadError(
        "authentication",
        `encrypted payload under key ${JSON.stringify(keyId)} failed authentication: altered, truncated, or encrypted with another key of that id`,
        keyId,
      );
    }
    let text: string;
    try {
      text = utf8.decode(plain);
    } catch {
      // Authentic, so written by a sealer that was given such bytes: not something `seal` produces.
      throw new EncryptedPayloadError("malformed", "encrypted payload decrypts to bytes that are not UTF-8", keyId);
    }
    return { text, keyId, nonce: Buffer.from(nonce) };
  }
}
