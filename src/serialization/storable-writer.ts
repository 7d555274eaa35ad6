import { maxDepth } from "./inspect-data.ts";
import type { KeyPath, PathStep } from "./key-path.ts";
import { LG_SCALAR, netorderMajorByte, SHV_K_UTF8, SX, writeMinor } from "./storable-codes.ts";
import { ownDataKeys } from "./own-data-keys.ts";
import { UnsupportedValueError } from "./unsupported-value-error.ts";

const ascii = /^[\x00-\x7f]*$/;
const loneSurrogate = /\p{Cs}/u;
const int32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const int64 = { min: -(2n ** 63n), max: 2n ** 64n - 1n }; // IV and UV together
const maxLength = 2 ** 31 - 1; // beyond it Storable needs SX_LOBJECT

const at = (parent: KeyPath | undefined, step: PathStep): KeyPath => ({ parent, step });

/**
 * Writes session data as Storable's `nfreeze` would write the Perl data it maps to, byte for byte
 * (keys in insertion order, as nfreeze without `$Storable::canonical` writes them in hash order).
 * Objects become hashes, arrays arrays, an object or array reached again a reference to the same Perl
 * container (cycles included), strings plain or UTF-8 flagged, 32-bit integers integers, other numbers
 * and bigints within 64 bits their decimal text (nfreeze's own form for doubles and 64-bit integers),
 * booleans 1 and 0, null and undefined undef. Anything else is refused with its key path.
 * @throws UnsupportedValueError
 */
export function nfreezeStorable(data: unknown): Uint8Array {
  return new StorableWriter().writeImage(data);
}

class StorableWriter {
  #bytes = new Uint8Array(256);
  #view = new DataView(this.#bytes.buffer);
  #length = 0;
  /** Storable's tag of each container written so far; every SV written (not SX_OBJECT) takes the next. */
  readonly #tags = new Map<object, number>();
  #nextTag = 0;

  writeImage(data: unknown): Uint8Array {
    this.#byte(netorderMajorByte);
    this.#byte(writeMinor);
    if (typeof data !== "object" || data === null || !isContainer(data)) {
      throw new UnsupportedValueError(undefined, "nfreeze stores a hash or an array: the session must be a plain object");
    }
    this.#container(data, undefined, 0);
    return this.#bytes.subarray(0, this.#length);
  }

