import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const peerSchema = join(root, "bench", "prisma", "schema.prisma");
/** Where the peer's client goes (git-ignored, regenerated when missing or older than its schema). */
export const peerClientDir = join(root, "bench", "generated", "prisma-session-store");

function run(args: string[], env: NodeJS.ProcessEnv) {
  const result = spawnSync(process.execPath, args, { cwd: root, env, encoding: "utf8" });
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

/**
 * `prisma generate` for the peer's schema, as scripts/generate.mjs does it: Prisma 7 insists on
 * downloading its native schema engine even to generate, so where that download fails, retry with
 * PRISMA_SCHEMA_ENGINE_BINARY pointing at an existing file (generate never runs it).
 */
function generatePeerClient(): void {
  const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");
  const args = [prismaCli, "generate", "--schema", peerSchema];
  let result = run(args, process.env);
  if (!result.ok && !process.env["PRISMA_SCHEMA_ENGINE_BINARY"]) {
    result = run(args, { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath });
  }
  if (!result.ok) throw new Error(`prisma generate for ${peerSchema} failed:\n${result.output}`);
}

/** Makes sure both Prisma clients the bench loads exist (a fresh clone after `npm ci` has only ours). */
export function ensureGeneratedClients(log: (line: string) => void): void {
  if (!existsSync(join(root, "src", "generated", "prisma", "client.ts"))) {
    log("generating this package's Prisma client (scripts/generate.mjs)");
    const result = run([join(root, "scripts", "generate.mjs")], process.env);
    if (!result.ok) throw new Error(`scripts/generate.mjs failed:\n${result.output}`);
  }
  const client = join(peerClientDir, "client.ts");
  if (!existsSync(client) || statSync(client).mtimeMs < statSync(peerSchema).mtimeMs) {
    log(`generating @quixo3/prisma-session-store's Prisma client into ${peerClientDir}`);
    generatePeerClient();
  }
}
