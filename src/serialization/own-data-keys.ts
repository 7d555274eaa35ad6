import type { KeyPath } from "./key-path.ts";
import { UnsupportedValueError } from "./unsupported-value-error.ts";

/** An object's own string keys, as JSON would write them; refuses symbol and non-enumerable keys, which would be dropped. */
export function ownDataKeys(object: object, path: KeyPath | undefined): string[] {
  const keys = Object.keys(object);
  const own = Reflect.ownKeys(object);
  if (own.length !== keys.length) {
    const hidden = own.find((key) => typeof key === "symbol" || !Object.prototype.propertyIsEnumerable.call(object, key))!;
    const what = typeof hidden === "symbol" ? `the symbol key ${String(hidden)}` : `the non-enumerable property ${JSON.stringify(hidden)}`;
    throw new UnsupportedValueError(path, `${what} would be dropped`);
  }
  return keys;
}
