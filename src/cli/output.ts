import { inspect } from "node:util";

/** Where a command writes: plain text for people, or one JSON document for scripts. */
export interface Output {
  json: boolean;
  /** A line for people (not printed with --json). */
  line(text: string): void;
  /** The command's result: JSON with --json, else rendered by `human`. */
  result(value: unknown, human: (value: any) => string): void;
}

export function createOutput(json: boolean, write: (text: string) => void = (t) => process.stdout.write(t)): Output {
  return {
    json,
    line: (text) => {
      if (!json) write(`${text}\n`);
    },
    result: (value, human) => write(`${json ? JSON.stringify(value, null, 2) : human(value)}\n`),
  };
}

/** Session data for people: nested, typed (Dates, Maps and Sets shown as such). */
export function pretty(value: unknown): string {
  return inspect(value, { depth: 8, colors: false, breakLength: 100, sorted: true });
}

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return "(none)";
  const cell = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? "-" : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const format = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [format(columns), ...rows.map((r) => format(columns.map((c) => cell(r[c]))))].join("\n");
}
