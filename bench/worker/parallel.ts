/** Calls `fn(i)` for i in [0, count) with at most `concurrency` calls in flight. */
export async function forEachConcurrently(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, loop));
}
