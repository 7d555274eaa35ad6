import autocannon from "autocannon";
import { percentile } from "../worker/runner.ts";
import { routeRequests, type Route } from "./apps.ts";

const origin = (port: number): string => `http://127.0.0.1:${port}`;

/**
 * Logs `count` users in (`POST /login`, one new session each) and returns their cookies as `name=value`,
 * one per load connection.
 */
export async function login(port: number, count: number): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${origin(port)}/login`, { method: "POST" });
    await response.arrayBuffer();
    const cookie = response.headers.getSetCookie()[0]?.split(";")[0];
    if (!response.ok || cookie === undefined) throw new Error(`login on port ${port}: HTTP ${response.status}, no session cookie`);
    cookies.push(cookie);
  }
  return cookies;
}

export interface LoadResult {
  /** 2xx responses within the window. */
  ok: number;
  /** Other statuses within the window (401: a connection came without a valid session). */
  non2xx: number;
  /** Connection errors and timeouts (whole run). */
  errors: number;
  windowMs: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadOptions {
  /** Unmeasured load first, on the same connections (new connections take a few hundred ms to settle). */
  warmupMs: number;
  /** Then the measured window. */
  durationMs: number;
  /** Called when the measured window opens and when it closes (the app's CPU and statement probes). */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

/**
 * Keep-alive load on one route: one autocannon connection per cookie, each connection sending its own
 * cookie on every request (`setupClient` sets that connection's headers), so each connection is one user
 * whose requests follow one another, as a browser's do. One autocannon run: the warm-up, then the window
 * in which responses, statuses and latencies (exact, from autocannon's `response` events) count.
 * autocannon stops at its next sample tick after the window; later responses are not counted.
 */
export function load(port: number, route: Route, cookies: readonly string[], options: LoadOptions): Promise<LoadResult> {
  const { method, path } = routeRequests[route];
  const latencies: number[] = [];
  let non2xx = 0;
  let next = 0;
  let measuring = false;
  let windowStart = Number.NaN;
  let windowEnd = Number.NaN;
  const timers = [
    setTimeout(() => {
      measuring = true;
      windowStart = performance.now();
      options.onWindowStart?.();
    }, options.warmupMs),
    setTimeout(() => {
      measuring = false;
      windowEnd = performance.now();
      options.onWindowEnd?.();
    }, options.warmupMs + options.durationMs),
  ];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${origin(port)}${path}`,
        method,
        connections: cookies.length,
        duration: (options.warmupMs + options.durationMs) / 1000,
        sampleInt: 50,
        setupClient: (client) => client.setHeaders({ cookie: cookies[next++ % cookies.length]! }),
      },
      (error, result) => {
        for (const timer of timers) clearTimeout(timer);
        if (error || !Number.isFinite(windowEnd)) {
          reject(error instanceof Error ? error : new Error(`load on port ${port} ended before its window closed (${String(error)})`));
          return;
        }
        const sorted = Float64Array.from(latencies).sort();
        const windowMs = windowEnd - windowStart;
        resolve({
          ok: sorted.length,
          non2xx,
          errors: result.errors,
          windowMs,
          reqPerSec: sorted.length / (windowMs / 1000),
          p50Ms: percentile(sorted, 0.5),
          p99Ms: percentile(sorted, 0.99),
        });
      },
    );
    instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (!measuring) return;
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      else non2xx++;
    });
  });
}
