import { maxDepth } from "./inspect-data.ts";
import {
  netorderMajorByte,
  readMinor,
  SHV_K_ISSV,
  SHV_K_LOCKED,
  SHV_K_PLACEHOLDER,
  SHV_K_UTF8,
  SHV_K_WASUTF8,
  SHV_RESTRICTED,
  SX,
} from "./storable-codes.ts";
import { StorableDataError } from "./storable-data-error.ts";

/** What a tag stands for: Storable tags every SV it stores, in pre-order; SX_OBJECT names one by tag. */
type Kind = "scalar" | "container" | "ref";
interface Item {
  kind: Kind;
  value: unknown;
}

/** A reference whose referent is still being read: only a reference to a reference can point back at it. */
const unresolved: Item = { kind: "ref", value: undefined };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const refusedCodes = new Map<number, string>([
  [SX.TIED_ARRAY, "a tied array"],
  [SX.TIED_HASH, "a tied hash"],
  [SX.TIED_SCALAR, "a tied scalar"],
  [SX.TIED_KEY, "a tied hash element"],
  [SX.TIED_IDX, "a tied array element"],
  [SX.IX_BLESS, "a blessed object"],
  [SX.HOOK, "an object frozen by its STORABLE_freeze hook (thawing it runs the class's code)"],
  [SX.OVERLOAD, "a reference to an object with overloaded operators"],
  [SX.CODE, "a code reference (Perl source that thaw would eval)"],
  [SX.WEAKREF, "a weak reference"],
  [SX.WEAKOVERLOAD, "a weak reference to an object with overloaded operators"],
  [SX.VSTRING, "a v-string"],
  [SX.LVSTRING, "a v-string"],
  [SX.REGEXP, "a compiled regular expression"],
  [SX.LOBJECT, "a string, array or hash of 2 GiB or more"],
]);

/**
 * Reads what Storable's `nfreeze` wrote (the bytes, not Base64) into plain JavaScript data: hashes
 * become objects (keys set with defineProperty: a `__proto__` key is an own key, never a prototype),
 * arrays arrays, references the object or array they point to (one object for each Perl container,
 * so shared and cyclic references stay shared), strings strings, integers numbers, undef null and
 * Perl's booleans booleans. Everything else is refused whole.
 * @throws StorableDataError
 */
export function thawStorable(image: Uint8Array): unknown {
  return new StorableReader(image).readImage();
}

class StorableReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;
  readonly #seen: Item[] = [];

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  readImage(): unknown {
    const major = this.#byte();
    if (major !== netorderMajorByte) {
      throw this.#malformed(
        major === 0x04
          ? "a native-order image (freeze): Apache::Session writes nfreeze"
          : `not a Storable network-order header (0x${major.toString(16)})`,
      );
    }
    const minor = this.#byte();
    if (minor > readMinor) throw this.#malformed(`Storable format 2.${minor} is newer than 2.${readMinor}`);
    const top = this.#item(0);
    if (top.kind !== "container") throw this.#refused("the image holds no hash or array (a scalar or a reference to a reference)");
    if (this.#offset !== this.#bytes.length) throw this.#malformed(`${this.#bytes.length - this.#offset} bytes after the data`);
    return top.value;
  }

  /** One stored SV at nesting `depth`: a scalar, a container (hash, array) or a reference. */
  #item(depth: number): Item {
    const at = this.#offset;
    const code = this.#byte();
    switch (code) {
      case SX.OBJECT: {
        const tag = this.#i32();
        const item = this.#seen[tag];
        if (tag < 0 || item === undefined) throw this.#malformed(`back-reference to tag ${tag}, which is not stored before it`, at);
        if (item === unresolved) throw this.#refused("a reference to a reference", at);
        return item;
      }
      case SX.REF: {
        // A reference to a reference is refused (below) before it is read: a long chain of them would
        // otherwise be read recursively, one stack frame per link, deeper than any stack.
        if (this.#bytes[this.#offset] === SX.REF) throw this.#refused("a reference to a reference", at);
        const tag = this.#tag(unresolved);
        const referent = this.#item(depth);
        if (referent.kind !== "container")
          throw this.#refused(`a reference to ${referent.kind === "ref" ? "a reference" : "a scalar"}`, at);
        return (this.#seen[tag] = { kind: "ref", value: referent.value });
      }
      case SX.HASH:
      case SX.FLAG_HASH:
        return this.#hash(code === SX.FLAG_HASH, depth);
      case SX.ARRAY:
        return this.#array(depth);
      case SX.SCALAR:
        return this.#scalar(this.#latin1(this.#byte()));
      case SX.LSCALAR:
        return this.#scalar(this.#latin1(this.#length()));
      case SX.UTF8STR:
        return this.#scalar(this.#utf8(this.#byte()));
      case SX.LUTF8STR:
        return this.#scalar(this.#utf8(this.#length()));
      case SX.BYTE:
        return this.#scalar(this.#byte() - 128);
      case SX.NETINT:
        return this.#scalar(this.#i32());
      case SX.UNDEF:
      case SX.SV_UNDEF:
      case SX.SVUNDEF_ELEM:
        return this.#scalar(null);
      case SX.SV_YES:
      case SX.BOOLEAN_TRUE:
        return this.#scalar(true);
      case SX.SV_NO:
      case SX.BOOLEAN_FALSE:
        return this.#scalar(false);
      case SX.INTEGER:
      case SX.DOUBLE:
        throw this.#malformed("a native-order number, which nfreeze never writes", at);
      case SX.BLESS: {
        const length = this.#byte();
        const name = this.#latin1(length & 0x80 ? this.#length() : length);
        throw this.#refused(`an object blessed into ${name}`, at);
      }
    }
    const refused = refusedCodes.get(code);
    if (refused !== undefined) throw this.#refused(refused, at);
    throw this.#malformed(`unknown type code ${code}`, at);
  }

  #hash(flagged: boolean, depth: number): Item {
    const at = this.#offset - 1;
    const hashFlags = flagged ? this.#byte() : 0;
    if (hashFlags & SHV_RESTRICTED) throw this.#refused("a restricted hash (Hash::Util::lock_keys)", at);
    if (hashFlags !== 0) throw this.#malformed(`unknown hash flags 0x${hashFlags.toString(16)}`, at);
    // Each entry takes at least a value code and a key length: a larger count is a lie, refused before looping.
    const size = this.#count(flagged ? 6 : 5);
    const hash: Record<string, unknown> = {};
    const item = this.#container(hash, depth);
    for (let i = 0; i < size; i++) {
      const value = this.#element(depth);
      const keyFlags = flagged ? this.#byte() : 0;
      if (keyFlags & (SHV_K_LOCKED | SHV_K_PLACEHOLDER)) throw this.#refused("a locked key of a restricted hash");
      if (keyFlags & SHV_K_ISSV) throw this.#refused("a hash key stored as an SV");
      if (keyFlags & ~(SHV_K_UTF8 | SHV_K_WASUTF8)) throw this.#malformed(`unknown key flags 0x${keyFlags.toString(16)}`);
      const length = this.#length();
      const key = keyFlags & SHV_K_UTF8 ? this.#utf8(length) : this.#latin1(length);
      // defineProperty: `__proto__` (or any key) from the data is an own property, never a setter call.
      Object.defineProperty(hash, key, { value, writable: true, enumerable: true, configurable: true });
    }
    return item;
  }

  #array(depth: number): Item {
    const size = this.#count(1);
    const array: unknown[] = [];
    const item = this.#container(array, depth);
    for (let i = 0; i < size; i++) array.push(this.#element(depth));
    return item;
  }

  /** A hash value or array element: a scalar or a reference (a bare hash or array is never an element). */
  #element(depth: number): unknown {
    const at = this.#offset;
    const item = this.#item(depth + 1);
    if (item.kind === "container") throw this.#malformed("a hash or array in place of a scalar", at);
    return item.value;
  }

  #container(value: object, depth: number): Item {
    if (depth > maxDepth) throw new StorableDataError("refused", this.#offset, `data nested more than ${maxDepth} levels deep`);
    const item: Item = { kind: "container", value };
    this.#tag(item);
    return item;
  }

  #scalar(value: unknown): Item {
    const item: Item = { kind: "scalar", value };
    this.#tag(item);
    return item;
  }

  #tag(item: Item): number {
    return this.#seen.push(item) - 1;
  }

  #byte(): number {
    this.#need(1);
    return this.#bytes[this.#offset++]!;
  }

  #i32(): number {
    this.#need(4);
    const value = this.#view.getInt32(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** A length (I32): never negative, never beyond the bytes left. */
  #length(): number {
    const length = this.#i32();
    if (length < 0) throw this.#malformed(`negative length ${length}`, this.#offset - 4);
    this.#need(length);
    return length;
  }

  /** A hash or array size, checked against the least space `bytesEach` entries would take. */
  #count(bytesEach: number): number {
    const size = this.#i32();
    if (size < 0 || size * bytesEach > this.#bytes.length - this.#offset) {
      throw this.#malformed(`${size} entries cannot fit in the ${this.#bytes.length - this.#offset} bytes left`, this.#offset - 4);
    }
    return size;
  }

  #take(length: number): Uint8Array {
    this.#need(length);
    const bytes = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return bytes;
  }

  /** A string without Perl's UTF-8 flag: one character per byte, as Perl itself reads it. */
  #latin1(length: number): string {
    return Buffer.from(this.#take(length)).toString("latin1");
  }

  #utf8(length: number): string {
    const at = this.#offset;
    try {
      return utf8.decode(this.#take(length));
    } catch {
      throw this.#malformed("a UTF-8 flagged string that is not valid UTF-8 (or holds surrogates)", at);
    }
  }

  #need(length: number): void {
    if (this.#offset + length > this.#bytes.length)
      throw this.#malformed(`truncated: ${length} more bytes needed, ${this.#bytes.length - this.#offset} left`);
  }

  #malformed(problem: string, at = this.#offset): StorableDataError {
    return new StorableDataError("malformed", at, problem);
  }

  #refused(problem: string, at = this.#offset): StorableDataError {
    return new StorableDataError("refused", at, `${problem}: no safe JavaScript equivalent`);
  }
}
