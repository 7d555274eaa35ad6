import { openOwnPool } from "../driver/own-pool.ts";
import type { PgPool } from "../driver/pg-pool.ts";
import type { TransactionalClient } from "../driver/prisma-handle.ts";
import { openEmbeddedDatabase } from "../embedded/embedded-database.ts";

/** A database for the CLI and the demo: a PostgreSQL server, or the embedded default. */
export interface OpenedDatabase {
  /** Store options reaching it: a node-postgres pool on a server, PGlite's Prisma-shaped SQL client on the embedded one. */
  connection: { pgPool: PgPool } | { prisma: TransactionalClient };
  /** Where the sessions are, for people (never includes a password). */
  description: string;
  /** A note to print, e.g. that a crash-left embedded directory was recovered. */
  warning: string | undefined;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A postgresql:// URL; unset or empty: the embedded database. */
  url?: string | undefined;
  /** Data directory of the embedded database. @default ".data/pglite" */
  dataDir?: string | undefined;
}

function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `PostgreSQL at ${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`;
}

/** Opens `url`, or the embedded database when no URL is given. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<OpenedDatabase> {
  if (options.url) {
    const pool = openOwnPool({ datasourceUrl: options.url });
    return { connection: { pgPool: pool }, description: describeUrl(options.url), warning: undefined, close: () => pool.end() };
  }
  const embedded = await openEmbeddedDatabase(options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  return {
    connection: { prisma: embedded.client },
    description: `the embedded database (PGlite) in ${embedded.dataDir}`,
    warning:
      embedded.recoveredFrom === undefined
        ? undefined
        : `The embedded database was not closed cleanly (process ${embedded.recoveredFrom} ended without shutting down); it was recovered from its log.`,
    close: embedded.close,
  };
}
