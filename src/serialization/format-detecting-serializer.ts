import { apacheSessionSerializer } from "./apache-session-serializer.ts";
import { deserializeFor, serializeFor, withRowKey } from "./keyed-serializer.ts";
import { superjsonSerializer, type Serializer } from "./serializer.ts";

export interface FormatDetectingSerializerOptions {
  /**
   * The format new and changed sessions are written in: `apacheSessionSerializer` while a Perl
   * Apache::Session application still reads the table, `superjsonSerializer` once it is retired.
   */
  write: Serializer;
  /** Reads rows that start with `{` (JSON). @default superjsonSerializer */
  json?: Serializer;
  /** Reads every other row (Base64 never contains `{`). @default apacheSessionSerializer */
  storable?: Serializer;
}

/**
 * For a table in transition between a Perl application and this library: reads each row in the format
 * it was written in (our JSON text starts with `{`; Apache::Session's Base64 never does) and writes the
 * configured one. An opened session that is not changed is not rewritten, so rows move to the written
 * format as they are changed.
 */
export function createFormatDetectingSerializer(options: FormatDetectingSerializerOptions): Serializer {
  const json = options.json ?? superjsonSerializer;
  const storable = options.storable ?? apacheSessionSerializer;
  const { write } = options;
  const reader = (text: string) => (text.trimStart().startsWith("{") ? json : storable);
  const serializer: Serializer = {
    serialize: (data) => write.serialize(data),
    deserialize: (text) => reader(text).deserialize(text),
  };
  // The row's key goes on to the serializers that want it (an encrypting one).
  return withRowKey(serializer, {
    serialize: (data, key) => serializeFor(write, data, key),
    deserialize: (text, key) => deserializeFor(reader(text), text, key),
  });
}
