/**
 * The graphql-ws protocol on `ws` sockets: graphql-ws's own server (`makeServer`) fed by this
 * process's sockets. It does what the library's `useServer` does (subprotocol check, keep-alive
 * pings, close codes, clean-up), with three differences:
 *
 * - Messages sent in one turn of the event loop leave in one write: an operation's `next` and
 *   `complete`, or a batch of events, cost one system call instead of one each. (`useServer` waits
 *   for each message's write to finish before sending the next, so each is written alone.)
 * - Backpressure still holds: once a socket has more than SEND_HIGH_WATER bytes waiting, each
 *   send waits for its write again, so a slow client slows its own stream instead of growing the
 *   center's memory.
 * - Faults go to the center's log, not to the console: a socket error (a message over the size
 *   limit, a broken frame) is logged as a warning and the socket closes as `ws` closes it; an
 *   exception while handling a message is logged and closes that socket with 4500 (graphql-ws's
 *   internal server error).
 */
import type * as http from "node:http";
import type { Duplex } from "node:stream";
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from "graphql-ws";
import type { Extra } from "graphql-ws/use/ws";
import type { Logger } from "pino";
import { WebSocket, type WebSocketServer } from "ws";

/** Bytes waiting on a socket beyond which sends wait for their write (backpressure). */
export const SEND_HIGH_WATER = 256 * 1024;
/**
 * Keep-alive: a ping about this often (each time within a quarter of it either way, so that the
 * sockets that opened together, a thousand labs reconnecting after a restart, do not all ping in
 * the same moment and stall the center for tens of milliseconds every period); no pong within this
 * time ends the socket.
 */
export const KEEP_ALIVE_MS = 12_000;

export interface GraphqlWsTransport {
  /** Closes every socket (1001 Going away) and the server. */
  dispose(): Promise<void>;
}

/**
 * Serves the graphql-ws protocol on every connection of `wsServer`. `options` are graphql-ws's
 * server options (schema, onConnect, onSubscribe, ...), with `Extra` (the socket and the upgrade
 * request) in each context's `extra`.
 */
export function serveGraphqlWs<P extends Record<string, unknown> | undefined, E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<P, Extra & Partial<E>>,
  wsServer: WebSocketServer,
  logger: Logger,
  keepAliveMs = KEEP_ALIVE_MS,
): GraphqlWsTransport {
  const server = makeServer(options);
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.on("error", (err) => logger.error({ err }, "graphql-ws: the WebSocket server failed"));

  wsServer.on("connection", (socket: WebSocket, request: http.IncomingMessage) => {
    socket.on("error", (err) => {
      // `ws` closes the socket itself (1009 for a message over the limit, 1002 for a bad frame).
      logger.warn({ err: { message: err.message, code: (err as { code?: string }).code }, ip: request.socket.remoteAddress }, "graphql-ws: socket error");
    });

    let pongWait: NodeJS.Timeout | null = null;
    let ping: NodeJS.Timeout | null = null;
    const nextPing = (): void => {
      ping = setTimeout(beat, keepAliveMs * (0.75 + Math.random() / 2));
    };
    const beat = (): void => {
      if (socket.readyState !== WebSocket.OPEN) return;
      // The last ping still unanswered: its time-out ends the socket.
      if (pongWait === null) {
        pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
        socket.once("pong", () => {
          if (pongWait) clearTimeout(pongWait);
          pongWait = null;
        });
        socket.ping();
      }
      nextPing();
    };
    nextPing();

    const flush = coalescer(request.socket);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          if (socket.readyState !== WebSocket.OPEN) return;
          flush.hold();
          if (socket.bufferedAmount < SEND_HIGH_WATER) {
            socket.send(data);
            return;
          }
          return new Promise<void>((resolve, reject) => socket.send(data, (err) => (err ? reject(err) : resolve())));
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on("message", (data) => {
            cb(String(data)).catch((err: unknown) => {
              logger.error({ err }, "graphql-ws: handling a message failed");
              socket.close(CloseCode.InternalServerError, "Internal server error");
            });
          }),
      },
      { socket, request } as Extra & Partial<E>,
    );

    socket.once("close", (code, reason) => {
      if (ping) clearTimeout(ping);
      if (pongWait) clearTimeout(pongWait);
      void closed(code, String(reason));
    });
  });

  return {
    async dispose() {
      for (const client of wsServer.clients) client.close(1001, "Going away");
      await new Promise<void>((resolve, reject) => wsServer.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/**
 * Holds a socket's writes until the end of this turn of the event loop, then lets them go in one
 * write (the TCP socket, the upgraded request's, corked; uncorked in setImmediate). Frames keep
 * their order.
 */
function coalescer(tcp: Duplex): { hold(): void } {
  let held = false;
  const release = (): void => {
    held = false;
    tcp.uncork();
  };
  return {
    hold() {
      if (held) return;
      held = true;
      tcp.cork();
      setImmediate(release);
    },
  };
}