  #value(value: unknown, path: KeyPath, depth: number): void {
    switch (typeof value) {
      case "string":
        return this.#string(value, path);
      case "number":
        return this.#number(value, path);
      case "bigint":
        return this.#bigint(value, path);
      case "boolean":
        // Not PL_sv_yes / PL_sv_no: thawed, those are read-only, and `$session{flag} = 0` would die in Perl.
        return this.#integer(value ? 1 : 0);
      case "undefined":
        return this.#scalarCode(SX.UNDEF);
      case "symbol":
        throw new UnsupportedValueError(path, "a symbol has no Perl equivalent");
      case "function":
        throw new UnsupportedValueError(path, "a function has no stored form");
    }
    if (value === null) return this.#scalarCode(SX.UNDEF);
    const object = value as object;
    if (!isContainer(object)) throw new UnsupportedValueError(path, refusal(object));
    this.#scalarCode(SX.REF);
    const tag = this.#tags.get(object);
    if (tag === undefined) return this.#container(object, path, depth + 1);
    this.#byte(SX.OBJECT);
    this.#i32(tag);
  }

  #container(object: object, path: KeyPath | undefined, depth: number): void {
    if (depth > maxDepth) throw new UnsupportedValueError(path, `data nested more than ${maxDepth} levels deep is refused`);
    this.#tags.set(object, this.#nextTag++);
    if (Array.isArray(object)) return this.#array(object, path, depth);
    const keys = ownDataKeys(object, path);
    const flagged = !keys.every((key) => ascii.test(key));
    this.#byte(flagged ? SX.FLAG_HASH : SX.HASH);
    if (flagged) this.#byte(0);
    this.#i32(keys.length);
    for (const key of keys) {
      const keyPath = at(path, { kind: "key", key });
      this.#value((object as Record<string, unknown>)[key], keyPath, depth);
      const utf8 = !ascii.test(key);
      if (flagged) this.#byte(utf8 ? SHV_K_UTF8 : 0);
      if (utf8 && loneSurrogate.test(key))
        throw new UnsupportedValueError(keyPath, "a key with a lone surrogate is not text Perl can read");
      this.#sizedBytes(Buffer.from(key, utf8 ? "utf8" : "latin1"), keyPath);
    }
  }

  #array(array: unknown[], path: KeyPath | undefined, depth: number): void {
    if (Reflect.ownKeys(array).length !== array.length + 1) {
      const extra = Reflect.ownKeys(array).find((key) => key !== "length" && (typeof key === "symbol" || !/^(0|[1-9]\d*)$/.test(key)));
      if (extra !== undefined) throw new UnsupportedValueError(path, `the array property ${String(extra)} would be dropped`);
    }
    this.#byte(SX.ARRAY);
    this.#i32(array.length);
    for (let i = 0; i < array.length; i++) {
      const itemPath = at(path, { kind: "index", index: i });
      if (!Object.hasOwn(array, i)) throw new UnsupportedValueError(itemPath, "a hole in a sparse array: fill it (with null)");
      this.#value(array[i], itemPath, depth);
    }
  }

  #string(text: string, path: KeyPath): void {
    if (ascii.test(text)) return this.#plainString(text, path);
    if (loneSurrogate.test(text)) throw new UnsupportedValueError(path, "a string with a lone surrogate is not text Perl can read");
    this.#scalar(Buffer.from(text, "utf8"), SX.UTF8STR, SX.LUTF8STR, path);
  }

  /** An ASCII string (text written for a number too): no UTF-8 flag, as Perl writes it. */
  #plainString(text: string, path: KeyPath): void {
    this.#scalar(Buffer.from(text, "latin1"), SX.SCALAR, SX.LSCALAR, path);
  }

  /** A string's bytes with the short code (one length byte) or the long one (a 32-bit length). */
  #scalar(bytes: Uint8Array, shortCode: number, longCode: number, path: KeyPath): void {
    this.#tagged();
    if (bytes.length <= LG_SCALAR) {
      this.#byte(shortCode);
      this.#byte(bytes.length);
      this.#raw(bytes);
    } else {
      this.#byte(longCode);
      this.#sizedBytes(bytes, path);
    }
  }

  #number(value: number, path: KeyPath): void {
    if (Number.isInteger(value) && value >= int32.min && value <= int32.max && !Object.is(value, -0)) return this.#integer(value);
    if (!Number.isFinite(value) || Object.is(value, -0)) {
      throw new UnsupportedValueError(
        path,
        `${Object.is(value, -0) ? "-0" : String(value)} is not kept by nfreeze (it writes "NaN", "Inf", 0): store null or a string`,
      );
    }
    // nfreeze writes a Perl double (and an integer beyond 32 bits) as its decimal text; so do we.
    this.#plainString(String(value), path);
  }

  #bigint(value: bigint, path: KeyPath): void {
    if (value >= BigInt(int32.min) && value <= BigInt(int32.max)) return this.#integer(Number(value));
    if (value < int64.min || value > int64.max)
      throw new UnsupportedValueError(path, `${value} does not fit Perl's 64-bit integers: store it as a string`);
    this.#plainString(value.toString(), path);
  }

  #integer(value: number): void {
    this.#tagged();
    if (value >= -128 && value <= 127) {
      this.#byte(SX.BYTE);
      this.#byte(value + 128);
    } else {
      this.#byte(SX.NETINT);
      this.#i32(value);
    }
  }

  #scalarCode(code: number): void {
    this.#tagged();
    this.#byte(code);
  }

  #tagged(): void {
    this.#nextTag++;
  }

  #sizedBytes(bytes: Uint8Array, path: KeyPath): void {
    if (bytes.length > maxLength)
      throw new UnsupportedValueError(path, "2 GiB or more needs Storable's large-object form, which is not written");
    this.#i32(bytes.length);
    this.#raw(bytes);
  }

  #byte(value: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
  }

  #i32(value: number): void {
    this.#reserve(4);
    this.#view.setInt32(this.#length, value);
    this.#length += 4;
  }

  #raw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#bytes.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + extra));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }
}

/** A plain object (or one with a null prototype: to Perl, a hash either way) or an array. */
function isContainer(object: object): boolean {
  if (Array.isArray(object)) return true;
  const prototype: unknown = Object.getPrototypeOf(object);
  return prototype === Object.prototype || prototype === null;
}

function refusal(object: object): string {
  if (object instanceof Date) return "a Date has no Perl equivalent but a blessed object: store date.toISOString() or date.getTime()";
  if (object instanceof Map || object instanceof Set)
    return `a ${object.constructor.name} has no Perl equivalent: store a plain object or an array`;
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer)
    return "binary data has no Perl equivalent here: store a string (e.g. base64)";
  if (object instanceof RegExp) return "a RegExp has no Perl equivalent (thawing a Perl Regexp compiles it): store its source";
  const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
  const kind = typeof name === "string" && name !== "" ? name : "an unnamed class";
  return `an instance of ${kind} would need a blessed Perl object, which is refused: store plain data`;
}
