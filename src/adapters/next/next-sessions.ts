// Next.js App Router sessions on the web core: the cookie is read and set through `cookies()` from
// `next/headers`, so Server Actions and Route Handlers need no Request or Response to pass around.
// Imported as `next/headers.js`: `next` has no `exports` map, so Node's ESM resolver (a test runner, or
// this package left unbundled by `serverExternalPackages`) needs the file name; bundlers take it too.
import { cookies, headers } from "next/headers.js";
import type { TransactionOptions } from "../../driver/driver.ts";
import { assertNodeRuntime } from "../web/runtime.ts";
import { WebSessions, type SessionValues, type WebSession, type WebSessionsOptions } from "../web/web-sessions.ts";
import { parseSetCookie } from "./set-cookie.ts";

/**
 * What {@link createNextSessions} takes: a {@link WebSessions} (shared with other code, closed by its
 * owner), its options, or a function returning either, called at the first use. The function form
 * keeps the module importable where the environment is not there yet: `next build` imports route
 * modules to analyse them, without the runtime's `DATABASE_URL` or `SESSION_SECRET`.
 */
export type NextSessionsOptions<D extends object = SessionValues> =
  WebSessions<D> | WebSessionsOptions | (() => WebSessions<D> | WebSessionsOptions);

/**
 * Sessions for the Next.js App Router (Node.js runtime): Server Actions and Route Handlers read and
 * write the session cookie through `cookies()`, so no Request or Response is passed around.
 *
 * - `get()` reads: anywhere `cookies()` works (Server Components too).
 * - `save`, `lock` and `destroy` set the cookie: only in a Server Action or a Route Handler (Next.js
 *   refuses to set cookies while a Server Component renders).
 */
