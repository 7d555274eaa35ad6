import { createSuperjsonSerializer } from "./superjson-serializer.ts";

/** Turns session data into the text stored in `a_session`, and back (Apache::Session's `Serialize::*`). */
export interface Serializer {
  serialize(data: unknown): string;
  deserialize(text: string): unknown;
}

/**
 * The default: superjson, so `Date`, `Map`, `Set`, `BigInt`, `RegExp`, `URL`, typed arrays, `undefined`,
 * `NaN`, `-0` and Prisma's `Decimal` survive a round trip (plain JSON would turn a Date into a string),
 * and anything that would not survive is refused with its key path. The text is JSON, readable with SQL.
 */
export const superjsonSerializer: Serializer = createSuperjsonSerializer();
