import { SessionStoreError } from "./session-store-error.ts";

const extended = Symbol("callerStackAppended");

/**
 * Runs `work`, and if it fails with one of our errors, appends the stack of the moment this was called.
 * V8's async stack traces stop at a caller that returned our promise instead of awaiting it, and a
 * driver error surfaces from a socket callback: without this, a stack could show no application frame.
 * Must be called synchronously from the public method, before any `await`.
 */
export async function withCallerStack<T>(work: () => Promise<T>): Promise<T> {
  const callSite = new Error("called from");
  try {
    return await work();
  } catch (error) {
    if (error instanceof SessionStoreError && !(extended in error) && callSite.stack) {
      Object.defineProperty(error, extended, { value: true });
      error.stack = `${error.stack ?? String(error)}\n    --- called from ---\n${callSite.stack.split("\n").slice(2).join("\n")}`;
    }
    throw error;
  }
}
