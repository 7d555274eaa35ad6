import { createNextSessions, type NextSessions } from "prisma-pg-session/next";

export interface SessionData {
  user?: string;
  count?: number;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

// One per server process, kept across `next dev`'s reloads of this module (each would open a pool).
// A function, so that `next build`, which imports the routes to analyse them, needs no database.
const cache = globalThis as typeof globalThis & { exampleSessions?: NextSessions<SessionData> };
export const sessions = (cache.exampleSessions ??= createNextSessions<SessionData>(() => ({
  datasourceUrl: env("DATABASE_URL"),
  secret: env("SESSION_SECRET"),
  tableName: process.env["SESSION_TABLE"] || "sessions",
  // Seconds. `secure` in production: the cookie then travels over HTTPS only (browsers accept it on
  // http://localhost too).
  cookie: { maxAge: 24 * 3600, secure: process.env.NODE_ENV === "production" },
})));
