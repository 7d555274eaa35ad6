import type { SessionData } from "express-session";
import { PgSessionStore, type Logger } from "../../src/adapters/express-session/index.ts";
import {
  CorruptPayloadError,
  InvalidSessionIdError,
  PayloadTooLargeError,
  SessionManager,
  StoreClosedError,
  StoreUnavailableError,
  TableNotFoundError,
} from "../../src/index.ts";
import { eventually, newPrismaClient, randomId } from "../support/database.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

const hour = 3_600_000;
const T0 = Date.parse("2026-11-25T12:00:00Z");

async function newStore(extra: Partial<ConstructorParameters<typeof PgSessionStore>[0]> = {}) {
  const table = await ctx.newTable("adapter");
  const clock = { now: T0 };
  const store = new PgSessionStore({
    prisma: ctx.counting.prisma,
    tableName: table,
    pruneSessionInterval: false,
    now: () => clock.now,
    ...extra,
  });
  return { store, table, clock };
}

function sessionOf(data: Record<string, unknown>, expires: Date | null = new Date(T0 + hour)): SessionData {
  return { cookie: { originalMaxAge: expires ? hour : null, expires, httpOnly: true, path: "/" }, ...data } as unknown as SessionData;
}

async function rowOf(table: string, id: string) {
  return (await ctx.admin.query(`SELECT a_session, expires_at FROM "${table}" WHERE id = $1`, [id])).rows[0];
}

function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const start = ctx.counting.statements.length;
  return work().then(() => ctx.counting.statements.slice(start));
}

describe("callbacks and promises", () => {
  test("every method works both ways", async () => {
    const { store } = await newStore();
    const id = randomId();
    await store.set(id, sessionOf({ user: "ann" }));
    await new Promise<void>((resolve, reject) => store.set(id, sessionOf({ user: "bob" }), (err) => (err ? reject(err) : resolve())));
    const viaCallback = await new Promise<SessionData | null | undefined>((resolve, reject) =>
      store.get(id, (err, s) => (err ? reject(err) : resolve(s))),
    );
    expect(viaCallback).toMatchObject({ user: "bob" });
    await expect(store.get(id)).resolves.toMatchObject({ user: "bob" });
    expect(store.get(id, () => undefined)).toBeUndefined();
    await expect(store.length()).resolves.toBe(1);
    await expect(new Promise((r) => store.ids((_e, ids) => r(ids)))).resolves.toEqual([id]);
    await store.destroy(id);
    await expect(store.get(id)).resolves.toBeNull();
  });
});

