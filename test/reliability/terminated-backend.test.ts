import { SessionManager, StoreUnavailableError } from "../../src/index.ts";
import { deferred, eventually, randomId, storedRow } from "../support/database.ts";
import { FaultProxy } from "../support/fault-proxy.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// A backend that PostgreSQL terminates (fast shutdown, pg_terminate_backend, an idle-session timeout)
// sends FATAL 57P01 and closes the connection. Whatever the library was doing with that connection, the
// unit of work gets StoreUnavailableError, nothing of it is written, the next unit works, and the
// process lives on: an 'error' event on a node-postgres client that nobody listens to is an uncaught
// exception, and Jest reports it as this test's failure.

let ctx: TestContext;
let proxy: FaultProxy;
beforeAll(async () => {
  ctx = await initTest();
  const direct = new URL(ctx.url);
  proxy = await FaultProxy.start(Number(direct.port || 5432), direct.hostname);
  ctx.cleanup(() => proxy.close());
});
afterAll(() => destroyTest(ctx));

/** The test database's URL, through the fault proxy when asked, with an application_name to find its backends. */
function urlOf(name: string, throughProxy: boolean): string {
  const url = new URL(ctx.url);
  if (throughProxy) {
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
  }
  url.searchParams.set("application_name", name);
  return url.toString();
}

const counterOf = async (id: string) => JSON.parse((await storedRow(ctx.admin, id))!.a_session!).json.n as number;

test("terminated while the unit of work holds its connection (idle in transaction): StoreUnavailableError, nothing written", async () => {
  const name = `term_${randomId().slice(0, 10)}`;
  const sessions = new SessionManager({ datasourceUrl: urlOf(name, false) });
  try {
    const { id } = await sessions.create({ n: 0 });
    const inside = deferred();
    const terminated = deferred();
    const unit = sessions
      .open(id, async (s) => {
        inside.resolve();
        await terminated.promise;
        s.data["n"] = 1;
      })
      .catch((error: unknown) => error);
    await inside.promise;
    await eventually(async () => {
      const { rows } = await ctx.admin.query(
        "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'",
        [name],
      );
      return rows.length === 1 && rows[0].done === true;
    });
    // The FATAL reaches the client while nothing runs on it: only an error listener stands between it
    // and an uncaught exception. Give it the time to arrive before the unit continues.
    await eventually(
      async () =>
        (
          await ctx.admin.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
            [name],
          )
        ).rows[0].n === 0,
    );
    terminated.resolve();
    expect(await unit).toBeInstanceOf(StoreUnavailableError);
    expect(await counterOf(id)).toBe(0);
    await expect(sessions.open(id, (s) => (s.data["n"] = (s.data["n"] as number) + 1))).resolves.toBe(1);
  } finally {
    await sessions.close();
  }
});

// When the server shuts down right after a backend finished a query, the client reads that query's
// ReadyForQuery and the FATAL in one chunk. The pool hands the freed connection to the next waiting unit
// of work synchronously, before the unit has attached an error listener (a promise continuation later):
// the FATAL is emitted on a client nobody listens to. A real fast shutdown under load hits this now and
// then; the proxy produces the same bytes every time.
test("terminated right after a query, while a unit of work waits for that connection: StoreUnavailableError, the process lives on", async () => {
  // batch: false, so the read is sent at once and takes the connection first (coalesced, it would go
  // out a tick later, after the unit of work has taken the connection).
  const sessions = new SessionManager({ datasourceUrl: urlOf(`race_${randomId().slice(0, 10)}`, true), pool: { max: 1 }, batch: false });
  try {
    const { id } = await sessions.create({ n: 0 });
    proxy.arm();
    // The read holds the only connection; the unit of work waits for it and gets it the moment the
    // read's ReadyForQuery arrives, with the FATAL right behind it.
    const [read, unit] = await Promise.allSettled([sessions.read(id), sessions.open(id, (s) => void (s.data["n"] = 1))]);
    expect(proxy.injected).toBe(1);
    expect(read.status).toBe("fulfilled");
    expect(unit.status).toBe("rejected");
    expect((unit as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    expect(await counterOf(id)).toBe(0);
    await expect(sessions.open(id, (s) => (s.data["n"] = (s.data["n"] as number) + 1))).resolves.toBe(1);
  } finally {
    await sessions.close();
  }
});

test("the same race with coalesced reads: whichever statement meets the FATAL fails with StoreUnavailableError, nothing half-written", async () => {
  const sessions = new SessionManager({ datasourceUrl: urlOf(`race_${randomId().slice(0, 10)}`, true), pool: { max: 1 } });
  try {
    const { id } = await sessions.create({ n: 0 });
    const injectedBefore = proxy.injected;
    proxy.arm();
    const [read, unit] = await Promise.allSettled([sessions.read(id), sessions.open(id, (s) => void (s.data["n"] = 1))]);
    expect(proxy.injected).toBe(injectedBefore + 1);
    for (const outcome of [read, unit]) {
      if (outcome.status === "rejected") expect(outcome.reason).toBeInstanceOf(StoreUnavailableError);
    }
    expect([read.status, unit.status]).toContain("rejected");
    expect(await counterOf(id)).toBe(unit.status === "fulfilled" ? 1 : 0);
    await expect(sessions.read(id)).resolves.toMatchObject({ id });
  } finally {
    await sessions.close();
  }
});
