import type { Serializer } from "./serializer.ts";
import { StorableDataError } from "./storable-data-error.ts";
import { thawStorable } from "./storable-reader.ts";
import { nfreezeStorable } from "./storable-writer.ts";

const lineLength = 76;
const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * `Apache::Session::Serialize::Base64`, the serializer of `Apache::Session::Postgres`: Storable's
 * `nfreeze` of the session hash, then MIME::Base64's `encode_base64` (lines of 76 characters, each
 * ending in "\n"). What it writes Perl reads with `thaw(decode_base64(...))`, and the reverse; see
 * `nfreezeStorable` and `thawStorable` for the type mapping and what is refused.
 */
export const apacheSessionSerializer: Serializer = {
  serialize(data) {
    return encodeBase64Lines(nfreezeStorable(data));
  },
  deserialize(text) {
    return thawStorable(decodeBase64Lines(text));
  },
};

/** MIME::Base64's `encode_base64($bytes)`, byte for byte. */
export function encodeBase64Lines(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let lines = "";
  for (let i = 0; i < text.length; i += lineLength) lines += `${text.slice(i, i + lineLength)}\n`;
  return lines;
}

/** Base64 with line breaks; anything else (JSON, stray characters, a cut-off quantum) is malformed. */
export function decodeBase64Lines(text: string): Uint8Array {
  const compact = text.replace(/\r?\n/g, "");
  if (compact.length % 4 !== 0 || !base64.test(compact)) {
    throw new StorableDataError("malformed", 0, "the payload is not Base64 (Apache::Session::Serialize::Base64)");
  }
  return Buffer.from(compact, "base64");
}
