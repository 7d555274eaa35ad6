import { UnsupportedRuntimeError } from "./errors.ts";

/**
 * Throws {@link UnsupportedRuntimeError} in an Edge runtime (Next.js / Vercel set `globalThis.EdgeRuntime`),
 * where node-postgres has no sockets: a clear error naming the fix instead of a hang or a bundler's
 * "module not found: net". Cheap enough to run at every entry point (one property read).
 */
export function assertNodeRuntime(): void {
  const edge = (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime;
  if (edge !== undefined) throw new UnsupportedRuntimeError(typeof edge === "string" ? edge : "edge");
}
