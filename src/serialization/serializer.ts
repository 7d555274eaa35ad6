import superjson from "superjson";

/** Turns session data into the text stored in `a_session`, and back (the seed's `Serialize::*`). */
export interface Serializer {
  serialize(data: unknown): string;
  deserialize(text: string): unknown;
}

/**
 * The default: superjson, so `Date`, `Map`, `Set`, `BigInt`, `RegExp` and `undefined` survive a round
 * trip (plain JSON would turn a Date into a string). The text is JSON, readable with SQL.
 */
export const superjsonSerializer: Serializer = {
  serialize: (data) => superjson.stringify(data),
  deserialize: (text) => superjson.parse(text),
};
