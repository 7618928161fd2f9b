/**
 * A TCP proxy in front of a server (here MariaDB), for tests of what the center does when a
 * database host goes away: `close()` stops listening and cuts every connection it carries, as a
 * node that dies; `dropWhen` cuts a connection instead of forwarding a chunk the client sends (a
 * COMMIT lost on its way: the server never sees it).
 */
import * as net from "node:net";

export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Connections open now. */
  open(): number;
  /** Cuts (without forwarding) the connection on which the client sends a chunk this accepts. */
  dropWhen: ((chunk: Buffer) => boolean) | null;
  /** Chunks dropped so far. */
  dropped: number;
  /** Stops listening and cuts every connection (resolves once they are closed). */
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    proxy.accepted++;
    const upstream = net.connect(target.port, target.host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const cut = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      if (proxy.dropWhen?.(chunk)) {
        proxy.dropped++;
        cut();
      } else upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("close", cut);
    upstream.on("close", cut);
    client.on("error", cut);
    upstream.on("error", cut);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy: TcpProxy = {
    port: (server.address() as net.AddressInfo).port,
    accepted: 0,
    open: () => pairs.size,
    dropWhen: null,
    dropped: 0,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const [client, upstream] of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await closed;
    },
  };
  return proxy;
}

/** A local port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
