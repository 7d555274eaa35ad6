import { parseTableName } from "../../src/table/table-name.ts";
import { findIndexExpression, userStatementsFor } from "../../src/table/user-statements.ts";
import { destroyTest, initTest, type TestContext } from "../support/test-context.ts";

// A user's sessions are found through the user index whatever the table's size: listing, counting and
// revoking (one or all) are one statement each, and PostgreSQL plans each as an index scan on
// `<table>_user_id_idx`, never a sequential scan. Likewise the find on a JSON path, with the expression
// index the README gives. The table is filled in one INSERT ... SELECT.

const rows = 120_000;
const users = 20_000; // 6 sessions each

let ctx: TestContext;
let table: string;
beforeAll(async () => {
  ctx = await initTest({ table: "plan" });
  table = ctx.table;
  await ctx.admin.query(
    `INSERT INTO "${table}" (id, a_session, expires_at, created_at, last_active_at, user_id, user_agent, ip)
     SELECT md5(g::text), '{"json":{"user":{"email":"u' || (g % ${users}) || '@example.com"}}}',
            now() + interval '1 hour', now() - g * interval '1 second', now(), 'user-' || (g % ${users}), 'Agent/' || g, '192.0.2.1'
       FROM generate_series(1, ${rows}) AS g`,
  );
  await ctx.admin.query(`CREATE INDEX "${table}_user_email_idx" ON "${table}" (${findIndexExpression(["user", "email"])})`);
  await ctx.admin.query(`ANALYZE "${table}"`);
}, 120_000);
afterAll(() => destroyTest(ctx));

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

/** The plan nodes of `sql` with `values` (EXPLAIN only: nothing runs). */
async function planOf(sql: string, values: unknown[]): Promise<PlanNode[]> {
  const { rows: plan } = await ctx.admin.query(`EXPLAIN (FORMAT JSON) ${sql}`, values);
  return nodesOf((plan[0]["QUERY PLAN"] as Array<{ Plan: PlanNode }>)[0]!.Plan);
}

const indexScans = new Set(["Index Scan", "Index Only Scan", "Bitmap Index Scan"]);

function expectIndexScanOn(nodes: PlanNode[], index: string): void {
  expect(nodes.filter((n) => n["Node Type"] === "Seq Scan")).toEqual([]);
  expect(nodes.filter((n) => indexScans.has(n["Node Type"])).map((n) => n["Index Name"])).toContain(index);
}

test(`the table holds ${rows} sessions of ${users} users`, async () => {
  const { rows: counted } = await ctx.admin.query(`SELECT count(*)::int AS n, count(DISTINCT user_id)::int AS users FROM "${table}"`);
  expect(counted[0]).toEqual({ n: rows, users });
});

describe("one indexed statement each, on the user index", () => {
  const statements = () => userStatementsFor(parseTableName(table));
  const now = () => new Date();
  const userIndex = () => `${table}_user_id_idx`;

  test("listing a user's sessions (first page, a later page, with the absolute timeout)", async () => {
    const list = statements().list;
    expectIndexScanOn(await planOf(list, ["user-42", now(), null, null, null, null, 51]), userIndex());
    expectIndexScanOn(
      await planOf(list, ["user-42", now(), new Date(Date.now() - 3600_000), "x", "2026-01-01T00:00:00.000000Z", "0".repeat(32), 51]),
      userIndex(),
    );
    const { rows: listed } = await ctx.admin.query(list, ["user-42", now(), null, null, null, null, 51]);
    expect(listed).toHaveLength(6);
  });

  test("revoking all of a user's sessions, but the current one", async () => {
    const revokeAll = statements().revokeAll;
    expectIndexScanOn(await planOf(revokeAll, ["user-42", null, now(), null]), userIndex());
    expectIndexScanOn(await planOf(revokeAll, ["user-42", "0".repeat(32), now(), new Date()]), userIndex());
  });

  test("counting a user's sessions, and revoking one by its handle", async () => {
    expectIndexScanOn(await planOf(statements().count, ["user-42", now(), null]), userIndex());
    expectIndexScanOn(await planOf(statements().revokeOne, ["user-42", "0".repeat(32), now(), null]), userIndex());
  });

  test("finding sessions by a field of their data, with the README's expression index", async () => {
    const find = statements().find;
    expectIndexScanOn(
      await planOf(find, [["json", "user", "email"], "u42@example.com", now(), null, null, 101]),
      `${table}_user_email_idx`,
    );
    const { rows: found } = await ctx.admin.query(find, [["json", "user", "email"], "u42@example.com", now(), null, null, 101]);
    expect(found).toHaveLength(6);
  });
});
