import { Decimal } from "@prisma/client-runtime-utils";
import { SuperJSON } from "superjson";
import { escapeGuardedKeys, unescapeGuardedKeys } from "./guarded-keys.ts";
import { inspectData, type TypeRegistry } from "./inspect-data.ts";
import { parsedWithinLimits } from "./read-limits.ts";
import type { Serializer } from "./serializer.ts";

export interface SuperjsonSerializerOptions {
  /**
   * Registers your own types on this serializer's SuperJSON instance (never the global one), e.g.
   * `(superjson) => superjson.registerClass(Money)`; instances of unregistered classes are refused.
   */
  register?: (superjson: SuperJSON) => void;
}

// Serializers made here: their text is JSON with the data under `json`, which SQL can query.
const superjsonSerializers = new WeakSet<Serializer>();

/** Whether `serializer` writes superjson's JSON text (`{"json":...}`): made by {@link createSuperjsonSerializer}. */
export function writesSuperjson(serializer: unknown): boolean {
  return typeof serializer === "object" && serializer !== null && superjsonSerializers.has(serializer as Serializer);
}

/** The envelope of superjson text, plus our marker for escaped keys. */
interface Envelope {
  json: unknown;
  meta?: unknown;
  escapedKeys?: true;
}

/**
 * superjson, made exact: every value either comes back as it was stored or is refused with its key path
 * (see `inspectData`). Beyond superjson's types it keeps invalid Dates and Prisma's `Decimal`, and keys
 * named `constructor` / `prototype`. Data that plain JSON describes fully is written with
 * `JSON.stringify`, byte for byte what superjson would write, at a fraction of the cost.
 */
export function createSuperjsonSerializer(options: SuperjsonSerializerOptions = {}): Serializer {
  const superjson = new SuperJSON();
  superjson.registerCustom<Date, string>(
    {
      // superjson's own Date rule skips invalid Dates (they would be written as JSON null).
      isApplicable: (value): value is Date => value instanceof Date && Number.isNaN(value.getTime()),
      serialize: () => "Invalid Date",
      deserialize: () => new Date(Number.NaN),
    },
    "invalid-date",
  );
  superjson.registerCustom<Decimal, string>(
    {
      // `isDecimal` also recognises the copy of the class inside a generated Prisma client.
      isApplicable: (value): value is Decimal => Decimal.isDecimal(value),
      serialize: (value) => value.toJSON(),
      deserialize: (text) => new Decimal(text),
    },
    "decimal.js",
  );
  options.register?.(superjson);
  const registry: TypeRegistry = {
    isCustom: (value) => superjson.customTransformerRegistry.findApplicable(value) !== undefined,
    isRegisteredClass: (value) => superjson.classRegistry.getIdentifier(value.constructor as never) !== undefined,
  };
  const serializer: Serializer = {
    serialize(data) {
      const shape = inspectData(data, registry);
      if (shape.plain) return `{"json":${JSON.stringify(data)}}`;
      if (!shape.guardedKeys) return superjson.stringify(data);
      const envelope: Envelope = { ...superjson.serialize(escapeGuardedKeys(data) as never), escapedKeys: true };
      return JSON.stringify(envelope);
    },
    deserialize(text) {
      const envelope = JSON.parse(text) as Envelope;
      if (typeof envelope !== "object" || envelope === null) return envelope;
      if (envelope.escapedKeys === true) return unescapeGuardedKeys(superjson.deserialize(envelope as never));
      // Plain JSON data (what the fast path above writes): nothing for superjson to restore.
      if (envelope.meta === undefined) return parsedWithinLimits(envelope.json, text);
      return superjson.deserialize(envelope as never, { inPlace: true });
    },
  };
  superjsonSerializers.add(serializer);
  return serializer;
}
