import { ensureSchemaStatement } from "../table/schema-statements.ts";
import type { PostgresStore } from "./postgres-store.ts";

/**
 * Creates the sessions table, its expiry, user and activity columns and their indexes where they are
 * missing (what the three migrations make); changes nothing that exists; the id column gets the store's `maxIdLength`. Safe to run from several processes at once (app instances starting together). For the
 * embedded database and apps that do not run `prisma migrate`. It does not write Prisma's
 * `_prisma_migrations`: to move to migrations later, mark them applied with
 * `npx prisma migrate resolve --applied <name>`.
 */
export async function ensureSchema(store: PostgresStore): Promise<void> {
  await store.execute(ensureSchemaStatement(store.table, store.maxIdLength), []);
}
