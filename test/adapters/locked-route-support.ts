// Shared by locked-route-express.test.ts and locked-route-fastify.test.ts: the named pool, the gates
// that force orderings, and what the tests read back from an app and its table.
import pg from "pg";
import { superjsonSerializer } from "../../src/index.ts";
import { deferred } from "../support/database.ts";

/**
 * Its own connections, named (`url` is ctx.url: it carries application_name), so lock waits are seen as ours.
 * Ten, as a pool of a real app: 20 concurrent units queue for connections (within maxWait) and locks.
 */
export function namedPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 30_000 });
  pool.on("connect", (client) => client.on("error", () => {}));
  pool.on("error", () => {});
  return pool;
}

// Forced orderings: a route stops at a named gate (`reached`) until the test opens it (`release`).
export interface Gate {
  reached: ReturnType<typeof deferred<void>>;
  release: ReturnType<typeof deferred<void>>;
}

/** A set of named gates: `gate(name)` for the test, `stopAt(name)` for a route (a name that is not a string: no stop). */
export function createGates(): { gate(name: string): Gate; stopAt(name: unknown): Promise<void> } {
  const gates = new Map<string, Gate>();
  function gate(name: string): Gate {
    let g = gates.get(name);
    if (g === undefined) gates.set(name, (g = { reached: deferred(), release: deferred() }));
    return g;
  }
  async function stopAt(name: unknown): Promise<void> {
    if (typeof name !== "string") return;
    const g = gate(name);
    g.reached.resolve();
    await g.release.promise;
  }
  return { gate, stopAt };
}

export const lockOptions = { maxWait: 20_000, timeout: 20_000 };

/** An app under test, on `Store` (each adapter's own PgSessionStore). */
export interface LockedRouteApp<Store> {
  url: string;
  store: Store;
  table: string;
  errors: Error[];
  unitRuns: { count: number };
  close(): Promise<void>;
}

/** The row of `id` in `table` as stored (its data deserialized), or undefined. */
export async function storedRowIn(
  admin: pg.Pool,
  table: string,
  id: string,
): Promise<{ data: Record<string, any>; expiresAt: Date } | undefined> {
  const { rows } = await admin.query(`SELECT a_session, expires_at FROM "${table}" WHERE id = $1`, [id]);
  if (rows.length === 0) return undefined;
  return { data: superjsonSerializer.deserialize(rows[0].a_session) as Record<string, any>, expiresAt: rows[0].expires_at };
}
