import { TransactionTimeoutError } from "../errors/store-errors.ts";

/**
 * `work`, or a TransactionTimeoutError once `timeout` ms have passed: a unit of work whose function
 * never settles still ends for its caller. The transaction itself ends at the same deadline (the
 * driver closes or expires it, which frees its row locks); this only makes sure the promise does too.
 */
export function withinDeadline<T>(work: Promise<T>, timeout: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransactionTimeoutError(`Unit of work still running after ${timeout} ms: rolled back`)), timeout);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
