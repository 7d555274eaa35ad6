/**
 * Why Storable data cannot be read: it is `malformed` (truncated, a length beyond the data, an unknown
 * code, not network order), or it holds a Perl value with no safe JavaScript equivalent and is
 * `refused` (a blessed object, a code reference, a Storable hook, a tied or weak reference, a scalar
 * reference). Nothing of such data is returned; `decode` turns this into a CorruptPayloadError.
 */
export class StorableDataError extends Error {
  override readonly name = "StorableDataError";
  readonly reason: "malformed" | "refused";
  /** Byte offset in the Storable image (after Base64 decoding) where reading stopped. */
  readonly offset: number;

  constructor(reason: "malformed" | "refused", offset: number, problem: string) {
    super(`Storable data ${reason === "malformed" ? "is malformed" : "is refused"} at byte ${offset}: ${problem}`);
    this.reason = reason;
    this.offset = offset;
  }
}