export interface NextSessions<D extends object = SessionValues> {
  /**
   * This request's session: the one its cookie names when the cookie is ours (signed with one of the
   * secrets) and the session is live; otherwise a new, empty one. One `SELECT` per call (none for a
   * missing or bad cookie): call it once per request and pass the session along.
   */
  get(): Promise<WebSession<D>>;
  /**
   * Saves the session (only what changed since `get()` read it) and sets its cookie on the response.
   * A new session nothing was put in is not stored (unless `saveUninitialized`) and sets no cookie.
   * A destroyed one is deleted and its cookie removed.
   */
  save(session: WebSession<D>): Promise<void>;
  /**
   * A locked read-modify-write of this request's session: `get()`, then `fn` in one transaction holding
   * the session's row lock (`SELECT ... FOR UPDATE`, so concurrent requests of one user take turns and
   * twenty concurrent increments end at 20), then `save`. Returns what `fn` returns. If `fn` throws,
   * nothing is written and no cookie is set. A new session (no row yet) has nothing to lock: `fn` runs
   * on it and it is stored after.
   */
  lock<T>(fn: (session: WebSession<D>) => T | Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Ends the session (`session`, or this request's): deletes its row and removes the cookie. */
  destroy(session?: WebSession<D>): Promise<void>;
  /** The {@link WebSessions} underneath (made at the first use when given options or a function). */
  readonly sessions: WebSessions<D>;
  /** Deletes expired rows (for a cron Route Handler: serverless functions run no background prune). @returns rows deleted */
  prune(): Promise<number>;
  /** Closes the {@link WebSessions} made from options (one that was given is its owner's to close). */
  close(): Promise<void>;
}

/**
 * Sessions for Next.js App Router Server Actions and Route Handlers, in PostgreSQL, with
 * express-session's cookie (an express app on the same domain and table shares them).
 *
 *     // lib/sessions.ts
 *     export const sessions = createNextSessions<{ user?: string; count?: number }>(() => ({
 *       datasourceUrl: process.env.DATABASE_URL!, secret: process.env.SESSION_SECRET!, cookie: { maxAge: 86_400 },
 *     }));
 *
 *     // app/actions.ts
 *     "use server";
 *     export async function login(form: FormData) {
 *       const session = await sessions.get();
 *       session.rotate(); // session-fixation defence
 *       session.data.user = String(form.get("user"));
 *       await sessions.save(session);
 *     }
 */
export function createNextSessions<D extends object = SessionValues>(options: NextSessionsOptions<D>): NextSessions<D> {
  if (typeof options !== "function" && (typeof options !== "object" || options === null)) {
    throw new TypeError(
      "createNextSessions takes a WebSessions, its options (`secret` and `pgPool`, `datasourceUrl`, `prisma` or `store`), or a function returning either",
    );
  }
  let made: WebSessions<D> | undefined;
  let owned = false;
  const make = (given: WebSessions<D> | WebSessionsOptions): WebSessions<D> => {
    if (given instanceof WebSessions) return given;
    owned = true;
    return new WebSessions<D>(given);
  };
  // Options are checked now; a function's result at the first use.
  if (typeof options !== "function") made = make(options);
  const sessionsOf = (): WebSessions<D> => {
    if (made === undefined) {
      const given = (options as () => WebSessions<D> | WebSessionsOptions)();
      if (typeof given !== "object" || given === null)
        throw new TypeError("createNextSessions' function must return a WebSessions or its options");
      made = make(given);
    }
    return made;
  };

  // The cookie through `cookies()`. In a Server Action, `cookies()` also sees what the action set
  // before, so a session saved there is the one the page renders with afterwards.
  type CookieStore = Awaited<ReturnType<typeof cookies>>;

  // `cookies()` before this: while `next build` prerenders a page, it stops the render there (the page
  // is dynamic), before the sessions are made (from an environment the build may not have).
  //
  // Of duplicate cookies (a sibling subdomain can plant one of the same name), the first is the
  // session, as express-session and the web core read it; `cookies()` holds the last one sent. So the
  // raw header decides, unless this request has set the cookie since (`cookies()` then holds that one).
  const loadFrom = async (store: CookieStore): Promise<WebSession<D>> => {
    const sessions = sessionsOf();
    const { name } = sessions.cookie;
    const current = store.get(name)?.value;
    const sent = valuesOf((await headers()).get("cookie"), name);
    const value = sent.length > 1 && current === sent[sent.length - 1] ? sent[0] : current;
    // The core reads a Cookie header; Next.js has decoded the value, so it is encoded again as sent.
    return sessions.load(value === undefined ? undefined : `${name}=${encodeURIComponent(value)}`);
  };

  const get = async (): Promise<WebSession<D>> => {
    assertNodeRuntime();
    return loadFrom(await cookies());
  };

  const setCookie = (store: CookieStore, header: string | undefined): void => {
    if (header === undefined) return;
    const { name, value, options: attributes } = parseSetCookie(header);
    store.set(name, value, attributes);
  };

  const save = async (session: WebSession<D>): Promise<void> => {
    assertNodeRuntime();
    // Outside a request, `cookies()` throws here, before anything is written.
    const store = await cookies();
    setCookie(store, await sessionsOf().commit(session));
  };

  return {
    get,
    save,
    async lock<T>(fn: (session: WebSession<D>) => T | Promise<T>, transactionOptions?: TransactionOptions): Promise<T> {
      const session = await get();
      const result = await sessionsOf().lock(session, fn, transactionOptions);
      await save(session);
      return result;
    },
    async destroy(session?: WebSession<D>): Promise<void> {
      assertNodeRuntime();
      const store = await cookies();
      const target = session ?? (await loadFrom(store));
      setCookie(store, await sessionsOf().destroy(target));
    },
    get sessions() {
      return sessionsOf();
    },
    prune: () => sessionsOf().prune(),
    close: async () => {
      if (made !== undefined && owned) await made.close();
    },
  };
}

/** The values of every cookie named `name` in a Cookie header, in the order sent, decoded as Next.js decodes them. */
function valuesOf(header: string | null, name: string): string[] {
  if (header === null) return [];
  const values: string[] = [];
  for (const pair of header.split(";")) {
    const at = pair.indexOf("=");
    if (at < 0 || pair.slice(0, at).trim() !== name) continue;
    const raw = pair.slice(at + 1).trim();
    try {
      values.push(decodeURIComponent(raw));
    } catch {
      values.push(raw);
    }
  }
  return values;
}
