/**
 * Why an encrypted payload cannot be read:
 * - `plaintext`: it carries no `enc:` prefix and the serializer does not accept plaintext (`acceptPlaintext`);
 * - `malformed`: the prefix is there but the rest is not `enc:v1:<key id>:<base64url>` of at least a nonce and a tag (e.g. truncated);
 * - `unsupported-version`: a format version this library does not know (`enc:v2:...`);
 * - `unknown-key`: encrypted with a key id that is not in `keys`;
 * - `authentication`: AES-GCM's tag does not match: the text was altered or truncated, or the key with that id is not the one it was encrypted with.
 *
 * Nothing of such a payload is returned; `decode` turns this into a CorruptPayloadError (its `cause`).
 */
export class EncryptedPayloadError extends Error {
  override readonly name = "EncryptedPayloadError";
  readonly reason: "plaintext" | "malformed" | "unsupported-version" | "unknown-key" | "authentication";
  /** The key id the payload names, when it could be read. */
  readonly keyId: string | undefined;

  constructor(reason: EncryptedPayloadError["reason"], message: string, keyId?: string) {
    super(message);
    this.reason = reason;
    this.keyId = keyId;
  }
}
