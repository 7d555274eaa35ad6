/** The median of the finite values (NaN when there are none). */
export function median(values: ReadonlyArray<number | undefined>): number {
  const finite = values.filter((value): value is number => value !== undefined && Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const middle = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[middle]! : (finite[middle - 1]! + finite[middle]!) / 2;
}

/** Medians of each numeric field of several segment results of one cell. */
export function medianOf<T extends object, K extends keyof T>(samples: readonly T[], keys: readonly K[]): Record<K, number> {
  const result = {} as Record<K, number>;
  for (const key of keys) result[key] = median(samples.map((sample) => sample[key] as unknown as number | undefined));
  return result;
}
