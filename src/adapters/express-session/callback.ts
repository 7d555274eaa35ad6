/** A Node-style callback, as express-session and @fastify/session pass them. */
export type Callback<T> = (error: unknown, value?: T) => void;

/**
 * One helper for both kinds of caller: with a callback, the outcome goes to it (errors included, never
 * swallowed) and nothing is returned, so no promise is left to reject unhandled; without one, the
 * promise is returned. The callback runs on its own tick, so a throw inside it is not mistaken for a
 * store failure (and the callback is never called twice).
 */
export function settle<T>(work: Promise<T>, callback: Callback<T> | undefined): Promise<T> | undefined {
  if (callback === undefined) return work;
  work.then(
    (value) => process.nextTick(callback, null, value),
    (error: unknown) => process.nextTick(callback, error),
  );
  return undefined;
}
