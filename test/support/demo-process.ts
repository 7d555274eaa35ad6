import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");

/** The demo (`npm start`'s script) running as a child process. */
export interface DemoProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/** Starts the demo and resolves once it prints its URL (or rejects with its output if it exits first). */
export function startDemo(env: Record<string, string>, timeoutMs = 90_000): Promise<DemoProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "demo/main.ts"], {
    cwd: root,
    env: { ...process.env, PORT: "0", DATABASE_URL: "", NODE_OPTIONS: "", SESSION_SECRET: "demo test secret", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`demo did not start in time:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Demo running at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output, exited });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code} before it started:\n${output}`));
    });
  });
}

/** Runs the demo expecting it to fail at start; resolves with its exit code and output. */
export function runDemoToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "demo/main.ts"], {
    cwd: root,
    env: { ...process.env, PORT: "0", DATABASE_URL: "", NODE_OPTIONS: "", SESSION_SECRET: "demo test secret", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}
