/**
 * The graphql-ws protocol on `ws` sockets: graphql-ws's own server (`makeServer`) fed by this
 * process's sockets.
 *
 * A transport lane. Replaces: graphql-ws's `useServer` (`GRAPHQL_WS_LANE=library` serves with it,
 * with the same options). Why: `npm run bench:transport` measured 1.6 to 2.2 times the operations
 * per second and about 0.55 of the server's CPU per operation for a small query and a quote
 * (docs/benchmarks.md), and the send bound below, which `useServer` lacks. Proven equal by:
 * test/e2e/graphql-ws-differential.test.ts (the same messages, order and close codes from both, in
 * the test and production configurations) and test/graphql/ws-transport.test.ts.
 *
 * It does what the library's `useServer` does (subprotocol check, keep-alive pings, close codes and
 * reasons, clean-up), with these differences:
 *
 * - Messages sent in one turn of the event loop leave in one write: an operation's `next` and
 *   `complete`, or a batch of events, cost one system call instead of one each. (`useServer` waits
 *   for each message's write to finish before sending the next, so each is written alone.)
 * - Backpressure holds both ways: once a socket has more than `sendBufferBytes` waiting, each send
 *   waits for its write again and the socket is not read (no new operations) until its output has
 *   gone; a socket that stays there for `sendStallMs` is closed with 1008 (and ended if it is not
 *   gone as long again: a client that does not read does not read the close either). A client that
 *   stops reading holds its own stream back and cannot grow the center's memory.
 * - Keep-alive pings are spread out (see KEEP_ALIVE_MS), and a socket that is not read (above) is
 *   not expected to answer them.
 * - Faults go to the center's log, not to the console, once per socket: a socket error (a message
 *   over the size limit, a broken frame) is a warning and the socket closes as `ws` closes it; an
 *   exception while handling a message is logged and closes that socket with 4500 (graphql-ws's
 *   internal server error). Output to a socket that has closed is dropped, not an error.
 */
import type * as http from "node:http";
import type { Duplex } from "node:stream";
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from "graphql-ws";
import type { Extra } from "graphql-ws/use/ws";
import type { Logger } from "pino";
import { WebSocket, type WebSocketServer } from "ws";

/** Bytes waiting on a socket beyond which sends wait for their write and the socket is not read (default). */
export const SEND_HIGH_WATER = 256 * 1024;
/** How long a socket may stay beyond its send buffer before it is closed (default). */
export const SEND_STALL_MS = 30_000;
/** 1008 Policy Violation: what a socket closed for its own excess is told. */
export const WS_POLICY_VIOLATION = 1008;
/**
 * Keep-alive: a ping about this often (each time within a quarter of it either way, so that the
 * sockets that opened together, a thousand labs reconnecting after a restart, do not all ping in
 * the same moment and stall the center for tens of milliseconds every period); no pong within this
 * time ends the socket.
 */
export const KEEP_ALIVE_MS = 12_000;

export interface TransportOptions {
  keepAliveMs?: number;
  sendBufferBytes?: number;
  sendStallMs?: number;
  /** As graphql-ws's `isProd`: an internal error's close reason is its message only when false. */
  isProd?: boolean;
}

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
  transport: TransportOptions = {},
): GraphqlWsTransport {
  const { keepAliveMs = KEEP_ALIVE_MS, sendBufferBytes = SEND_HIGH_WATER, sendStallMs = SEND_STALL_MS, isProd = true } = transport;
  const server = makeServer(options);
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.on("error", (err) => logger.error({ err }, "graphql-ws: the WebSocket server failed"));

  wsServer.on("connection", (socket: WebSocket, request: http.IncomingMessage) => {
    const tcp = request.socket;
    socket.on("error", (err) => {
      // `ws` closes the socket itself (1009 for a message over the limit, 1002 for a bad frame).
      logger.warn({ err: { message: err.message, code: (err as { code?: string }).code }, ip: tcp.remoteAddress }, "graphql-ws: socket error");
    });

    /** Messages whose handling has not ended: operations in flight, for the log. */
    let pending = 0;
    let failed = false;
    /** Not read while its output waits beyond sendBufferBytes. */
    let throttled = false;
    let stall: NodeJS.Timeout | null = null;
    let pongWait: NodeJS.Timeout | null = null;
    let ping: NodeJS.Timeout | null = null;

    const nextPing = (): void => {
      ping = setTimeout(beat, keepAliveMs * (0.75 + Math.random() / 2));
    };
    const beat = (): void => {
      if (socket.readyState !== WebSocket.OPEN) return;
      // The last ping still unanswered: its time-out ends the socket. A socket that is not read
      // cannot answer; the stall time-out is its limit.
      if (pongWait === null && !throttled) {
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

    const unthrottle = (): void => {
      // Closed for stalling meanwhile: not read again; its end is due.
      if (socket.readyState !== WebSocket.OPEN) return;
      throttled = false;
      if (stall) clearTimeout(stall);
      stall = null;
      socket.resume();
    };
    const stalled = (): void => {
      if (socket.readyState !== WebSocket.OPEN) return;
      logger.warn(
        { ip: tcp.remoteAddress, unsentBytes: socket.bufferedAmount, operations: pending },
        "graphql-ws: closing a socket that does not read what it is sent",
      );
      socket.close(WS_POLICY_VIOLATION, "Too much unsent output");
      stall = setTimeout(() => socket.terminate(), sendStallMs);
    };
    const throttle = (): void => {
      if (throttled) return;
      throttled = true;
      socket.pause();
      if (pongWait) clearTimeout(pongWait);
      pongWait = null;
      // The output beyond the TCP stream's own mark (16 KiB, below sendBufferBytes) made it ask
      // for a drain: it comes once everything waiting has been written.
      tcp.once("drain", unthrottle);
      stall = setTimeout(stalled, sendStallMs);
    };

    const settled = (): void => {
      pending--;
    };
    const fault = (err: unknown): void => {
      pending--;
      // Once per socket: what follows the first failure (other operations ending as the socket
      // closes) is not news.
      if (failed || socket.readyState !== WebSocket.OPEN) return;
      failed = true;
      logger.error({ err }, "graphql-ws: handling a message failed");
      const reason = isProd ? "Internal server error" : limitCloseReason(err instanceof Error ? err.message : String(err), "Internal server error");
      socket.close(CloseCode.InternalServerError, reason);
    };

    const flush = coalescer(tcp);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          if (socket.readyState !== WebSocket.OPEN) return;
          flush.hold();
          if (socket.bufferedAmount < sendBufferBytes) {
            socket.send(data);
            return;
          }
          throttle();
          // Resolved also when the write fails: the socket is closing, and its close ends the operation.
          return new Promise<void>((resolve) => socket.send(data, () => resolve()));
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on("message", (data) => {
            pending++;
            cb(String(data)).then(settled, fault);
          }),
      },
      { socket, request } as Extra & Partial<E>,
    );

    socket.once("close", (code, reason) => {
      if (ping) clearTimeout(ping);
      if (pongWait) clearTimeout(pongWait);
      if (stall) clearTimeout(stall);
      tcp.removeListener("drain", unthrottle);
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

/** graphql-ws's own rule: a close reason is at most 123 bytes. */
function limitCloseReason(reason: string, whenTooLong: string): string {
  return reason.length < 124 ? reason : whenTooLong;
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
