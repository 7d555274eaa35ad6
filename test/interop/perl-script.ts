import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { testDatabaseUrl } from "../support/database.ts";

/** The script that drives the real Apache::Session::Postgres, and the DBI data source of this run's database. */
export const perlScript = join(import.meta.dirname, "apache-session.pl");

export function perlDataSource(): string {
  const url = new URL(testDatabaseUrl());
  return `dbi:Pg:dbname=${url.pathname.slice(1)};host=${url.hostname};port=${url.port || "5432"}`;
}

/** Runs one command of the script to its end and returns what it printed; a failure throws with Perl's stderr. */
export function perl(...args: string[]): string {
  const run = spawnSync("perl", [perlScript, ...args], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`perl ${args[0]} failed: ${run.stderr}`);
  return run.stdout;
}
