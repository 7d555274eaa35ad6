// The Next.js example (examples/next) built with `next build` and served by `next start`, as a child
// process, for test/examples/next.test.ts.
//
// Built in a copy next to it (examples/next-test-<random>/, gitignored, removed by `remove()`), not in
// examples/next itself: two test runs in one work tree (or a developer's `next dev` there) never share
// a .next directory, and what is built is exactly the committed sources (no .next cache, no
// next-env.d.ts of an earlier version). The copy sits at the same depth, so its tsconfig path to
// ../../src and its node_modules lookup (the repository's) are the example's.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, rmSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { freePort } from "./free-port.ts";

const root = join(import.meta.dirname, "..", "..");
const example = join(root, "examples", "next");
const nextBin = join(root, "node_modules", "next", "dist", "bin", "next");

/** The environment of the `next` commands: this process's, less what Jest and the runner put in it. */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_OPTIONS: "", NODE_ENV: "production", ...extra };
  // Jest's NODE_ENV=test is not one Next.js builds with; the example's variables come only from `extra`.
  for (const name of ["DATABASE_URL", "SESSION_SECRET", "SESSION_TABLE", "PORT", "JEST_WORKER_ID"]) if (!(name in extra)) delete env[name];
  return env;
}

export interface ExampleCopy {
  dir: string;
  remove(): void;
}

/** A fresh copy of the example's sources (without .next, node_modules, next-env.d.ts, tsbuildinfo). */
export function copyExample(): ExampleCopy {
  const dir = join(root, "examples", `next-test-${randomBytes(4).toString("hex")}`);
  cpSync(example, dir, {
    recursive: true,
    filter: (source) => {
      const parts = relative(example, source).split(sep);
      return !parts.some(
        (part) => part === ".next" || part === "node_modules" || part === "next-env.d.ts" || part.endsWith(".tsbuildinfo"),
      );
    },
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a command to its end; resolves with its output, rejects with it when it fails. */
function run(args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      reject(new Error(`${args.join(" ")} did not finish in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${args.join(" ")} exited with ${code ?? signal}:\n${output}`));
    });
  });
}

/**
 * `next build` in `dir`, without DATABASE_URL or SESSION_SECRET: building imports the routes but must
 * not open the database (the example makes its sessions at the first request). Resolves with the output.
 */
export function buildExample(dir: string, timeoutMs = 600_000): Promise<string> {
  return run([nextBin, "build"], dir, environment({}), timeoutMs);
}

export interface ExampleServer {
  url: string;
  output: () => string;
  /** Stops the server (its whole process group) and waits for it to exit. */
  stop(): Promise<void>;
}

// A process started `detached` leads its own process group: signalling the group reaches whatever it
// started too, and nothing else.
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** `next start` on a free port of 127.0.0.1; resolves once it is ready (a new port if the one picked was taken). */
export async function startExample(dir: string, env: Record<string, string>, timeoutMs = 60_000): Promise<ExampleServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOn(dir, port, env, timeoutMs);
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

function startOn(dir: string, port: number, env: Record<string, string>, timeoutMs: number): Promise<ExampleServer> {
  const child = spawn(process.execPath, [nextBin, "start", "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: dir,
    env: environment(env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const stop = async () => {
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`next start did not get ready in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready in/.test(output)) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${port}`, output: () => output, stop });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`next start exited before it was ready:\n${output}`));
    });
  });
}
