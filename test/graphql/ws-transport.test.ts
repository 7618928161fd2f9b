/**
 * The graphql-ws transport on real sockets (an HTTP server on port 0, `ws`, the graphql-ws client):
 * an operation's answer and completion leave in one write; a client that stops reading stops its
 * stream instead of filling the server's memory; a failure while handling a message closes that
 * socket with 4500 (graphql-ws's internal error) and goes to the log; oversized messages close
 * with 1009 and are logged; sockets are pinged about once a period, not all at once, and one
 * that does not answer is ended.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { buildSchema } from "graphql";
import { CloseCode, createClient, type Client } from "graphql-ws";
import pino from "pino";
import WebSocket, { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import { SEND_HIGH_WATER, serveGraphqlWs, type GraphqlWsTransport } from "../../src/graphql/ws-transport";
import { until } from "../support/until";

const EVENT_BYTES = 64 * 1024;
const EVENTS = 1000;

const schema = buildSchema(`
  type Query { hello: String! }
  type Subscription { big: String! }
`);

interface Harness {
  url: string;
  /** Writes to the TCP socket of each connection, as the stream hands them to the kernel. */
  writes: number[];
  /** Events the `big` subscription has produced so far. */
  produced: { count: number };
  logs: Array<{ level: number; msg: string }>;
  transport: GraphqlWsTransport;
  server: http.Server;
}

