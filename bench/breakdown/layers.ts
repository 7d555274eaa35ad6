/** One measured layer: `op` runs one call of it; `concurrency` callers run at once. */
export interface Layer {
  name: string;
  /** What this layer adds over the previous one. */
  adds: string;
  concurrency: number;
  call: (loop: number) => Promise<unknown>;
}

/** Opens everything the layers need on `url` (table `table`, seeded); `close` releases it. */
export async function openLayers(
  url: string,
  table: string,
  payloadBytes: number,
): Promise<{ layers: Layer[]; close: () => Promise<void> }> {
  const pg = (await import("pg")).default;
  const superjson = (await import("superjson")).default;
  const { PrismaPg } = await import("@prisma/adapter-pg");
  const { PrismaClient } = await import("../../test/generated/prisma/client.ts");
  const { PgSessionStore } = await import("../../src/adapters/express-session/index.ts");
  const { SessionManager } = await import("../../src/index.ts");
  const { toStoredSession } = await import("../../src/adapters/express-session/session-payload.ts");
  const { makeSession, newSessionId } = await import("../worker/sessions.ts");
  const { lockedData } = await import("../worker/locked.ts");

  const max = 4;
  const adapter = new PgSessionStore({ datasourceUrl: url, tableName: table, pool: { max }, pruneSessionInterval: false });
  const manager = new SessionManager({ store: adapter.store });
  const pool = new pg.Pool({ connectionString: url, max });
  const driver = await new PrismaPg({ connectionString: url, max }).connect();
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max }) });

  const ids = Array.from({ length: 256 }, () => newSessionId());
  const sessions = ids.map((_, i) => makeSession(i, payloadBytes));
  for (let i = 0; i < ids.length; i++) await adapter.set(ids[i]!, sessions[i]!);
  const lockedIds: string[] = [];
  for (let i = 0; i < 16; i++) lockedIds.push((await manager.create(lockedData(payloadBytes) as never)).id);

  const quoted = `"${table}"`;
  const get = `SELECT a_session, expires_at FROM ${quoted} WHERE id = $1::bpchar AND (expires_at IS NULL OR expires_at > $2::timestamptz)`;
  const lock = `SELECT a_session FROM ${quoted} WHERE id = $1::bpchar FOR UPDATE`;
  const update = `UPDATE ${quoted} SET a_session = $2::text WHERE id = $1::bpchar`;
  let n = 0;
  const nextId = (): string => ids[n++ % ids.length]!;
  const argTypes = [
    { scalarType: "string", arity: "scalar" },
    { scalarType: "datetime", arity: "scalar" },
  ];
  const stored = toStoredSession(sessions[0] as never);
  const text = superjson.stringify(stored);
  const json = JSON.stringify(stored);
  const c = 16;

  const layers: Layer[] = [
    {
      name: "pg Pool.query",
      adds: "the driver: the floor for this SELECT",
      concurrency: c,
      call: () => pool.query(get, [nextId(), new Date()]),
    },
    {
      name: "PrismaPg adapter.queryRaw",
      adds: "Prisma's driver adapter (arg mapping, array rows, type parsers)",
      concurrency: c,
      call: () => driver.queryRaw({ sql: get, args: [nextId(), new Date().toISOString()], argTypes } as never),
    },
    {
      name: "PrismaClient.$queryRawUnsafe",
      adds: "Prisma's client (request pipeline, query interpreter)",
      concurrency: c,
      call: () => prisma.$queryRawUnsafe(get, nextId(), new Date()),
    },
    {
      name: "PostgresStore.query",
      adds: "ours: the client the store opens from datasourceUrl, closed check, caller stack, error mapping",
      concurrency: c,
      call: () => adapter.store.query(get, [nextId(), new Date()]),
    },
    {
      name: "PgSessionStore.get",
      adds: "ours: id check, superjson.parse, write cache, cookie expiry",
      concurrency: c,
      call: () => adapter.get(nextId()),
    },
    {
      name: "superjson.stringify (1 session)",
      adds: "serializing for set / dirty check",
      concurrency: 1,
      call: async () => superjson.stringify(stored),
    },
    { name: "JSON.stringify (1 session)", adds: "for comparison", concurrency: 1, call: async () => JSON.stringify(stored) },
    { name: "superjson.parse (1 session)", adds: "deserializing in get", concurrency: 1, call: async () => superjson.parse(text) },
    { name: "JSON.parse (1 session)", adds: "for comparison", concurrency: 1, call: async () => JSON.parse(json) },
    {
      name: "raw pg BEGIN/SELECT FOR UPDATE/UPDATE/COMMIT",
      adds: "the locked unit's floor (4 statements)",
      concurrency: c,
      call: async (loop) => {
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          const { rows } = await client.query(lock, [lockedIds[loop]]);
          await client.query(update, [lockedIds[loop], rows[0].a_session]);
          await client.query("COMMIT");
        } finally {
          client.release();
        }
      },
    },
    {
      name: "PrismaClient.$transaction (empty)",
      adds: "Prisma's interactive transaction: BEGIN + COMMIT",
      concurrency: c,
      call: () => prisma.$transaction(async () => undefined),
    },
    {
      name: "PrismaClient.$transaction (FOR UPDATE + UPDATE)",
      adds: "the same 4 statements through Prisma",
      concurrency: c,
      call: (loop) =>
        prisma.$transaction(async (tx) => {
          const rows = await tx.$queryRawUnsafe<Array<{ a_session: string }>>(lock, lockedIds[loop]);
          await tx.$executeRawUnsafe(update, lockedIds[loop], rows[0]!.a_session);
        }),
    },
    {
      name: "SessionManager.open (counter + 1)",
      adds: "ours: superjson ×3, dirty check, proxy, re-entry guard",
      concurrency: c,
      call: (loop) =>
        manager.open(lockedIds[loop]!, (session) => {
          session.data["counter"] = ((session.data["counter"] as number | undefined) ?? 0) + 1;
        }),
    },
  ];
  const close = async (): Promise<void> => {
    await adapter.close();
    await pool.end();
    await driver.dispose();
    await prisma.$disconnect();
  };
  return { layers, close };
}
