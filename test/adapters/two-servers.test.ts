import { eventually } from "../support/database.ts";
import { CookieClient } from "../support/http.ts";
import type { Framework } from "../support/session-app.ts";
import { startAppProcess, type AppProcess } from "../support/session-app-process.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// Two instances of one app, each in its own process with its own store and write cache, on one table:
// what a deployment behind a load balancer is. The browser's requests go to either.

let ctx: TestContext;
beforeAll(async () => {
  ctx = await initTest();
});
afterAll(() => destroyTest(ctx));

test.each<Framework>(["express", "fastify"])(
  "%s: the last write wins across two servers (write avoidance never skips a write another server overwrote)",
  async (framework) => {
    const table = await ctx.newTable("two");
    const [x, y]: [AppProcess, AppProcess] = await Promise.all([startAppProcess(framework, table), startAppProcess(framework, table)]);
    try {
      const viaX = new CookieClient(x.url);
      const viaY = new CookieClient(y.url, viaX.cookies); // one browser
      const control = new CookieClient(x.url); // no cookie: its requests load no session
      await viaX.request("POST", "/set/A");

      // 1. A request to X loads the session (A) and is held there.
      const held = viaX.request("POST", "/held/set/C");
      await eventually(async () => (await control.request("GET", "/held")).body.waiting === 1);
      // 2. Another request to X stores C; 3. then one to Y stores B.
      expect((await viaX.request("POST", "/set/C")).body.v).toBe("C");
      expect((await viaY.request("POST", "/set/B")).body.v).toBe("B");
      // 4. The held request changes A to C and saves last: its C must be what is stored. X's store
      // last wrote C itself, but Y wrote B since, so skipping this write would leave B.
      await control.request("POST", "/release");
      expect((await held).body.v).toBe("C");
      expect((await viaY.request("GET", "/v")).body.v).toBe("C");
      expect((await viaX.request("GET", "/v")).body.v).toBe("C");
    } finally {
      await Promise.all([x.stop(), y.stop()]);
    }
  },
  60_000,
);
