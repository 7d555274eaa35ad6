// The Next.js example (examples/next): built with `next build` (Turbopack, type-checked, compiling the
// library's sources through its tsconfig path), served by `next start`, and driven over HTTP: its Route
// Handlers, its Server Actions as a browser without JavaScript posts them (the forms' action ids), and
// the same page in Chromium, whose React calls the Server Actions with fetch.
import type pg from "pg";
import type { Browser } from "playwright-core";
import { launchChromium } from "../support/chromium.ts";
import { adminPool, createTable, testDatabaseUrl } from "../support/database.ts";
import { buildExample, copyExample, startExample, type ExampleCopy, type ExampleServer } from "../support/next-example.ts";
import { cookieHeader, sessionIdOf, signedCookie } from "../adapters/web/fixture.ts";

const secret = "next example secret";

let admin: pg.Pool;
let table: string;
let copy: ExampleCopy | undefined;
let server: ExampleServer | undefined;
let buildOutput = "";

beforeAll(async () => {
  admin = adminPool(2);
  table = await createTable(admin, "nextex");
  copy = copyExample();
  const started = Date.now();
  buildOutput = await buildExample(copy.dir);
  console.log(`next build of examples/next: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  server = await startExample(copy.dir, { DATABASE_URL: testDatabaseUrl(), SESSION_SECRET: secret, SESSION_TABLE: table });
}, 660_000);

afterAll(async () => {
  await server?.stop();
  copy?.remove();
  await admin?.query(`DROP TABLE IF EXISTS "${table}"`);
  await admin?.end();
}, 60_000);

interface Reply {
  status: number;
  setCookies: string[];
  body: any;
}

async function call(
  method: string,
  path: string,
  options: { cookie?: string | undefined; json?: unknown; form?: FormData } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.cookie !== undefined) headers["cookie"] = options.cookie;
  let body: string | FormData | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  if (options.form !== undefined) {
    // A browser's form post: Next.js checks Server Action requests' Origin against the Host.
    headers["origin"] = server!.url;
    body = options.form;
  }
  const response = await fetch(server!.url + path, { method, headers, body, redirect: "manual" });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get("content-type") ?? "").includes("application/json")) parsed = JSON.parse(text);
  return { status: response.status, setCookies: response.headers.getSetCookie(), body: parsed };
}

async function row(id: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await admin.query(`SELECT a_session FROM "${table}" WHERE id = $1`, [id]);
  return rows[0] === undefined ? undefined : (JSON.parse(rows[0].a_session).json as Record<string, unknown>);
}

async function login(user: string, cookie?: string): Promise<{ cookie: string; id: string; setCookie: string }> {
  const reply = await call("POST", "/api/session", { json: { user }, cookie });
  expect(reply.status).toBe(200);
  expect(reply.setCookies).toHaveLength(1);
  const setCookie = reply.setCookies[0]!;
  return { cookie: cookieHeader(setCookie), id: sessionIdOf(setCookie, secret), setCookie };
}

test("the build: every route dynamic, Turbopack, type-checked, and no database needed to build", () => {
  expect(buildOutput).toContain("(Turbopack)");
  expect(buildOutput).toMatch(/Finished TypeScript/);
  for (const route of ["/", "/api/count", "/api/session"])
    expect(buildOutput).toMatch(new RegExp(`ƒ ${route.replaceAll("/", "\\/")}\\s*$`, "m"));
});

describe("Route Handlers", () => {
  test("a visitor gets an empty session and no cookie; a login sets express-session's signed cookie; the session persists", async () => {
    const visitor = await call("GET", "/api/session");
    expect(visitor.body).toEqual({ isNew: true, user: null, count: 0 });
    expect(visitor.setCookies).toEqual([]);

    const { cookie, id, setCookie } = await login("ann");
    // Set through cookies().set: Next.js' serializer, the example's attributes (secure: NODE_ENV is production).
    expect(setCookie).toMatch(
      /^connect\.sid=s%3A[A-Za-z0-9_-]{32}\.[^;]+; Path=\/; Expires=[^;]+ GMT; Max-Age=86400; Secure; HttpOnly; SameSite=lax$/,
    );
    expect(await row(id)).toMatchObject({ user: "ann" });

    for (let i = 0; i < 2; i++) {
      const me = await call("GET", "/api/session", { cookie });
      expect(me.body).toEqual({ isNew: false, user: "ann", count: 0 });
      expect(me.setCookies).toEqual([]); // get() alone reads: no write, no cookie
    }
    // A save (here the locked +1) sends the cookie again, its expiry moved (express-session's `rolling`).
    const plusOne = await call("POST", "/api/count", { cookie });
    expect(plusOne.body).toEqual({ count: 1 });
    expect(sessionIdOf(plusOne.setCookies[0], secret)).toBe(id);
  });

  test("a login with a session rotates it: a new id, the old one no longer works", async () => {
    const first = await login("ann");
    const second = await login("bob", first.cookie);
    expect(second.id).not.toBe(first.id);
    expect(await row(first.id)).toBeUndefined();
    expect((await call("GET", "/api/session", { cookie: first.cookie })).body).toMatchObject({ isNew: true });
    expect((await call("GET", "/api/session", { cookie: second.cookie })).body).toMatchObject({ isNew: false, user: "bob" });
  });

  test("20 concurrent POST /api/count with one cookie end at exactly 20 (row-locked)", async () => {
    const { cookie, id } = await login("counter");
    const replies = await Promise.all(Array.from({ length: 20 }, () => call("POST", "/api/count", { cookie })));
    for (const reply of replies) expect(reply.status).toBe(200);
    expect(replies.map((r) => r.body.count as number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await call("GET", "/api/session", { cookie })).body).toMatchObject({ count: 20 });
    expect(await row(id)).toMatchObject({ user: "counter", count: 20 });
  });

  test("logout deletes the row and clears the cookie; the old cookie then gives a new session", async () => {
    const { cookie, id } = await login("leaving");
    const out = await call("DELETE", "/api/session", { cookie });
    expect(out.body).toEqual({ ok: true });
    expect(out.setCookies).toEqual([
      "connect.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly; SameSite=lax",
    ]);
    expect(await row(id)).toBeUndefined();
    const after = await call("GET", "/api/session", { cookie });
    expect(after.body).toEqual({ isNew: true, user: null, count: 0 });
    expect(after.setCookies).toEqual([]);
  });

  test("a bad cookie (unsigned, another secret's, garbage) gives a fresh session and leaves the real one alone", async () => {
    const { id } = await login("target");
    for (const bad of [
      `connect.sid=${encodeURIComponent(`s:${id}`)}`,
      signedCookie(id, "not the secret"),
      `connect.sid=${id}`,
      "connect.sid=%%%",
    ]) {
      const reply = await call("GET", "/api/session", { cookie: bad });
      expect(reply.body).toEqual({ isNew: true, user: null, count: 0 });
      expect(reply.setCookies).toEqual([]);
      // A locked write through a forged cookie lands in a new session, not in the target's.
      const count = await call("POST", "/api/count", { cookie: bad });
      expect(count.body).toEqual({ count: 1 });
      expect(sessionIdOf(count.setCookies[0], secret)).not.toBe(id);
    }
    expect(await row(id)).toEqual(expect.not.objectContaining({ count: expect.anything() }));
  });
});

describe("Server Actions", () => {
  /** The action id of the form `formId` in the page's HTML (Next.js renders it for posts without JavaScript). */
  function actionId(html: string, formId: string): string {
    const match = new RegExp(`<form id="${formId}"[^>]*>(?:(?!</form>).)*?name="\\$ACTION_ID_([0-9a-f]+)"`, "s").exec(html);
    if (match === null) throw new Error(`no server action form #${formId} in:\n${html}`);
    return match[1]!;
  }

  function form(id: string, fields: Record<string, string> = {}): FormData {
    const data = new FormData();
    data.append(`$ACTION_ID_${id}`, "");
    for (const [name, value] of Object.entries(fields)) data.append(name, value);
    return data;
  }

  test("posted as plain forms: login, +1 under the lock, logout; the page renders each result with the new cookie", async () => {
    const page = await call("GET", "/");
    expect(page.status).toBe(200);
    expect(page.body).toContain("Not signed in.");
    expect(page.setCookies).toEqual([]);

    const signIn = await call("POST", "/", { form: form(actionId(page.body, "login"), { user: "carol" }) });
    expect(signIn.status).toBe(200);
    expect(signIn.setCookies).toHaveLength(1);
    const id = sessionIdOf(signIn.setCookies[0], secret);
    const cookie = cookieHeader(signIn.setCookies[0]);
    expect(signIn.body).toMatch(/Signed in as <b>carol<\/b>/); // rendered after the action, with the cookie it set
    expect(await row(id)).toMatchObject({ user: "carol" });

    for (const expected of [1, 2]) {
      const plusOne = await call("POST", "/", { cookie, form: form(actionId(signIn.body, "increment")) });
      expect(plusOne.body).toMatch(new RegExp(`Counter: <b>${expected}</b>`));
      expect(sessionIdOf(plusOne.setCookies[0], secret)).toBe(id);
    }
    expect((await call("GET", "/api/session", { cookie })).body).toEqual({ isNew: false, user: "carol", count: 2 });

    const signOut = await call("POST", "/", { cookie, form: form(actionId(signIn.body, "logout")) });
    expect(signOut.setCookies).toEqual([
      "connect.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly; SameSite=lax",
    ]);
    expect(signOut.body).toContain("Not signed in.");
    expect(await row(id)).toBeUndefined();
  });

  describe("in Chromium (React calls the actions with fetch)", () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    test("sign in, count, reload, sign out", async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(server!.url);
      // Hydrated: React, not the browser, submits the forms from now on.
      await page.waitForLoadState("networkidle");
      await page.fill("input[name=user]", "dana");
      const actionRequest = page.waitForRequest((request) => request.method() === "POST" && request.headers()["next-action"] !== undefined);
      await page.click("#login button");
      expect((await actionRequest).headers()["next-action"]).toMatch(/^[0-9a-f]+$/);
      await page.waitForSelector("#user");
      expect(await page.textContent("#user")).toContain("dana");

      await page.click("#increment button");
      await page.waitForFunction(`document.querySelector("#count b")?.textContent === "1"`);
      await page.click("#increment button");
      await page.waitForFunction(`document.querySelector("#count b")?.textContent === "2"`);

      const cookies = await context.cookies();
      expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([["connect.sid", true, "Lax"]]);
      const id = sessionIdOf(`connect.sid=${cookies[0]!.value}`, secret);
      expect(await row(id)).toMatchObject({ user: "dana", count: 2 });

      await page.reload();
      expect(await page.textContent("#count b")).toBe("2");

      await page.click("#logout button");
      await page.waitForSelector("#login");
      expect(await context.cookies()).toEqual([]);
      expect(await row(id)).toBeUndefined();
      await context.close();
    }, 60_000);
  });
});
