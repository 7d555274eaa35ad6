import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const script = join(import.meta.dirname, "apache-session.pl");

/** Perl data of chosen Perl types (see build() in apache-session.pl). */
export type PerlSpec =
  | { t: "h"; e: [string, PerlSpec][] }
  | { t: "a"; i: PerlSpec[] }
  | { t: "s"; v: string; bytes: boolean }
  | { t: "i"; v: string }
  | { t: "n"; v: string }
  | { t: "u" };

/**
 * The real Storable and MIME::Base64, in one long-lived `perl apache-session.pl serve` process: one JSON
 * request per line, answered in order. Payloads are Apache::Session::Serialize::Base64 text.
 */
export class PerlStorable {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: { resolve: (answer: Record<string, unknown>) => void; reject: (error: Error) => void }[] = [];
  #stderr = "";

  constructor() {
    this.#child = spawn("perl", [script, "serve"]);
    this.#child.stderr.on("data", (chunk: Buffer) => (this.#stderr += chunk.toString()));
    createInterface({ input: this.#child.stdout }).on("line", (line) => {
      const answer = JSON.parse(line) as Record<string, unknown>;
      const next = this.#waiting.shift()!;
      if (typeof answer["error"] === "string") next.reject(new Error(`perl: ${answer["error"]}`));
      else next.resolve(answer);
    });
    this.#child.on("close", (code) => {
      for (const next of this.#waiting.splice(0)) next.reject(new Error(`perl serve exited (${code}): ${this.#stderr}`));
    });
  }

  request(op: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#child.stdin.write(`${JSON.stringify({ op, ...fields })}\n`);
    });
  }

  /** Thaws our payload: Perl's view of it (scalars as strings) and Perl's own nfreeze of what it thawed. */
  async echo(payload: string): Promise<{ view: unknown; payload: string }> {
    return (await this.request("echo", { payload })) as { view: unknown; payload: string };
  }

  async build(spec: PerlSpec): Promise<string> {
    return (await this.request("build", { spec }))["payload"] as string;
  }

  /** How Perl's thaw of our payload differs from the data `spec` builds; null when they are the same. */
  async check(spec: PerlSpec, payload: string): Promise<string | null> {
    return (await this.request("check", { spec, payload }))["diff"] as string | null;
  }

  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.#child.on("close", resolve));
    this.#child.stdin.end();
    await closed;
  }
}
