import type { SessionData, Store } from "express-session";

/** The express-session Store callback API as promises (the callbacks are what express-session uses). */
export function get(store: Store, sid: string): Promise<SessionData | null | undefined> {
  return new Promise((resolve, reject) => store.get(sid, (error, value) => (error ? reject(error) : resolve(value))));
}

export function set(store: Store, sid: string, sess: SessionData): Promise<void> {
  return new Promise((resolve, reject) => store.set(sid, sess, (error?: unknown) => (error ? reject(error) : resolve())));
}

export function touch(store: Store, sid: string, sess: SessionData): Promise<void> {
  const method = store.touch;
  if (method === undefined) return set(store, sid, sess);
  return new Promise((resolve, reject) => method.call(store, sid, sess, (error?: unknown) => (error ? reject(error) : resolve())));
}

export function destroy(store: Store, sid: string): Promise<void> {
  return new Promise((resolve, reject) => store.destroy(sid, (error?: unknown) => (error ? reject(error) : resolve())));
}
