import { spawn } from "node:child_process";
import { join } from "node:path";
import { testDatabaseUrl } from "./database.ts";

const root = join(import.meta.dirname, "..", "..");
const cliArgs = ["--import", "tsx", "src/cli/main.ts"];

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as operators do, in a process of its own, on this run's database; `env` adds variables
 * (undefined: unset). The keys and secrets of the environment running the tests are not passed on.
 */
export function runCliProcess(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const merged: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: "", DATABASE_URL: testDatabaseUrl() };
  delete merged["SESSION_ENCRYPTION_KEYS"];
  delete merged["SESSION_HASH_IDS_SECRET"];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  const child = spawn(process.execPath, [...cliArgs, ...args], { cwd: root, env: merged });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}
