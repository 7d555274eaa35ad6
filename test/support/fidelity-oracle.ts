import { Decimal } from "@prisma/client-runtime-utils";

// An independent statement of what the default serializer must refuse (README, "What a session can
// hold"): everything else must come back exactly. Written without looking at how the serializer decides.

const restorable = new Set<unknown>(
  [
    Object,
    Date,
    Map,
    Set,
    RegExp,
    URL,
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
  ].map((type) => type.prototype),
);

/** Whether storing `value` must fail with CorruptPayloadError because something in it would not come back exactly. */
export function mustRefuse(value: unknown): boolean {
  const seen = new Set<object>();
  // Each value with its depth: the session itself is at 0, its values at 1, and no value may be below 1000.
  const queue: Array<[unknown, number]> = [[value, 0]];
  const enqueue = (depth: number, ...items: unknown[]) => queue.push(...items.map((item): [unknown, number] => [item, depth + 1]));
  while (queue.length > 0) {
    const [item, depth] = queue.pop()!;
    if (depth > 1000) return true;
    if (typeof item === "symbol" || typeof item === "function") return true;
    if (typeof item !== "object" || item === null || seen.has(item)) continue;
    seen.add(item);
    if (Decimal.isDecimal(item)) continue;
    const prototype = Object.getPrototypeOf(item);
    if (Array.isArray(item)) {
      const names = Reflect.ownKeys(item).filter((key) => key !== "length");
      if (names.length !== item.length || names.some((key) => typeof key !== "string" || String(Number(key)) !== key)) return true;
      enqueue(depth, ...item);
      continue;
    }
    if (!restorable.has(prototype)) return true;
    if (item instanceof Float32Array || item instanceof Float64Array) {
      if ([...item].some((n) => !Number.isFinite(n) || Object.is(n, -0))) return true;
      continue;
    }
    if (item instanceof Map) {
      for (const [k, v] of item) enqueue(depth, k, v);
      continue;
    }
    if (item instanceof Set) {
      enqueue(depth, ...item);
      continue;
    }
    if (prototype !== Object.prototype) continue;
    for (const key of Reflect.ownKeys(item)) {
      if (typeof key === "symbol" || key === "__proto__" || !Object.prototype.propertyIsEnumerable.call(item, key)) return true;
      enqueue(depth, (item as Record<string, unknown>)[key]);
    }
  }
  return false;
}