describe("errors reach the caller, never turned into 'no session'", () => {
  test("a missing table: TableNotFoundError in the callback", async () => {
    const store = new PgSessionStore({ prisma: ctx.counting.prisma, tableName: "missing_table", pruneSessionInterval: false });
    const error = await new Promise((resolve) => store.get(randomId(), (err) => resolve(err)));
    expect(error).toBeInstanceOf(TableNotFoundError);
    await expect(store.set(randomId(), sessionOf({}))).rejects.toBeInstanceOf(TableNotFoundError);
  });

  test("a corrupt stored payload: get fails with CorruptPayloadError, and the row is kept", async () => {
    const { store, table } = await newStore({ logger: { error: () => undefined } });
    const id = randomId();
    await ctx.admin.query(`INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, '{broken', $2)`, [id, new Date(T0 + hour)]);
    await expect(store.get(id)).rejects.toBeInstanceOf(CorruptPayloadError);
    await expect(store.all()).resolves.toEqual([]); // listing skips it (see "listing" below)
    expect((await rowOf(table, id)).a_session).toBe("{broken");
  });

  test("an unreachable database: StoreUnavailableError", async () => {
    const store = new PgSessionStore({ datasourceUrl: "postgresql://postgres@127.0.0.1:1/none", pruneSessionInterval: false });
    try {
      await expect(store.get(randomId())).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await store.close();
    }
  });

  test("an oversized session: PayloadTooLargeError, the stored one untouched", async () => {
    const table = await ctx.newTable("adapter");
    const store = new PgSessionStore({
      prisma: ctx.counting.prisma,
      tableName: table,
      pruneSessionInterval: false,
      maxPayloadBytes: 500,
      now: () => T0,
    });
    const id = randomId();
    await store.set(id, sessionOf({ small: true }));
    const before = await rowOf(table, id);
    await expect(store.set(id, sessionOf({ big: "x".repeat(1000) }))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(await rowOf(table, id)).toEqual(before);
  });
});

describe("expiry", () => {
  test("from cookie.expires; the stored payload keeps no expires (it lives in expires_at)", async () => {
    const { store, table } = await newStore();
    const id = randomId();
    await store.set(id, sessionOf({ at: new Date("2026-01-02T03:04:05Z") }, new Date(T0 + 2 * hour)));
    const row = await rowOf(table, id);
    expect(row.expires_at.getTime()).toBe(T0 + 2 * hour);
    expect(row.a_session).not.toMatch(/expires/);
    const back = (await store.get(id)) as SessionData & { at: Date };
    expect(back.cookie.expires).toEqual(new Date(T0 + 2 * hour));
    expect(back.at).toEqual(new Date("2026-01-02T03:04:05Z"));
  });

  test("a cookie with only maxAge (no expires, no originalMaxAge) lives maxAge, not ttl", async () => {
    const { store, table } = await newStore({ ttl: 600 });
    const id = randomId();
    await store.set(id, { cookie: { maxAge: 2_000 }, user: "ann" } as unknown as SessionData);
    expect((await rowOf(table, id)).expires_at.getTime()).toBe(T0 + 2_000);
    await store.touch(id, { cookie: { maxAge: 5_000 }, user: "ann" } as unknown as SessionData);
    expect((await rowOf(table, id)).expires_at.getTime()).toBe(T0 + 5_000);
  });

  test("from the ttl option when the cookie has none; a browser-session cookie stays one", async () => {
    const { store, table } = await newStore({ ttl: 600 });
    const id = randomId();
    await store.set(id, sessionOf({ a: 1 }, null));
    expect((await rowOf(table, id)).expires_at.getTime()).toBe(T0 + 600_000);
    expect(((await store.get(id)) as SessionData).cookie.expires).toBeNull();
  });

  test("ttl: 0 means zero, not the default: the session is not kept", async () => {
    const { store, table } = await newStore({ ttl: 0 });
    const id = randomId();
    await store.set(id, sessionOf({ a: 1 }, null));
    expect(await rowOf(table, id)).toBeUndefined();
  });

  test("a set or touch whose expiry has passed destroys the session", async () => {
    const { store, table } = await newStore();
    const id = randomId();
    await store.set(id, sessionOf({ a: 1 }));
    await store.set(id, sessionOf({ a: 2 }, new Date(T0 - 1)));
    expect(await rowOf(table, id)).toBeUndefined();
    await store.set(id, sessionOf({ a: 3 }));
    await store.touch(id, sessionOf({ a: 3 }, new Date(T0)));
    expect(await rowOf(table, id)).toBeUndefined();
  });

  test("touch never revives an expired row", async () => {
    const { store, table, clock } = await newStore({ cacheSize: 0 });
    const id = randomId();
    await store.set(id, sessionOf({ a: 1 }));
    clock.now = T0 + 2 * hour;
    await store.touch(id, sessionOf({ a: 1 }, new Date(T0 + 3 * hour)));
    expect((await rowOf(table, id)).expires_at.getTime()).toBe(T0 + hour);
    await expect(store.get(id)).resolves.toBeNull();
  });
});

describe("write avoidance", () => {
  test("a set of unchanged data within touchAfter sends no statement; a change sends one", async () => {
    const { store, clock } = await newStore();
    const id = randomId();
    await store.set(id, sessionOf({ n: 1 }));
    await store.get(id);
    clock.now = T0 + 1000;
    expect(await statementsDuring(() => store.set(id, sessionOf({ n: 1 }, new Date(T0 + 1000 + hour))))).toEqual([]);
    expect(await statementsDuring(() => store.touch(id, sessionOf({ n: 1 }, new Date(T0 + 1000 + hour))))).toEqual([]);
    expect(await statementsDuring(() => store.set(id, sessionOf({ n: 2 }, new Date(T0 + 1000 + hour))))).toHaveLength(1);
  });

  test("past touchAfter, the expiry is written again", async () => {
    const { store, table, clock } = await newStore({ touchAfter: 30 });
    const id = randomId();
    await store.set(id, sessionOf({ n: 1 }));
    clock.now = T0 + 31_000;
    const statements = await statementsDuring(() => store.touch(id, sessionOf({ n: 1 }, new Date(T0 + 31_000 + hour))));
    expect(statements).toHaveLength(1);
    expect((await rowOf(table, id)).expires_at.getTime()).toBe(T0 + 31_000 + hour);
  });

  test("two servers on one table: X sets A, Y sets B, X sets A again — the row holds A", async () => {
    const table = await ctx.newTable("adapter");
    const otherPrisma = newPrismaClient(); // the other server: its own connections and its own memory
    const options = { tableName: table, pruneSessionInterval: false as const, now: () => T0 };
    const x = new PgSessionStore({ prisma: ctx.counting.prisma, ...options });
    const y = new PgSessionStore({ prisma: otherPrisma, ...options });
    try {
      const id = randomId();
      await x.set(id, sessionOf({ cart: "A" }));
      await y.set(id, sessionOf({ cart: "B" }));
      await x.set(id, sessionOf({ cart: "A" }));
      await expect(y.get(id)).resolves.toMatchObject({ cart: "A" });
      // The same after a read: a skip is only against what this process read, not what it wrote.
      await x.get(id);
      await x.set(id, sessionOf({ cart: "C" }));
      await y.set(id, sessionOf({ cart: "B" }));
      await x.set(id, sessionOf({ cart: "C" }));
      await expect(y.get(id)).resolves.toMatchObject({ cart: "C" });
    } finally {
      await y.close();
      await otherPrisma.$disconnect();
    }
  });

  test("writing back what this process just read sends no statement, even if another server wrote since", async () => {
    const { store, table } = await newStore();
    const id = randomId();
    await store.set(id, sessionOf({ cart: "A" }));
    await store.get(id);
    await ctx.admin.query(`UPDATE "${table}" SET a_session = $2 WHERE id = $1`, [id, '{"json":{"cart":"B"}}']); // another server
    // The request read A and changed nothing: keeping B loses nothing it meant to write.
    expect(await statementsDuring(() => store.set(id, sessionOf({ cart: "A" })))).toEqual([]);
    expect((await rowOf(table, id)).a_session).toBe('{"json":{"cart":"B"}}');
  });

  test("a session destroyed elsewhere is not resurrected by a late save of this process", async () => {
    const { store, table } = await newStore();
    const id = randomId();
    await store.set(id, sessionOf({ user: "ann" }));
    await store.get(id);
    await ctx.admin.query(`DELETE FROM "${table}" WHERE id = $1`, [id]); // logout served by another instance
    await store.set(id, sessionOf({ user: "ann", cart: 1 }));
    expect(await rowOf(table, id)).toBeUndefined();
  });
});

describe("listing, clearing, pruning", () => {
  test("rows that cannot be decoded are skipped by all, ids and length alike, and their number is logged", async () => {
    const logged: Array<{ message: string; error: unknown }> = [];
    const { store, table } = await newStore({ logger: { error: (message, error) => logged.push({ message, error }) } });
    const live = randomId();
    await store.set(live, sessionOf({ user: "ann" }));
    const lifecycle = (await new SessionManager({ prisma: ctx.counting.prisma, tableName: table }).create({ user: "bob" })).id;
    const rows: Array<[string, string | null, Date | null]> = [
      [randomId(), "{broken", new Date(T0 + hour)], // corrupt
      [randomId(), null, new Date(T0 + hour)], // NULL payload
      [randomId(), "BQkDAAAAAQoDYm9iAAAABHVzZXI=", null], // Apache::Session's Storable + Base64, no expiry
    ];
    for (const row of rows) await ctx.admin.query(`INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, $2, $3)`, row);

    const all = await store.all();
    expect(all.map((s) => s.id).sort()).toEqual([live, lifecycle].sort());
    expect(all.find((s) => s.id === live)).toMatchObject({ user: "ann" });
    expect((await store.ids()).sort()).toEqual([live, lifecycle].sort());
    expect(await store.length()).toBe(all.length);
    expect(logged).toHaveLength(3); // once per listing call
    for (const { message, error } of logged) {
      expect(message).toMatch(/skipped 3 row\(s\)/);
      expect(message).not.toContain(rows[2]![0]); // no id: it may be a live session of another program
      expect(error).toBeInstanceOf(CorruptPayloadError);
    }
    // Every listed id is one get returns a session for.
    for (const id of await store.ids()) await expect(store.get(id)).resolves.not.toBeNull();
  });

  test("all, ids and length see live sessions only; clear empties the table", async () => {
    const { store, table } = await newStore();
    const live = randomId();
    const forever = randomId();
    await store.set(live, sessionOf({ n: 1 }));
    await ctx.admin.query(`INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, $2, $3)`, [
      randomId(),
      '{"json":{}}',
      new Date(T0 - 1),
    ]);
    await ctx.admin.query(`INSERT INTO "${table}" (id, a_session) VALUES ($1, $2)`, [forever, '{"json":{"seed":true}}']);
    expect((await store.ids())!.sort()).toEqual([live, forever].sort());
    expect(await store.length()).toBe(2);
    expect((await store.all())!.find((s) => s.id === live)).toMatchObject({ id: live, n: 1 });
    await store.clear();
    expect(await store.length()).toBe(0);
  });

  test("prune deletes only expired rows, in batches of one indexed statement each", async () => {
    const { store, table } = await newStore({ pruneBatchSize: 3 });
    for (let i = 0; i < 10; i++) {
      await ctx.admin.query(`INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, '{}', $2)`, [
        randomId(),
        new Date(T0 - 1000 * (i + 1)),
      ]);
    }
    const keep = randomId();
    await ctx.admin.query(`INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, '{}', $2)`, [keep, new Date(T0 + 1)]);
    await ctx.admin.query(`INSERT INTO "${table}" (id, a_session) VALUES ($1, '{}')`, [randomId()]);
    let deleted = 0;
    const statements = await statementsDuring(async () => {
      deleted = await store.prune();
    });
    expect(deleted).toBe(10);
    expect(statements).toHaveLength(4);
    const { rows } = await ctx.admin.query(`SELECT count(*)::int AS n FROM "${table}"`);
    expect(rows[0].n).toBe(2);
    // The batch's row search can use the expiry index (forced here: the table is tiny). SET LOCAL in
    // a transaction, so the setting neither leaks to a pooled server connection (PgBouncer) nor is lost
    // between the two statements.
    const client = await ctx.admin.connect();
    try {
      await client.query("BEGIN");
      await client.query("SET LOCAL enable_seqscan = off");
      const plan = await client.query(`EXPLAIN SELECT id FROM "${table}" WHERE expires_at <= now() LIMIT 3 FOR UPDATE SKIP LOCKED`);
      expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toContain(`${table}_expires_at_idx`);
    } finally {
      await client.query("ROLLBACK");
      client.release();
    }
  });

  test("background pruning logs failures, keeps going, and never crashes the process", async () => {
    const failures: unknown[] = [];
    const logger: Logger = {
      error: (_message, error) => {
        failures.push(error);
        if (failures.length === 1) throw new Error("a broken logger must not stop pruning either");
      },
    };
    const store = new PgSessionStore({ prisma: ctx.counting.prisma, tableName: "missing_table", pruneSessionInterval: 0.01, logger });
    try {
      await eventually(async () => failures.length >= 3);
      expect(failures[0]).toBeInstanceOf(TableNotFoundError);
    } finally {
      await store.close();
    }
    const seen = failures.length;
    // Closed, it prunes no more: while a store with the same interval fails five more times, the closed
    // one adds at most the run that was under way when it closed. (Waiting on a running timer's runs,
    // not on a fixed time: a timer close() left running would have fired about as often.)
    const control: unknown[] = [];
    const running = new PgSessionStore({
      prisma: ctx.counting.prisma,
      tableName: "missing_table",
      pruneSessionInterval: 0.01,
      logger: { error: (_message, error) => void control.push(error) },
    });
    try {
      await eventually(async () => control.length >= 5);
    } finally {
      await running.close();
    }
    expect(control[0]).toBeInstanceOf(TableNotFoundError);
    expect(failures.length).toBeLessThanOrEqual(seen + 1);
  });

  test("background pruning removes expired rows on its own", async () => {
    const table = await ctx.newTable("adapter");
    await ctx.admin.query(`INSERT INTO "${table}" (id, a_session, expires_at) VALUES ($1, '{}', now() - interval '1 minute')`, [
      randomId(),
    ]);
    const store = new PgSessionStore({ prisma: ctx.counting.prisma, tableName: table, pruneSessionInterval: 0.01 });
    try {
      await eventually(async () => (await ctx.admin.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n === 0);
    } finally {
      await store.close();
    }
  });
});

describe("options and ids", () => {
  test.each([
    ["ttl", { ttl: -1 }],
    ["touchAfter", { touchAfter: Number.NaN }],
    ["pruneSessionInterval", { pruneSessionInterval: 0 }],
    ["pruneBatchSize", { pruneBatchSize: 0 }],
    ["cacheSize", { cacheSize: -1 }],
  ])("a bad %s is a RangeError naming it", (name, extra) => {
    const construct = () => new PgSessionStore({ prisma: ctx.counting.prisma, ...extra });
    expect(construct).toThrow(RangeError);
    expect(construct).toThrow(new RegExp(`^${name} must be `));
  });

  test("express-session's default ids (base64url, 32 chars) fit; longer ones are refused by writes, not found by get", async () => {
    const { store } = await newStore();
    const sid = "AbC-_dEf0123456789ghijklmnopqrst";
    await store.set(sid, sessionOf({ ok: true }));
    await expect(store.get(sid)).resolves.toMatchObject({ ok: true });
    const tooLong = store.set(`${sid}x`, sessionOf({ ok: true }));
    await expect(tooLong).rejects.toThrow(InvalidSessionIdError);
    await expect(tooLong).rejects.toThrow(/holds 32/);
    const statements = await statementsDuring(async () => {
      await expect(store.get(`${sid}x`)).resolves.toBeNull(); // no row can have it: no SQL either
      await expect(store.get("has space")).resolves.toBeNull();
    });
    expect(statements).toEqual([]);
    await expect(store.get(42 as unknown as string)).rejects.toBeInstanceOf(InvalidSessionIdError); // a bug, not a cookie
  });

  test("close is idempotent and stops the timer", async () => {
    const store = new PgSessionStore({ prisma: ctx.counting.prisma, pruneSessionInterval: 3600 });
    await Promise.all([store.close(), store.close()]);
    await expect(store.get(randomId())).rejects.toBeInstanceOf(StoreClosedError);
    // The given client is not the adapter's to close.
    await expect(ctx.counting.prisma.$queryRawUnsafe("SELECT 1 AS one")).resolves.toEqual([{ one: 1 }]);
  });
});

describe("Prisma integration", () => {
  test("an $extends client is accepted, and the Prisma model reads what the adapter wrote", async () => {
    const table = await ctx.newTable("adapter");
    const extended = ctx.counting.prisma.$extends({ client: { $tag: () => "extended" } });
    const store = new PgSessionStore({ prisma: extended, tableName: table, pruneSessionInterval: false, now: () => T0 });
    const id = randomId();
    await store.set(id, sessionOf({ user: "ann" }));
    // The generated model maps `sessions`; point the same SQL at this test's table through the model's columns.
    const [row] = await ctx.counting.prisma.$queryRawUnsafe<Array<{ expires_at: Date }>>(
      `SELECT expires_at FROM "${table}" WHERE id = $1`,
      id,
    );
    expect(row!.expires_at.getTime()).toBe(T0 + hour);
  });

  test("the Prisma schema matches the migrated table: the model API reads and writes `sessions`", async () => {
    const id = randomId();
    const store = new PgSessionStore({ prisma: ctx.counting.prisma, pruneSessionInterval: false, now: () => T0 });
    await store.set(id, sessionOf({ user: "model" }));
    const found = await ctx.counting.prisma.session.findUnique({ where: { id } });
    expect(found).toMatchObject({ id, expiresAt: new Date(T0 + hour) });
    expect(found!.a_session).toContain('"user":"model"');
    await ctx.counting.prisma.session.delete({ where: { id } });
    await expect(store.get(id)).resolves.toBeNull();
  });
});
