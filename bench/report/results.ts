import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const resultsDir = join(import.meta.dirname, "..", "results");

/** Writes the run's results to bench/results/<timestamp>.json (git-ignored) and returns the path. */
export function writeResults(results: unknown): string {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  // Cells are class instances with private state: serialize them through their `all()`.
  writeFileSync(
    path,
    JSON.stringify(
      results,
      (_key, value: unknown) => (value instanceof Object && "all" in value && typeof value.all === "function" ? value.all() : value),
      2,
    ),
  );
  return path;
}
