import { randomBytes } from "node:crypto";
import pg from "pg";
import { PostgresStore } from "../../src/index.ts";
import { newPrismaClient, randomId, testDatabaseUrl } from "../support/database.ts";

/** The test database's URL with an application_name of its own, to find this pool's backends. */
function taggedUrl(): { url: string; tag: string } {
  const tag = `listeners_${randomBytes(4).toString("hex")}`;
  const url = new URL(testDatabaseUrl());
  url.searchParams.set("application_name", tag);
  return { url: url.toString(), tag };
}

/** Terminates every backend of `tag` from another connection (what a server restart or an admin does). */
async function terminateBackends(tag: string): Promise<number> {
  const admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  try {
    const { rows } = await admin.query("SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1", [tag]);
    return rows.length;
  } finally {
    await admin.end();
  }
}

/** Resolves with the first value `listener` receives, or rejects after `ms`. */
function firstCall<T>(ms: number): { listener: (value: T) => void; received: Promise<T> } {
  let listener!: (value: T) => void;
  const received = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not called within ${ms} ms`)), ms);
    listener = (value) => {
      clearTimeout(timer);
      resolve(value);
    };
  });
  return { listener, received };
}

function listenerCounts(pool: pg.Pool): Record<string, number> {
  return Object.fromEntries(["error", "connect", "acquire", "release", "remove"].map((event) => [event, pool.listenerCount(event)]));
}

describe("a pgPool of the app's", () => {
  let pool: pg.Pool;
  let tag: string;
  beforeEach(() => {
    const tagged = taggedUrl();
    tag = tagged.tag;
    pool = new pg.Pool({ connectionString: tagged.url, max: 2 });
    // The app's own handler, as node-postgres asks of every pool.
    pool.on("error", () => undefined);
  });
  afterEach(async () => {
    await pool.end();
  });

  test("gets no listener from the store: statements, transactions and close leave the counts as they were", async () => {
    const before = listenerCounts(pool);
    const store = new PostgresStore({ pgPool: pool });
    const id = randomId();
    await store.insert({ id, serialized: "x" });
    await store.transaction(async (tx) => {
      await tx.materialize({ id, serialized: null });
      expect(listenerCounts(pool)).toEqual(before);
    });
    expect(listenerCounts(pool)).toEqual(before);
    await store.close();
    expect(listenerCounts(pool)).toEqual(before);
    // And no connection of the pool keeps a listener the store added.
    const client = await pool.connect();
    try {
      expect(client.listenerCount("error")).toBe(0);
    } finally {
      client.release();
    }
  });

  test("onPoolError hears an idle connection's failure while the store is open; close() removes its listener", async () => {
    const before = pool.listenerCount("error");
    const { listener, received } = firstCall<Error>(10_000);
    const store = new PostgresStore({ pgPool: pool, onPoolError: listener });
    expect(pool.listenerCount("error")).toBe(before + 1);
    await store.execute("SELECT 1", []);
    expect(await terminateBackends(tag)).toBe(1);
    expect((await received).message).toMatch(/terminating connection/);
    await store.close();
    expect(pool.listenerCount("error")).toBe(before);
  });

  test("onConnectionError hears a connection the store holds in a transaction fail; the transaction fails too", async () => {
    const { listener, received } = firstCall<Error>(10_000);
    const store = new PostgresStore({ pgPool: pool, onConnectionError: listener });
    await expect(store.transaction((tx) => tx.query("SELECT pg_terminate_backend(pg_backend_pid())", []))).rejects.toThrow();
    expect(await received).toBeInstanceOf(Error);
    await store.close();
  });
});

describe("the store's own pool (datasourceUrl)", () => {
  test("reports an idle connection's failure to onPoolError instead of swallowing it", async () => {
    const { url, tag } = taggedUrl();
    const { listener, received } = firstCall<Error>(10_000);
    const store = new PostgresStore({ datasourceUrl: url, onPoolError: listener });
    try {
      await store.execute("SELECT 1", []);
      expect(await terminateBackends(tag)).toBe(1);
      expect((await received).message).toMatch(/terminating connection/);
      // The pool dropped the dead connection: the next statement opens another.
      await expect(store.query("SELECT 1 AS one", [])).resolves.toEqual([{ one: 1 }]);
    } finally {
      await store.close();
    }
  });

  test("reports a failing connection it holds to onConnectionError", async () => {
    const { url } = taggedUrl();
    const { listener, received } = firstCall<Error>(10_000);
    const store = new PostgresStore({ datasourceUrl: url, onConnectionError: listener });
    try {
      await expect(store.transaction((tx) => tx.query("SELECT pg_terminate_backend(pg_backend_pid())", []))).rejects.toThrow();
      expect(await received).toBeInstanceOf(Error);
    } finally {
      await store.close();
    }
  });
});

test("onPoolError and onConnectionError are refused with a Prisma client, which reports its own", async () => {
  const prisma = newPrismaClient();
  try {
    expect(() => new PostgresStore({ prisma, onPoolError: () => undefined })).toThrow(TypeError);
    expect(() => new PostgresStore({ prisma, onConnectionError: () => undefined })).toThrow(/onPoolError.*onConnectionError/);
    expect(() => new PostgresStore({ pgPool: new pg.Pool(), onPoolError: "log" as never })).toThrow(/onPoolError must be a function/);
  } finally {
    await prisma.$disconnect();
  }
});
