import { LockTimeoutError } from "../../src/index.ts";
import { RowTurns } from "../../src/store/row-turns.ts";

// The per-row queue in front of row locks: first come, first served per key; keys do not wait for each
// other; a caller that gives up leaves the queue; ending a turn twice gives away nothing.

test("turns on one key are granted in arrival order, one at a time; other keys do not wait", async () => {
  const turns = new RowTurns();
  const order: number[] = [];
  const first = await turns.take("a", 10_000, "t");
  const later = [1, 2, 3].map((n) => turns.take("a", 10_000, "t").then((turn) => (order.push(n), turn)));
  const otherKey = await turns.take("b", 10_000, "t");
  expect(turns.busyKeys).toBe(2);
  await Promise.resolve();
  expect(order).toEqual([]);
  first.end();
  const second = await later[0]!;
  expect(order).toEqual([1]);
  second.end();
  second.end(); // a second end must not grant the turn after next as well
  const third = await later[1]!;
  expect(order).toEqual([1, 2]);
  third.end();
  (await later[2]!).end();
  otherKey.end();
  expect(order).toEqual([1, 2, 3]);
  expect(turns.busyKeys).toBe(0);
});

test("a caller that waits longer than its limit gets LockTimeoutError and leaves the queue; the next in line still gets its turn", async () => {
  const turns = new RowTurns();
  const first = await turns.take("a", 10_000, "t");
  const impatient = turns.take("a", 20, "t");
  const patient = turns.take("a", 10_000, "t");
  await expect(impatient).rejects.toBeInstanceOf(LockTimeoutError);
  first.end();
  const turn = await patient;
  expect(turn.waitedMs).toBeGreaterThan(0);
  turn.end();
  expect(turns.busyKeys).toBe(0);
});
