import cliProgress from "cli-progress";
import type { Output } from "./output.ts";

/** A batched command's progress: a bar on a terminal, else a line per batch (none with --json). */
export interface Progress {
  /** `done` of the total so far; `line` is what is printed off a terminal (`undefined`: nothing). */
  update(done: number, line: () => string | undefined): void;
  stop(): void;
}

export function startProgress(output: Output, label: string, total: number): Progress {
  const bar =
    process.stderr.isTTY && !output.json
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format: `${label} [{bar}] {value}/{total}` },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(total, 0);
  return {
    update(done, line) {
      // Rows added meanwhile are counted too: the bar stops at its total.
      if (bar) bar.update(Math.min(done, total));
      else {
        const text = line();
        if (text !== undefined) output.line(text);
      }
    },
    stop: () => bar?.stop(),
  };
}
