import pg from "pg";
import { PgSessionStore } from "../../src/adapters/express-session/index.ts";
import { PostgresStore, SessionManager } from "../../src/index.ts";
import { testDatabaseUrl } from "../support/database.ts";
import { thrownBy } from "../support/thrown-by.ts";

// No test here touches the database: options are refused in the constructors, before any connection.
const pgPool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 1 });
afterAll(async () => {
  await pgPool.end();
});

describe("PgSessionStore runs single statements: transaction options are refused, not ignored", () => {
  test.each([
    ["commit", { commit: false }],
    ["maxWait", { maxWait: 100 }],
    ["timeout", { timeout: 100 }],
    ["isolationLevel", { isolationLevel: "Serializable" }],
  ])("%s", (name, extra) => {
    const error = thrownBy(() => new PgSessionStore({ pgPool, pruneSessionInterval: false, ...(extra as object) }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain(`PgSessionStore does not use the option ${name}`);
  });

  test("several at once are all named", () => {
    const error = thrownBy(() => new PgSessionStore({ pgPool, pruneSessionInterval: false, ...({ commit: true, timeout: 5 } as object) }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/options commit, timeout/);
  });

  test("a misspelt option is named too; an option set to undefined counts as not given", () => {
    const error = thrownBy(() => new PgSessionStore({ pgPool, ...({ pruneSessionIntervall: false } as object) }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("pruneSessionIntervall");
    const store = new PgSessionStore({ pgPool, pruneSessionInterval: false, ...({ commit: undefined } as object) });
    return store.close();
  });
});

describe("PostgresStore and SessionManager refuse what they do not read", () => {
  test("a store given adapter or lifecycle options names them", () => {
    const error = thrownBy(() => new PostgresStore({ pgPool, ...({ ttl: 60, idLength: 20 } as object) }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe("PostgresStore does not use the options ttl, idLength");
  });

  test("a manager given adapter options names them", () => {
    const error = thrownBy(() => new SessionManager({ pgPool, ...({ pruneSessionInterval: 60 } as object) }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe("SessionManager does not use the option pruneSessionInterval");
  });
});

describe("SessionManager checks transaction options as the store does", () => {
  const store = new PostgresStore({ pgPool });

  test.each([
    ["maxWait", { maxWait: -5 }, /maxWait must be a positive number of milliseconds, got -5/],
    ["timeout", { timeout: 0 }, /timeout must be a positive number of milliseconds, got 0/],
    ["isolationLevel", { isolationLevel: "Snapshot" }, /isolationLevel must be one of .*got Snapshot/],
  ])("%s, beside an existing store and building its own", (_name, bad, message) => {
    for (const options of [
      { store, ...bad },
      { pgPool, ...bad },
    ]) {
      const error = thrownBy(() => new SessionManager(options as never));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toMatch(message);
    }
  });

  test("and per unit of work, before anything runs", async () => {
    const sessions = new SessionManager({ store });
    let calls = 0;
    const fn = async () => {
      calls++;
    };
    await expect(sessions.open("a".repeat(32), fn, { maxWait: -1 })).rejects.toThrow(RangeError);
    await expect(store.transaction(fn, { timeout: Number.NaN })).rejects.toThrow(/timeout must be a positive number/);
    expect(calls).toBe(0);
  });
});