async function start(keepAliveMs?: number): Promise<Harness> {
  const logs: Harness["logs"] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logs.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  const logger = pino({ level: "info" }, sink);
  const produced = { count: 0 };
  const server = http.createServer();
  const wss = new WebSocketServer({ server, path: "/graphql", maxPayload: 1024 });
  const transport = serveGraphqlWs(
    {
      schema,
      roots: {
        query: { hello: () => "world" },
        subscription: {
          big: async function* () {
            for (let i = 0; i < EVENTS; i++) {
              produced.count++;
              yield { big: String(i).padEnd(EVENT_BYTES, "x") };
            }
          },
        },
      },
      onSubscribe: (_ctx, _id, payload) => {
        if (payload.query.includes("boom")) throw new Error("the handler broke");
      },
    },
    wss,
    logger,
    { keepAliveMs },
  );
  const writes: number[] = [];
  // Registered after the transport's own listener: counts what each connection writes from now on
  // (_write and _writev are the calls a stream makes to hand data to the socket).
  wss.on("connection", (_socket: WebSocket, request: http.IncomingMessage) => {
    const index = writes.push(0) - 1;
    const tcp = request.socket as unknown as { _write: (...a: unknown[]) => void; _writev?: (...a: unknown[]) => void };
    const write = tcp._write.bind(tcp);
    tcp._write = (...a: unknown[]) => {
      writes[index]++;
      write(...a);
    };
    if (tcp._writev) {
      const writev = tcp._writev.bind(tcp);
      tcp._writev = (...a: unknown[]) => {
        writes[index]++;
        writev(...a);
      };
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return { url, writes, produced, logs, transport, server };
}

describe("the graphql-ws transport", () => {
  let h: Harness;
  const clients: Client[] = [];
  beforeAll(async () => {
    h = await start();
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await h.transport.dispose();
    await new Promise((r) => h.server.close(r));
  });

  function client(closes: number[] = []): Client {
    const c = createClient({
      url: h.url,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
      on: { closed: (e) => closes.push((e as { code: number }).code) },
    });
    clients.push(c);
    return c;
  }

  it("sends an operation's answer and its completion in one write", async () => {
    const c = client();
    await new Promise<void>((resolve, reject) => c.subscribe({ query: "{ hello }" }, { next: () => undefined, error: reject, complete: resolve }));
    const conn = h.writes.length - 1;
    for (let i = 0; i < 5; i++) {
      const before = h.writes[conn];
      const frames: unknown[] = [];
      await new Promise<void>((resolve, reject) => c.subscribe({ query: "{ hello }" }, { next: (v) => frames.push(v), error: reject, complete: resolve }));
      await new Promise((r) => setImmediate(r));
      expect(frames).toEqual([{ data: { hello: "world" } }]);
      expect(h.writes[conn] - before).toBe(1);
    }
  });

  it("holds a stream back while its client does not read, and sends all of it once the client reads again", async () => {
    const raw = new WebSocket(h.url, "graphql-transport-ws");
    const received: number[] = [];
    raw.on("message", (d) => {
      const m = JSON.parse(String(d)) as { type: string; payload?: { data?: { big: string } } };
      if (m.type === "next") received.push(Number.parseInt(m.payload!.data!.big, 10));
    });
    await new Promise((r) => raw.once("open", r));
    raw.send(JSON.stringify({ type: "connection_init" }));
    await new Promise((r) => raw.once("message", r));
    // The client stops reading its TCP socket; the kernel's buffers fill, then the server's.
    const tcp = (raw as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    raw.send(JSON.stringify({ id: "s", type: "subscribe", payload: { query: "subscription { big }" } }));
    // Time for the buffers to fill: a held-back producer shows only as one that stops producing.
    await new Promise((r) => setTimeout(r, 500));
    const held = h.produced.count;
    // Far from all of it: the kernel's buffers, SEND_HIGH_WATER and one event waiting on its write.
    expect(held).toBeLessThan(EVENTS / 2);
    expect(held).toBeGreaterThan(SEND_HIGH_WATER / EVENT_BYTES);
    // Time passes and nothing more is produced: an absence cannot be awaited.
    await new Promise((r) => setTimeout(r, 300));
    expect(h.produced.count).toBe(held);
    tcp.resume();
    await until("every event", () => received.length === EVENTS, { timeoutMs: 20_000 });
    expect(received).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
    raw.close();
  });

  it("closes the socket with 4500 (internal error) when handling a message fails, and logs it", async () => {
    const closes: number[] = [];
    const c = client(closes);
    const r = await new Promise<unknown>((resolve) =>
      c.subscribe({ query: "{ hello } # boom" }, { next: () => undefined, error: resolve, complete: () => resolve("completed") }),
    );
    expect(r).not.toBe("completed");
    await until("the socket to close", () => closes.length > 0, { timeoutMs: 8000 });
    expect(closes).toEqual([CloseCode.InternalServerError]); // 4500
    expect(h.logs.filter((l) => l.msg === "graphql-ws: handling a message failed")).toHaveLength(1);
  });

  it("closes the socket with 1009 on a message over the limit, and logs it as a warning", async () => {
    const closes: number[] = [];
    const c = client(closes);
    const consoleError = jest.spyOn(console, "error");
    void new Promise((resolve) =>
      c.subscribe({ query: `{ hello } # ${"x".repeat(2048)}` }, { next: () => undefined, error: resolve, complete: () => resolve(null) }),
    );
    await until("the socket to close", () => closes.length > 0, { timeoutMs: 8000 });
    expect(closes).toEqual([1009]);
    expect(h.logs.filter((l) => l.msg === "graphql-ws: socket error" && l.level === 40)).toHaveLength(1);
    expect(consoleError).not.toHaveBeenCalled();
    consoleError.mockRestore();
  });
});

describe("the graphql-ws transport's keep-alive", () => {
  const PERIOD_MS = 400;
  let h: Harness;
  beforeAll(async () => {
    h = await start(PERIOD_MS);
  });
  afterAll(async () => {
    await h.transport.dispose();
    await new Promise((r) => h.server.close(r));
  });

  async function open(options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
    const raw = new WebSocket(h.url, "graphql-transport-ws", options);
    await new Promise((r) => raw.once("open", r));
    raw.send(JSON.stringify({ type: "connection_init" }));
    await new Promise((r) => raw.once("message", r));
    return raw;
  }

  it("pings sockets opened together at spread-out moments, each within a quarter period of the period", async () => {
    const opened = Date.now();
    const sockets = await Promise.all(Array.from({ length: 20 }, () => open()));
    const pings: number[][] = sockets.map(() => []);
    sockets.forEach((s, i) => s.on("ping", () => pings[i].push(Date.now())));
    // The pings are measured over four periods: the time must pass.
    await new Promise((r) => setTimeout(r, PERIOD_MS * 4));
    const firsts = pings.map((p) => p[0] - opened);
    // Jittered: not one moment for all (20 draws over 200 ms almost never fall within 40 ms).
    expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThan(40);
    for (const p of pings) {
      expect(p.length).toBeGreaterThanOrEqual(2);
      expect(p.length).toBeLessThanOrEqual(6);
      for (let k = 1; k < p.length; k++) {
        // Timers never fire early, but a busy machine may deliver one ping late and the next on time.
        expect(p[k] - p[k - 1]).toBeGreaterThanOrEqual(PERIOD_MS * 0.5);
        // Late only by what a busy machine delays a timer.
        expect(p[k] - p[k - 1]).toBeLessThanOrEqual(PERIOD_MS * 1.25 + 300);
      }
    }
    // Answered (the client answers pings itself): every socket is still open.
    expect(sockets.map((s) => s.readyState)).toEqual(sockets.map(() => WebSocket.OPEN));
    for (const s of sockets) s.close();
  });

  it("ends a socket that does not answer its ping", async () => {
    // Taken before connecting: the center's timers start when it accepts the socket, which a busy
    // machine may report to this client some milliseconds later.
    const started = Date.now();
    const silent = await open({ autoPong: false });
    const answering = await open();
    const closed = new Promise<number>((r) => silent.once("close", (code) => r(code)));
    expect(await closed).toBe(1006); // terminated, no close frame
    // First ping after 0.75 to 1.25 periods, then a period without the pong.
    expect(Date.now() - started).toBeGreaterThanOrEqual(PERIOD_MS * 1.75 - 50);
    expect(Date.now() - started).toBeLessThan(PERIOD_MS * 2.25 + 1500);
    expect(answering.readyState).toBe(WebSocket.OPEN);
    answering.close();
  });
});

describe("the graphql-ws transport against graphql-ws's useServer", () => {
  /** A server on port 0 with either transport and a handler that fails on "boom". */
  async function serve(lane: "center" | "library", isProd: boolean): Promise<{ url: string; stop(): Promise<void> }> {
    const server = http.createServer();
    const wss = new WebSocketServer({ server, path: "/graphql", maxPayload: 1024 });
    const options = {
      schema,
      roots: { query: { hello: () => "world" } },
      onSubscribe: (_ctx: unknown, _id: string, payload: { query: string }) => {
        if (payload.query.includes("boom")) throw new Error(payload.query.includes("long") ? "the handler broke ".repeat(10) : "the handler broke");
      },
    };
    const silent = pino({ level: "silent" });
    const consoleError = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const t = lane === "center" ? serveGraphqlWs(options, wss, silent, { isProd }) : useServer({ ...options, isProd }, wss);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return {
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
      async stop() {
        await t.dispose();
        await new Promise((r) => server.close(r));
        consoleError.mockRestore();
      },
    };
  }

  async function run(url: string, query: string): Promise<{ messages: unknown[]; close: [number, string] }> {
    const raw = new WebSocket(url, "graphql-transport-ws");
    const messages: unknown[] = [];
    raw.on("message", (d) => messages.push(JSON.parse(String(d))));
    await new Promise((r) => raw.once("open", r));
    raw.send(JSON.stringify({ type: "connection_init" }));
    await new Promise((r) => raw.once("message", r));
    raw.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
    const close = await new Promise<[number, string]>((r) => raw.once("close", (code, reason) => r([code, String(reason)])));
    return { messages, close };
  }

  it.each([true, false])("closes as useServer does when handling a message fails (isProd %s): 4500 with the same reason", async (isProd) => {
    const [ours, theirs] = await Promise.all([serve("center", isProd), serve("library", isProd)]);
    try {
      for (const query of ["{ hello } # boom", "{ hello } # boom long", `{ hello } # ${"x".repeat(2048)}`]) {
        const [a, b] = await Promise.all([run(ours.url, query), run(theirs.url, query)]);
        expect(a).toEqual(b);
      }
      const r = await run(ours.url, "{ hello } # boom");
      expect(r).toEqual({ messages: [{ type: "connection_ack" }], close: [4500, isProd ? "Internal server error" : "the handler broke"] });
      expect((await run(ours.url, "{ hello } # boom long")).close).toEqual([4500, "Internal server error"]);
    } finally {
      await Promise.all([ours.stop(), theirs.stop()]);
    }
  });
});
