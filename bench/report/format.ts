/** A markdown table. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function finite(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value);
}

export function count(value: number | undefined): string {
  return finite(value) ? Math.round(value).toLocaleString("en-US") : "–";
}

export function ms(value: number | undefined): string {
  if (!finite(value)) return "–";
  return value < 1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toString();
}

export function decimal(value: number | undefined, digits = 2): string {
  return finite(value) ? value.toFixed(digits) : "–";
}

export function ratio(value: number | undefined): string {
  return finite(value) ? `${value.toFixed(2)}×` : "–";
}
