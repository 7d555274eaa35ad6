import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in front of PostgreSQL that can inject one fault into the server-to-client stream: right
 * after the next ReadyForQuery ('Z') message, in the same chunk, a FATAL ErrorResponse (57P01, what a
 * backend sends when the server shuts down), then it closes that connection. That is the byte sequence
 * a client sees when a fast shutdown hits a backend that has just finished a query, without the
 * timing luck of a real shutdown.
 */
export class FaultProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #armed = false;
  #injected = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(targetPort: number, targetHost = "127.0.0.1"): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server);
    server.on("connection", (client) => proxy.#pipe(client, targetHost, targetPort));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  /** How many faults were injected so far. */
  get injected(): number {
    return this.#injected;
  }

  /** Injects the fault after the next ReadyForQuery that any connection receives. */
  arm(): void {
    this.#armed = true;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #pipe(client: Socket, host: string, port: number): void {
    const server = connect(port, host);
    this.#sockets.add(client).add(server);
    const drop = () => {
      client.destroy();
      server.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(server);
    };
    client.on("error", drop).on("close", drop);
    server.on("error", drop).on("close", drop);
    client.on("data", (chunk) => server.write(chunk));
    server.on("data", (chunk: Buffer) => {
      if (this.#armed && endsWithReadyForQuery(chunk)) {
        this.#armed = false;
        this.#injected += 1;
        client.end(Buffer.concat([chunk, adminShutdownError()]));
        server.destroy();
        return;
      }
      client.write(chunk);
    });
  }
}

// ReadyForQuery: 'Z', int32 length 5, one status byte.
function endsWithReadyForQuery(chunk: Buffer): boolean {
  const at = chunk.length - 6;
  return at >= 0 && chunk[at] === 0x5a && chunk.readInt32BE(at + 1) === 5;
}

function adminShutdownError(): Buffer {
  const fields = [
    ["S", "FATAL"],
    ["V", "FATAL"],
    ["C", "57P01"],
    ["M", "terminating connection due to administrator command"],
  ];
  const body = Buffer.concat([...fields.map(([code, value]) => Buffer.from(`${code}${value}\0`, "utf8")), Buffer.from([0])]);
  const header = Buffer.alloc(5);
  header.write("E", 0, "ascii");
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
