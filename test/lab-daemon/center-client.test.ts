/**
 * The daemon's connection to the center, against small graphql-transport-ws servers that misbehave
 * on purpose: a center that goes away and comes back (re-subscribed, backlog again), one that
 * stops answering pings (cut and reconnected), one that refuses the key (4403, given up on after a
 * few refusals), one that is not there at all (retried, never given up on). Plus the pure helpers.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { CenterClient, backoffDelay, centerBaseUrl, verifyImage, type JobEvent, type SubscriptionHandlers } from "../../src/lab-daemon/center-client";
import { until } from "../support/until";

interface FakeCenter {
  url: string;
  connections: number;
  subscribes: Array<{ operationName?: string; query: string }>;
  inits: unknown[];
  sockets: Set<WebSocket>;
  close(): Promise<void>;
}

/**
 * A graphql-transport-ws server: `onInit` decides (ack, or close with a code); each subscribe is
 * answered with `backlog` job events; pings are answered unless `deaf`.
 */
async function fakeCenter(opts: { onInit?: () => number | "ack"; backlog?: () => object[]; deaf?: boolean; port?: number } = {}): Promise<FakeCenter> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, path: "/graphql" });
  const fake: FakeCenter = {
    url: "",
    connections: 0,
    subscribes: [],
    inits: [],
    sockets: new Set(),
    close: () =>
      new Promise((resolve) => {
        for (const s of fake.sockets) s.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
  wss.on("connection", (socket) => {
    fake.connections += 1;
    fake.sockets.add(socket);
    socket.on("close", () => fake.sockets.delete(socket));
    socket.on("message", (raw) => {
      const msg = JSON.parse(String(raw)) as { type: string; id?: string; payload?: { operationName?: string; query: string } & Record<string, unknown> };
      if (msg.type === "connection_init") {
        fake.inits.push(msg.payload);
        const verdict = opts.onInit?.() ?? "ack";
        if (verdict === "ack") socket.send(JSON.stringify({ type: "connection_ack" }));
        else socket.close(verdict, "Forbidden");
      } else if (msg.type === "ping" && !opts.deaf) {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (msg.type === "subscribe") {
        fake.subscribes.push(msg.payload!);
        for (const job of opts.backlog?.() ?? []) socket.send(JSON.stringify({ type: "next", id: msg.id, payload: { data: { printJobs: { job } } } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

function recorder() {
  const log: string[] = [];
  const jobs: JobEvent[] = [];
  const handlers: SubscriptionHandlers = {
    onJob: (j) => jobs.push(j),
    onConnected: (again) => log.push(again ? "reconnected" : "connected"),
    onDisconnected: (code) => log.push(`lost ${code}`),
    onRetry: ({ refused }) => log.push(refused ? "retry refused" : "retry unreachable"),
    onGiveUp: (e) => log.push(`give up: ${e.message}`),
    onWarning: (m) => log.push(`warning: ${m}`),
  };
  return { log, jobs, handlers };
}

const job = (id: string) => ({
  id,
  orderId: `O-${id}`,
  labId: "LAB01",
  status: "QUEUED",
  attempts: 0,
  lastError: null,
  order: { subOrders: [{ sheets: 2 }, { sheets: 3 }] },
});
const fast = { backoff: { baseMs: 20, capMs: 100 } };

describe("the printJobs connection", () => {
  let client: CenterClient | null = null;
  let center: FakeCenter | null = null;
  afterEach(async () => {
    await client?.close();
    await center?.close();
    client = null;
    center = null;
  });

  it("subscribes eagerly with an operation name and the key, and after the center comes back subscribes again and gets the backlog again", async () => {
    let backlog = [job("J1")];
    center = await fakeCenter({ backlog: () => backlog });
    const port = Number(new URL(center.url).port);
    const r = recorder();
    client = new CenterClient({ url: center.url + "/graphql/", key: "k", ...fast });
    client.start(r.handlers);
    await until("the backlog", () => r.jobs.length === 1, { timeoutMs: 5000 });
    expect(r.jobs[0]).toEqual({ id: "J1", orderId: "O-J1", labId: "LAB01", status: "QUEUED", attempts: 0, lastError: null, sheets: 5 });
    expect(center.inits).toEqual([{ authorization: "Bearer k" }]);
    expect(center.subscribes[0].operationName).toBe("LabPrintJobs");
    expect(center.subscribes[0].query).toMatch(/^subscription LabPrintJobs \{ printJobs \{ job \{ id orderId labId status attempts/);

    // The center goes away (connections cut, port closed), then comes back on the same port.
    await center.close();
    await until("the loss noticed", () => r.log.includes("lost 1006") && r.log.includes("retry unreachable"), { timeoutMs: 5000 });
    backlog = [job("J1"), job("J2")];
    center = await fakeCenter({ backlog: () => backlog, port });
    await until("the new backlog", () => r.jobs.length === 3, { timeoutMs: 5000 });
    expect(r.jobs.map((j) => j.id)).toEqual(["J1", "J1", "J2"]);
    expect(r.log.filter((l) => l.endsWith("connected"))).toEqual(["connected", "reconnected"]);
    expect(center.subscribes).toHaveLength(1);
  });

  it("cuts a connection that no longer answers pings, and connects again", async () => {
    center = await fakeCenter({ deaf: true, backlog: () => [job("J1")] });
    const r = recorder();
    client = new CenterClient({ url: center.url, key: "k", keepAliveMs: 100, pongTimeoutMs: 100, ...fast });
    client.start(r.handlers);
    // The server counts a connection at the WebSocket upgrade, before the client has its ack (and
    // so before "reconnected") or the backlog: wait for what the client saw, not for the server.
    await until("the reconnect and its backlog", () => r.log.includes("reconnected") && r.jobs.length >= 2, { timeoutMs: 5000 });
    expect(center.connections).toBeGreaterThanOrEqual(2);
    // One cycle, in order: acknowledged, cut (no pong), a retry announced, acknowledged again.
    expect(r.log.slice(0, 4)).toEqual(["connected", "lost 1006", "retry unreachable", "reconnected"]);
    expect(r.jobs.slice(0, 2).map((j) => j.id)).toEqual(["J1", "J1"]);
  });

  it("gives up after three refusals of the key (4403), saying why", async () => {
    center = await fakeCenter({ onInit: () => 4403 });
    const r = recorder();
    client = new CenterClient({ url: center.url, key: "bad", ...fast });
    client.start(r.handlers);
    await until("giving up", () => r.log.some((l) => l.startsWith("give up")), { timeoutMs: 5000 });
    expect(r.log).toEqual(["retry refused", "retry refused", "give up: the center refused the lab key (4403): check --key"]);
    const connections = center.connections;
    // Time passes and no attempt comes: an absence cannot be awaited.
    await new Promise((r2) => setTimeout(r2, 300));
    expect(center.connections).toBe(connections); // no more attempts
  });

  it("keeps retrying a center that is not there, with a growing wait", async () => {
    const gone = await fakeCenter();
    const url = gone.url;
    await gone.close();
    const r = recorder();
    client = new CenterClient({ url, key: "k", ...fast });
    client.start(r.handlers);
    await until("ten retries", () => r.log.filter((l) => l === "retry unreachable").length >= 10, { timeoutMs: 5000 });
    expect(r.log.every((l) => l === "retry unreachable")).toBe(true);
  });
});

describe("helpers", () => {
  it("backs off exponentially up to the cap, jittered within the upper half", () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 1000, 30000, () => 0))).toEqual([500, 1000, 2000, 4000, 15000]);
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 1000, 30000, () => 1))).toEqual([1000, 2000, 4000, 8000, 30000]);
    expect(backoffDelay(1000, 1000, 30000, () => 0.5)).toBe(22500);
  });

  it("takes the center's URL with or without /graphql, and refuses what is not http(s) or carries credentials", () => {
    expect(centerBaseUrl("http://localhost:4000")).toBe("http://localhost:4000");
    expect(centerBaseUrl("https://center.example/graphql/")).toBe("https://center.example");
    expect(centerBaseUrl("http://h/prefix/graphql")).toBe("http://h/prefix");
    expect(() => centerBaseUrl("localhost:4000")).toThrow("--url must start with http:// or https://");
    expect(() => centerBaseUrl("nonsense")).toThrow("--url must be the center's URL");
    expect(() => centerBaseUrl("http://u:p@h")).toThrow("--url must not carry a user or password");
  });

  it("checks downloaded bytes against the job's size and sha256", () => {
    const bytes = Buffer.from("hello");
    const sha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    expect(() => verifyImage({ imageId: "I", bytes: 5, sha256 }, bytes)).not.toThrow();
    expect(() => verifyImage({ imageId: "I", bytes: 5, sha256: sha256.toUpperCase() }, bytes)).not.toThrow();
    expect(() => verifyImage({ imageId: "I", bytes: 6, sha256 }, bytes)).toThrow("image I: expected 6 bytes, got 5");
    expect(() => verifyImage({ imageId: "I", bytes: 5, sha256: "0".repeat(64) }, bytes)).toThrow(`image I: expected sha256 ${"0".repeat(64)}, got ${sha256}`);
  });
});
