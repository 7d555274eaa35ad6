import type { AddressInfo } from "node:net";
import type { Server } from "node:http";

/**
 * A browser-like HTTP client for one user: it keeps the cookies the server sets. Give two clients one
 * `cookies` map for one browser talking to two app servers behind a load balancer.
 */
export class CookieClient {
  readonly #base: string;
  readonly cookies: Map<string, string>;

  constructor(base: string, cookies = new Map<string, string>()) {
    this.#base = base;
    this.cookies = cookies;
  }

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers["cookie"] = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(this.#base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed };
  }
}

/** The base URL of a server listening on an ephemeral port. */
export function baseUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
