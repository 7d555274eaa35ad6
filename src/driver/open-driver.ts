import type { Driver } from "./driver.ts";
import { openOwnPool, type OwnPoolOptions } from "./own-pool.ts";
import type { PgPool, PoolErrorListeners } from "./pg-pool.ts";
import { PgPoolDriver } from "./pg-pool-driver.ts";
import type { PrismaHandle } from "./prisma-handle.ts";
import { PrismaDriver } from "./prisma-driver.ts";

/** Exactly one of the three ways to reach the database, as the store's options give them. */
export type DriverSource = { prisma: PrismaHandle } | ({ pgPool: PgPool } & PoolErrorListeners) | OwnPoolOptions;

/** The one place that picks the driver for a store's options. */
export function openDriver(source: DriverSource): Driver {
  if ("prisma" in source) return new PrismaDriver(source.prisma);
  if ("pgPool" in source) return new PgPoolDriver(source.pgPool, { ...source, owned: false });
  return new PgPoolDriver(openOwnPool(source), { onConnectionError: source.onConnectionError, owned: true });
}
