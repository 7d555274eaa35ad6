// Dependencies point one way: the adapters build on the core (driver, table, store, coalescer,
// serialization, lifecycle, observability, migration, errors), never the other way round, and no
// adapter reaches into another except through the express-session store the fastify and web entries
// share. Read from the import statements of src/.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const src = join(import.meta.dirname, "..", "..", "src");
const core = ["driver", "table", "store", "coalescer", "serialization", "lifecycle", "observability", "migration", "errors"];

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"';]*?from\s+"(\.[^"]+)"/g)].map((m) => m[1]!);
}

function edges(): Array<{ from: string; to: string }> {
  const found: Array<{ from: string; to: string }> = [];
  for (const path of readdirSync(src, { recursive: true, encoding: "utf8" })) {
    if (!path.endsWith(".ts")) continue;
    const file = join(src, path);
    for (const specifier of importsOf(file)) found.push({ from: path, to: relative(src, resolve(dirname(file), specifier)) });
  }
  return found;
}

const area = (path: string) => path.split("/")[0]!;

test("the scan sees the imports (it is not vacuous)", () => {
  const all = edges();
  expect(all.length).toBeGreaterThan(200);
  expect(all).toContainEqual({ from: "adapters/express-session/pg-session-store.ts", to: "store/postgres-store.ts" });
});

test("no core module imports an adapter, the CLI or the embedded entry", () => {
  const wrong = edges().filter(({ from, to }) => core.includes(area(from)) && ["adapters", "cli", "embedded"].includes(area(to)));
  expect(wrong).toEqual([]);
});
