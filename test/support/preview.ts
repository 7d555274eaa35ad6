import superjson from "superjson";

const plainJson = (_key: string, value: unknown) =>
  typeof value === "bigint" ? `${value}n` : value instanceof Map ? { Map: [...value] } : value instanceof Set ? { Set: [...value] } : value;

/** A short, never-throwing description of any value (hostile ones included) for failure messages. */
export function preview(value: unknown, max = 160): string {
  let text: string | undefined;
  for (const describe of [
    () => (typeof value === "string" ? JSON.stringify(value) : superjson.stringify(value)),
    () => JSON.stringify(value, plainJson),
    () => Object.prototype.toString.call(value),
  ]) {
    try {
      text = describe();
      if (text !== undefined) break;
    } catch {
      // try the next way
    }
  }
  text ??= typeof value;
  return text.length > max ? `${text.slice(0, max)}... (${text.length} chars)` : text;
}
