import type { PgSessionStore } from "../src/adapters/express-session/index.ts";
import type { SessionManager } from "../src/index.ts";

/**
 * `n` concurrent increments of one counter through the locked lifecycle API, and `n` through a plain
 * get-then-set on the adapter: the first ends at n, the second usually does not.
 */
export async function raceCounters(sessions: SessionManager, store: PgSessionStore, n: number) {
  const locked = await sessions.create({ count: 0 });
  await Promise.all(
    Array.from({ length: n }, () =>
      sessions.open(locked.id, (s) => {
        s.data.count += 1;
      }),
    ),
  );
  const naiveId = (await sessions.create({})).id;
  const cookie = { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) };
  await store.set(naiveId, { cookie, count: 0 } as never);
  await Promise.all(
    Array.from({ length: n }, async () => {
      const current = (await store.get(naiveId)) as unknown as { count: number };
      await store.set(naiveId, { cookie, count: current.count + 1 } as never);
    }),
  );
  const result = {
    locked: (await sessions.read(locked.id)).data.count as number,
    naive: ((await store.get(naiveId)) as unknown as { count: number }).count,
  };
  await Promise.all([sessions.delete(locked.id), store.destroy(naiveId)]);
  return result;
}
