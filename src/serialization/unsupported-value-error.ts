import { formatKeyPath, type KeyPath } from "./key-path.ts";

/**
 * Raised inside a serializer for a value it would not store faithfully; `encode` turns it into a
 * CorruptPayloadError that carries the key path.
 */
export class UnsupportedValueError extends Error {
  override readonly name = "UnsupportedValueError";
  readonly keyPath: string;

  constructor(path: KeyPath | undefined, problem: string) {
    const keyPath = formatKeyPath(path);
    super(`${keyPath}: ${problem}`);
    this.keyPath = keyPath;
  }
}
