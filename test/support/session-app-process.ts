import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { Framework } from "./session-app.ts";

const root = join(import.meta.dirname, "..", "..");

/** An app server (session-app.ts) in a child process of its own, as one instance of a deployed app. */
export interface AppProcess {
  url: string;
  /** Stops the server and waits for the process to end. */
  stop(): Promise<void>;
}

/** Starts one and resolves once it listens (or rejects with its output if it exits first). */
export function startAppProcess(framework: Framework, table: string, timeoutMs = 60_000): Promise<AppProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "test/support/session-app-main.ts"], {
    cwd: root,
    // Jest's --experimental-vm-modules is not for the child.
    env: { ...process.env, NODE_OPTIONS: "", SESSION_APP_FRAMEWORK: framework, SESSION_APP_TABLE: table },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`app process did not start in time:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^\{"url":"([^"]+)"\}$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1]!,
          stop: async () => {
            child.kill("SIGTERM");
            await exited;
          },
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`app process exited before it listened:\n${output}`));
    });
  });
}
