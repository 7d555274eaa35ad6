import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { runAsPostgres, tempDirForPostgres } from "./as-postgres-user.ts";
import { freePort } from "./free-port.ts";
import { migrationScriptsFor } from "./migrations.ts";

/** Debian's PostgreSQL 15 server programs; PG_BIN overrides the directory. */
const bin = process.env["PG_BIN"] ?? "/usr/lib/postgresql/15/bin";

// pg_hba.conf of a cluster created with `passwords: true` (first matching line wins).
const passwordHba = `local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
`;

export interface ClusterOptions {
  /**
   * Over TCP, every role but `postgres` must give its password (scram-sha-256), as on a production
   * server: a wrong one fails with 28P01. `postgres`, which sets the cluster up, stays trusted.
   * Without it, every role is trusted (any password, or none, is accepted).
   */
  passwords?: boolean;
}

/**
 * A PostgreSQL cluster of its own for one test file, never the shared server on 5432: its own data
 * directory in a temporary directory, its own port on 127.0.0.1, its unix socket in that directory,
 * trust authentication (see ClusterOptions for passwords). Tests may stop, crash and restart it;
 * `destroy()` stops it and removes it all.
 */
export class ThrowawayCluster {
  readonly #dir: string;
  readonly #port: number;
  #running = false;

  private constructor(dir: string, port: number) {
    this.#dir = dir;
    this.#port = port;
  }

  /** initdb and start a new cluster on a free port, with a database `name` holding the migrated `sessions` table. */
  static async create(name = "app", options: ClusterOptions = {}): Promise<ThrowawayCluster> {
    const dir = await tempDirForPostgres("pps-cluster-");
    try {
      await runAsPostgres(`${bin}/initdb`, [
        "-D",
        join(dir, "data"),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-instructions",
      ]);
      // Written before the first start: the server reads it then.
      if (options.passwords) await writeFile(join(dir, "data", "pg_hba.conf"), passwordHba);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    // Another process may take the free port before the server binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      const cluster = new ThrowawayCluster(dir, await freePort());
      try {
        await cluster.start();
        await cluster.#createDatabase(name);
        return cluster;
      } catch (error) {
        if (attempt < 3 && !cluster.#running) continue;
        await cluster.destroy();
        throw error;
      }
    }
  }

  get port(): number {
    return this.#port;
  }

  get running(): boolean {
    return this.#running;
  }

  /** A connection URL for `database` over TCP (what the library under test uses). */
  url(database = "app"): string {
    return `postgresql://postgres@127.0.0.1:${this.#port}/${database}`;
  }

  /** Starts the server and resolves once it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.#port} -k ${this.#dir} -c listen_addresses=127.0.0.1 -c max_connections=100`;
    try {
      await runAsPostgres(`${bin}/pg_ctl`, ["start", "-D", this.#dataDir, "-l", this.#logFile, "-w", "-t", "60", "-o", options]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- server log ---\n${await this.log()}`, { cause: error });
    }
    this.#running = true;
  }

  /**
   * Stops the server. `fast` is an orderly shutdown (sessions are terminated with 57P01); `immediate`
   * kills it without a checkpoint, as a crash would (crash recovery runs at the next start).
   */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    await runAsPostgres(`${bin}/pg_ctl`, ["stop", "-D", this.#dataDir, "-m", mode, "-w", "-t", "60"]);
    this.#running = false;
  }

  /** The server's log so far (for failure messages). */
  async log(): Promise<string> {
    return readFile(this.#logFile, "utf8").catch(() => "(no log)");
  }

  /** Stops the server if it runs (immediately: nothing of it is kept) and removes its directory. Idempotent. */
  async destroy(): Promise<void> {
    try {
      if (existsSync(join(this.#dataDir, "postmaster.pid"))) await this.stop("immediate");
    } finally {
      this.#running = false;
      await rm(this.#dir, { recursive: true, force: true });
    }
  }

  get #dataDir(): string {
    return join(this.#dir, "data");
  }

  get #logFile(): string {
    return join(this.#dir, "server.log");
  }

  async #createDatabase(name: string): Promise<void> {
    const admin = new pg.Client({ connectionString: this.url("postgres") });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.end();
    }
    const db = new pg.Client({ connectionString: this.url(name) });
    await db.connect();
    try {
      for (const sql of migrationScriptsFor("sessions")) await db.query(sql);
    } finally {
      await db.end();
    }
  }
}
