import type { Serializer } from "./serializer.ts";

// A serializer of this package that uses the row a payload belongs to (the encrypting serializer keys
// its nonce reuse on it) carries these methods under a registry symbol; the codec calls them with the
// row's stored key. Any other serializer is called as the public interface says, with the data alone.
const keyed = Symbol.for("prisma-pg-session.keyedSerializer");

interface KeyedMethods {
  serialize(data: unknown, key: string): string;
  deserialize(text: string, key: string): unknown;
}

/** `methods` as `serializer`'s way of being told the row's stored key; returns `serializer`. */
export function withRowKey<S extends Serializer>(serializer: S, methods: KeyedMethods): S {
  Object.defineProperty(serializer, keyed, { value: methods });
  return serializer;
}

function keyedMethods(serializer: Serializer): KeyedMethods | undefined {
  return (serializer as { [keyed]?: KeyedMethods })[keyed];
}

/** `serializer.serialize(data)`, telling a serializer that wants it the row's stored key (`""`: no row). */
export function serializeFor(serializer: Serializer, data: unknown, key: string): string {
  const methods = keyedMethods(serializer);
  return methods === undefined ? serializer.serialize(data) : methods.serialize(data, key);
}

/** `serializer.deserialize(text)`, telling a serializer that wants it the row's stored key. */
export function deserializeFor(serializer: Serializer, text: string, key: string): unknown {
  const methods = keyedMethods(serializer);
  return methods === undefined ? serializer.deserialize(text) : methods.deserialize(text, key);
}
