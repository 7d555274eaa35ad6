// What the web adapters' test files share: a table of the file's own, a pool whose connections record
// every statement (counted at the driver), and helpers to read cookies and rows.
import { createHmac } from "node:crypto";
import type pg from "pg";
import { adminPool, createTable } from "../../support/database.ts";
import { countingPool, type CountingPool } from "../../support/counting-pool.ts";

export interface WebFixture {
  table: string;
  admin: pg.Pool;
  counting: CountingPool;
  /** The statements recorded since the last call (and forgets them). */
  take(): string[];
  /** The stored row of key `id`, or undefined. */
  row(id: string): Promise<{ a_session: string; expires_at: Date | null } | undefined>;
  close(): Promise<void>;
}

export async function webFixture(prefix: string): Promise<WebFixture> {
  const admin = adminPool(2);
  const table = await createTable(admin, prefix);
  const counting = countingPool(10);
  return {
    table,
    admin,
    counting,
    take: () => counting.statements.splice(0),
    row: async (id) => (await admin.query(`SELECT a_session, expires_at FROM "${table}" WHERE id = $1`, [id])).rows[0],
    close: async () => {
      await counting.close();
      await admin.end();
    },
  };
}

/** The session id in a `Set-Cookie` value of express-session's format, checked against `secret`. */
export function sessionIdOf(setCookie: string | undefined, secret: string, name = "connect.sid"): string {
  if (setCookie === undefined) throw new Error("no Set-Cookie");
  const [pair] = setCookie.split(";");
  expect(pair!.startsWith(`${name}=`)).toBe(true);
  const value = decodeURIComponent(pair!.slice(name.length + 1));
  const match = /^s:(.*)\.([^.]*)$/.exec(value);
  if (match === null) throw new Error(`not a signed session cookie: ${value}`);
  expect(match[2]).toBe(createHmac("sha256", secret).update(match[1]!).digest("base64").replace(/=+$/, ""));
  return match[1]!;
}

/** The `Cookie` request header a browser sends back for a `Set-Cookie` value. */
export function cookieHeader(setCookie: string | undefined): string {
  if (setCookie === undefined) throw new Error("no Set-Cookie");
  return setCookie.split(";")[0]!;
}

/** A cookie of express-session's format for any id, signed with `secret`. */
export function signedCookie(id: string, secret: string, name = "connect.sid"): string {
  const signature = createHmac("sha256", secret).update(id).digest("base64").replace(/=+$/, "");
  return `${name}=${encodeURIComponent(`s:${id}.${signature}`)}`;
}

/** Only data statements (no BEGIN/COMMIT): SELECT, INSERT, UPDATE, DELETE. */
export function dataStatements(statements: string[]): string[] {
  return statements.filter((s) => /^\s*(SELECT|INSERT|UPDATE|DELETE)/i.test(s));
}
