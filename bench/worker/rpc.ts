import { fork, type ChildProcess } from "node:child_process";

interface Request {
  id: number;
  command: string;
  args: unknown;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** The orchestrator's end of a worker process: `call` sends a command and resolves with its answer. */
export class WorkerHandle {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #next = 1;
  #exited = false;

  constructor(
    readonly label: string,
    script: string,
  ) {
    // Same loader flags as this process (`--import tsx`), plus a `gc()` for measuring the live heap;
    // structured clone keeps NaN and undefined.
    const execArgv = [...process.execArgv, "--expose-gc"];
    this.#child = fork(script, [], { execArgv, serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.#child.on("message", (message) => {
      const reply = message as Reply;
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(new Error(`${label} worker: ${reply.error}`));
    });
    this.#child.on("exit", (code, signal) => {
      this.#exited = true;
      for (const pending of this.#pending.values()) pending.reject(new Error(`${label} worker exited (${code ?? signal})`));
      this.#pending.clear();
    });
  }

  call<T>(command: string, args: unknown = {}): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.label} worker has exited`));
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#child.send({ id, command, args } satisfies Request);
    });
  }

  /** Asks the worker to close its store and exit; kills it if it does not within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
    await Promise.race([this.call("close").catch(() => undefined), exited]);
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** The worker's end: runs each command's handler and answers; `close` ends the process after answering. */
export function serve(handlers: Record<string, (args: never) => Promise<unknown>>): void {
  process.on("message", (message) => {
    const request = message as Request;
    const handler = handlers[request.command];
    const answer = (reply: Reply): void => {
      process.send?.(reply, () => {
        if (request.command === "close") process.disconnect();
      });
    };
    if (handler === undefined) {
      answer({ id: request.id, ok: false, error: `unknown command ${request.command}` });
      return;
    }
    handler(request.args as never).then(
      (value) => answer({ id: request.id, ok: true, value }),
      (error: unknown) =>
        answer({ id: request.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
}
