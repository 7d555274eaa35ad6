import type { Store } from "express-session";

export type StoreName =
  | "ours"
  | "ours-prisma"
  | "connect-pg-simple"
  | "prisma-session-store"
  | "raw-pg"
  | "memory"
  // Opt-in experiments (`--stores=...`): variants of ours that locate its costs.
  | "ours-json";

/** A read-modify-write unit of work on one session, under its row lock (ours and raw pg only). */
export interface LockedUnits {
  /** Inserts a session holding `data` and returns its id. */
  create(data: Record<string, unknown>): Promise<string>;
  /** One unit: lock the row, read, `counter + 1`, write, commit. */
  increment(id: string): Promise<void>;
  /** The committed data. */
  read(id: string): Promise<Record<string, unknown>>;
}

/** A user's sessions (ours: `PgSessionStore`'s per-user API). */
export interface UserSessionCalls {
  /** The first page of `user`'s live sessions (`limit` per page); resolves the page's length. */
  list(user: string, limit: number): Promise<number>;
  count(user: string): Promise<number>;
  /** Ends every session of `user`; resolves the number of live ones ended. */
  revokeAll(user: string): Promise<number>;
}

/** A store opened inside a worker process. */
export interface BenchStore {
  /** The express-session Store under test (its callback API is what express-session calls). */
  store: Store;
  locked?: LockedUnits;
  /** Deletes expired rows the way the store does it in production. */
  prune?(): Promise<void>;
  users?: UserSessionCalls;
  close(): Promise<void>;
}

export interface OpenOptions {
  url: string;
  /** Connections in the store's pool. */
  poolMax: number;
}

/**
 * One competitor. `ddl` and `fillExpired` are plain SQL for the orchestrator; `open` loads the store's
 * libraries lazily, so a process only ever loads the store it measures.
 */
export interface StoreDefinition {
  name: StoreName;
  label: string;
  /** Its tables, as the store's own docs create them. */
  ddl(): string[];
  /** SQL adding rows `from..to` (1-based, inclusive) as expired ~1 KB sessions, for the scale runs. */
  fillExpired?(from: number, to: number): string;
  /** The users section's filler: the store's table, and SQL adding live sessions with a user (ours only). */
  userSessions?: {
    table: string;
    /** SQL adding rows `from..to` (1-based, inclusive) as live ~1 KB sessions of users `1..users` (see filler.ts). */
    fill(from: number, to: number, users: number): string;
  };
  /** SQL counting the table's rows. */
  countRows?: string;
  open(options: OpenOptions): Promise<BenchStore>;
}
