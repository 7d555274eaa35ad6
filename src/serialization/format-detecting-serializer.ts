import { apacheSessionSerializer } from "./apache-session-serializer.ts";
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
  return {
    serialize: (data) => write.serialize(data),
    deserialize: (text) => (text.trimStart().startsWith("{") ? json : storable).deserialize(text),
  };
}
