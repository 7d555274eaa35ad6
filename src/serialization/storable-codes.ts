// Storable's binary format, as Storable.xs (3.x) defines it. Only what `nfreeze` writes in network
// order concerns us: a two-byte header, then one value in pre-order, every length and integer big-endian.

/** `(STORABLE_BIN_MAJOR << 1) | 1`: major 2, network order. Native-order images start with 4 instead. */
export const netorderMajorByte = 0x05;
/** STORABLE_BIN_WRITE_MINOR of Storable 3.x: what Perl 5.36's Storable 3.26 writes. */
export const writeMinor = 11;
/** The newest minor we read: 12 adds SX_BOOLEAN_TRUE / SX_BOOLEAN_FALSE (Storable 3.32). */
export const readMinor = 12;

/** The SX_* type codes. */
export const SX = {
  OBJECT: 0, // already stored: a tag (I32) follows
  LSCALAR: 1, // string: I32 length, bytes
  ARRAY: 2, // I32 size, items
  HASH: 3, // I32 size, then (value, I32 key length, key bytes) per entry
  REF: 4, // reference: the referent follows
  UNDEF: 5,
  INTEGER: 6, // native IV: never in network order
  DOUBLE: 7, // native NV: never in network order
  BYTE: 8, // one byte: value + 128
  NETINT: 9, // I32
  SCALAR: 10, // string: one-byte length, bytes
  TIED_ARRAY: 11,
  TIED_HASH: 12,
  TIED_SCALAR: 13,
  SV_UNDEF: 14, // Perl's immortal PL_sv_undef
  SV_YES: 15, // PL_sv_yes (read-only in Perl once thawed)
  SV_NO: 16, // PL_sv_no (read-only in Perl once thawed)
  BLESS: 17,
  IX_BLESS: 18,
  HOOK: 19, // STORABLE_freeze / STORABLE_thaw: user code on thaw
  OVERLOAD: 20,
  TIED_KEY: 21,
  TIED_IDX: 22,
  UTF8STR: 23, // UTF-8 flagged string: one-byte length
  LUTF8STR: 24, // UTF-8 flagged string: I32 length
  FLAG_HASH: 25, // hash flags byte, I32 size, then (value, key flags byte, I32 key length, key) per entry
  CODE: 26, // a code reference as Perl source: eval'ed by thaw when allowed
  WEAKREF: 27,
  WEAKOVERLOAD: 28,
  VSTRING: 29,
  LVSTRING: 30,
  SVUNDEF_ELEM: 31, // an array slot that does not exist
  REGEXP: 32,
  LOBJECT: 33, // a string, array or hash of 2 GiB or more
  BOOLEAN_TRUE: 34,
  BOOLEAN_FALSE: 35,
} as const;

/** Flags of SX_FLAG_HASH: the hash's own (one byte before the size)... */
export const SHV_RESTRICTED = 0x01;
/** ...and each key's (one byte between value and key). */
export const SHV_K_UTF8 = 0x01;
export const SHV_K_WASUTF8 = 0x02;
export const SHV_K_LOCKED = 0x04;
export const SHV_K_ISSV = 0x08;
export const SHV_K_PLACEHOLDER = 0x10;

/** Strings up to this length use the one-byte length form (SX_SCALAR, SX_UTF8STR). */
export const LG_SCALAR = 255;
