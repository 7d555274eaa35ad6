import { CorruptPayloadError } from "../errors/store-errors.ts";
import { deserializeFor, serializeFor } from "./keyed-serializer.ts";
import { frameworkProblem, readProblem } from "./read-limits.ts";
import type { Serializer } from "./serializer.ts";
import { UnsupportedValueError } from "./unsupported-value-error.ts";

interface CodecContext {
  sessionId: string;
  table: string;
}

/** Serializes, turning a serializer's failure (a cycle, a function) into a typed error. */
export function encode(serializer: Serializer, data: unknown, context: CodecContext): string {
  let text: unknown;
  try {
    text = serializeFor(serializer, data, context.sessionId);
  } catch (cause) {
    if (cause instanceof UnsupportedValueError) {
      throw new CorruptPayloadError(`Session ${context.sessionId} could not be serialized: ${cause.message}`, {
        ...context,
        cause,
        keyPath: cause.keyPath,
      });
    }
    throw new CorruptPayloadError(`Session ${context.sessionId} could not be serialized`, { ...context, cause });
  }
  if (typeof text !== "string") {
    throw new CorruptPayloadError(`Session ${context.sessionId} could not be serialized: the serializer returned ${typeof text}`, context);
  }
  return text;
}

/**
 * Deserializes a stored payload. A NULL payload, undecodable text or a result that is not a plain
 * object is Apache::Session's "Session could not be unserialized", naming the session.
 */
export function decode(serializer: Serializer, text: string | null, context: CodecContext): Record<string, unknown> {
  if (text === null) {
    throw new CorruptPayloadError(`Session could not be unserialized: ${context.sessionId} has a NULL payload`, context);
  }
  let data: unknown;
  try {
    data = deserializeFor(serializer, text, context.sessionId);
  } catch (cause) {
    // JSON.parse's message quotes the text around the fault: session data stays out of the error.
    const kept =
      cause instanceof SyntaxError
        ? new SyntaxError("the payload is not valid JSON (the parser's message, which quotes it, is left out)")
        : cause;
    throw new CorruptPayloadError(`Session could not be unserialized: ${context.sessionId}`, { ...context, cause: kept });
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new CorruptPayloadError(`Session could not be unserialized: ${context.sessionId} does not hold an object`, context);
  }
  // What the write path refuses is refused on the way in too, whoever wrote the row.
  const problem = readProblem(data);
  if (problem !== undefined)
    throw new CorruptPayloadError(`Session could not be unserialized: ${context.sessionId} holds ${problem}`, context);
  return data as Record<string, unknown>;
}

/** {@link decode}, for data handed to a framework's session object or an app: see `frameworkProblem`. */
export function decodeForFramework(serializer: Serializer, text: string | null, context: CodecContext): Record<string, unknown> {
  const data = decode(serializer, text, context);
  const problem = frameworkProblem(data);
  if (problem !== undefined)
    throw new CorruptPayloadError(`Session could not be unserialized: ${context.sessionId} holds ${problem}`, context);
  return data;
}
