#!/usr/bin/env node
// Generates the Prisma client into test/generated/prisma (for the tests and the bench; the library ships none) (run by `npm install` / `npm ci` via `prepare`).
//
// Why the fallback: `prisma generate` (Prisma 7) insists on downloading the native schema engine even
// though generating a `prisma-client` never runs it, so generate fails where that download host is
// unreachable (offline CI, air-gapped networks): https://github.com/prisma/orm/issues/28662 and
// https://github.com/prisma/orm/issues/19666. Pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing
// file skips the download. On a normal laptop the first attempt simply succeeds and no fallback happens.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const prismaCli = require.resolve("prisma/build/index.js");

// This package's schema, then (for the import and read-through tests) @quixo3/prisma-session-store's model.
const schemas = ["../prisma/schema.prisma", "../test/support/peer-prisma-session-store/schema.prisma"].map((path) =>
  fileURLToPath(new URL(path, import.meta.url)),
);

function generate(env) {
  let output = "";
  for (const schema of schemas) {
    const result = spawnSync(process.execPath, [prismaCli, "generate", "--schema", schema], { env, encoding: "utf8" });
    output += `${result.stdout ?? ""}${result.stderr ?? ""}`;
    if (result.status !== 0) return { ok: false, output };
  }
  return { ok: true, output };
}

const first = generate(process.env);
if (first.ok) {
  process.stdout.write(first.output);
  process.exit(0);
}

const downloadFailed = /binaries\.prisma\.sh|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|fetch|download/i.test(first.output);
if (!downloadFailed || process.env.PRISMA_SCHEMA_ENGINE_BINARY) {
  process.stderr.write(first.output);
  process.exit(1);
}

process.stderr.write("prisma generate could not download the schema engine; retrying without it (not needed to generate).\n");
const second = generate({ ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath });
process.stdout.write(second.output);
process.exit(second.ok ? 0 : 1);
