import { report, type Logger } from "./logger.ts";

/** A Node-style callback, as express-session and @fastify/session pass them. */
export type Callback<T> = (error: unknown, value?: T) => void;

/**
 * One helper for both kinds of caller: with a callback, the outcome goes to it (errors included, never
 * swallowed) and nothing is returned, so no promise is left to reject unhandled; without one, the
 * promise is returned. The callback runs on its own tick, so a throw inside it is not mistaken for a
 * store failure (and the callback is never called twice); such a throw (the framework's, or the
 * app's code it calls) is reported to `logger` instead of ending the process as an uncaught exception.
 */
export function settle<T>(work: Promise<T>, callback: Callback<T> | undefined, logger: Logger): Promise<T> | undefined {
  if (callback === undefined) return work;
  const call = (error: unknown, value?: T) => {
    try {
      callback(error, value);
    } catch (thrown) {
      report(logger, "a callback given to the session store threw", thrown);
    }
  };
  work.then(
    (value) => process.nextTick(call, null, value),
    (error: unknown) => process.nextTick(call, error),
  );
  return undefined;
}
