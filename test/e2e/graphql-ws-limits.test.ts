/**
 * What one WebSocket may hold, through the real center: a socket that stops reading is no longer
 * read once its unsent output passes the bound, and is closed (1008) if it stays there, with the
 * center's memory bounded and one log line; operations in flight and subscriptions per socket are
 * capped (coded errors, the socket stays); a socket holds one printJobs subscription; sockets per
 * credential are capped (1008).
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { RawSocket } from "../support/raw-ws";
import { startCenter, type TestCenter } from "../support/center";
import { until } from "../support/until";

v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const LAB01_KEY = "lab01-key-0123456789abcdef";
const PRINT_JOBS = "subscription { printJobs { job { id status } } }";
const NOTIFICATIONS = "subscription { notifications { id } }";
const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId } errors { code message } } }`;

const wsUrl = (c: TestCenter) => c.url.replace(/^http/, "ws") + "/graphql";

/** The center's live memory (heap and buffers), after a full collection. */
function liveBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function metric(c: TestCenter, pattern: RegExp): Promise<number> {
  const m = pattern.exec(await (await fetch(`${c.url}/metrics`)).text());
  return m ? Number(m[1]) : 0;
}

function codesOf(messages: Array<{ type: string; payload?: any }>): string[] {
  return messages
    .filter((m) => m.type === "error")
    .flatMap((m) => (m.payload as Array<{ extensions?: { code?: string } }>).map((e) => String(e.extensions?.code)));
}

describe("a socket's limits", () => {
  let c: TestCenter;
  let customer: string;
  let center: string;
  const sockets: RawSocket[] = [];
  const init = async (bearer: string) => {
    const s = await RawSocket.init(wsUrl(c), bearer);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    // The stall time is also the grace between the center's close (1008) and its hard cut: long
    // enough that the measurements below, on a busy machine, finish before the client reads again.
    c = await startCenter({ env: { WS_MAX_SOCKETS_PER_CREDENTIAL: "2", WS_MAX_SUBSCRIPTIONS: "2", WS_SEND_STALL_SECONDS: "8" } });
    customer = await c.login("customer", "customer-pass");
    center = await c.login("center", "center-pass-1");
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await c?.stop();
  });

  it("stops reading a socket whose unsent output passes the bound, closes it (1008) when it stays there, with one log line, and the center's memory stays bounded", async () => {
    const warn = jest.spyOn(c.server.app.logger, "warn");
    const error = jest.spyOn(c.server.app.logger, "error");
    const COUNT = 3000;
    const BYTES = 16 * 1024;
    const answered = () => metric(c, /printmesh_graphql_operations_total\{operation="order",type="query",transport="ws"\} (\d+)/);
    const openSockets = () => metric(c, /printmesh_websocket_connections (\d+)/);
    const socketsBefore = await openSockets();
    const before = liveBytes();

    const child = spawn(process.execPath, [path.join(__dirname, "../support/unread-ws-client.js"), wsUrl(c), customer, String(COUNT), String(BYTES)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const lines: Array<Record<string, unknown>> = [];
    child.stdout.on("data", (d) => {
      for (const l of String(d).split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
    });
    try {
      await until("the client to send everything", () => lines.some((l) => l.sent === COUNT), { timeoutMs: 20_000 });
      const stalled = () => warn.mock.calls.some((call) => call[1] === "graphql-ws: closing a socket that does not read what it is sent");
      // Either the center stopped reading and gave up on the socket, or it read and answered everything.
      await until("the center to give up on the socket, or to answer every operation", async () => stalled() || (await answered()) === COUNT, {
        timeoutMs: 60_000,
      });
      const grown = liveBytes() - before;
      expect({ stalled: stalled(), answered: await answered() }).toEqual({ stalled: true, answered: expect.any(Number) });
      // Read no further than its bound: a few hundred of the 3,000 operations at most.
      expect(await answered()).toBeLessThan(300);
      expect(grown).toBeLessThan(24 * 1024 * 1024);

      // The client reads again: what was sent before the close, then the close itself.
      child.stdin.write("resume\n");
      await until("the client to see the close", () => lines.some((l) => "closed" in l), { timeoutMs: 20_000 });
      expect(lines.find((l) => "closed" in l)).toEqual({ closed: 1008, reason: "Too much unsent output" });
      await until("the socket to be gone", async () => (await openSockets()) === socketsBefore, { timeoutMs: 20_000 });
      // One line for the socket, none per operation it left unanswered.
      const line = warn.mock.calls.filter((call) => call[1] === "graphql-ws: closing a socket that does not read what it is sent");
      expect(line).toHaveLength(1);
      expect(line[0][0]).toEqual(expect.objectContaining({ ip: "127.0.0.1", unsentBytes: expect.any(Number), operations: expect.any(Number) }));
      expect(error).not.toHaveBeenCalled();
      // Nothing else was logged as a warning for it.
      expect(warn.mock.calls.map((call) => call[1])).toEqual(["graphql-ws: closing a socket that does not read what it is sent"]);
    } finally {
      child.kill();
      warn.mockRestore();
      error.mockRestore();
    }
    // The center still answers.
    const s = await init(customer);
    s.subscribe("me", "{ me { login } }");
    expect(await s.done("me")).toEqual([
      { id: "me", type: "next", payload: { data: { me: { login: "customer" } } } },
      { id: "me", type: "complete" },
    ]);
    s.close();
  });

  it("refuses a socket's subscription beyond the cap with TOO_MANY_SUBSCRIPTIONS; the socket and its other operations go on; a completed subscription frees its place", async () => {
    const s = await init(customer);
    s.subscribe("n1", NOTIFICATIONS);
    s.subscribe("n2", NOTIFICATIONS);
    s.subscribe("q1", "{ me { login } }");
    await s.done("q1");
    s.subscribe("n3", NOTIFICATIONS);
    expect(await s.done("n3")).toEqual([
      { id: "n3", type: "error", payload: [{ message: "Too many subscriptions on this socket (at most 2)", extensions: { code: "TOO_MANY_SUBSCRIPTIONS" } }] },
    ]);
    s.subscribe("q2", "{ me { login } }");
    expect((await s.done("q2"))[0]).toEqual({ id: "q2", type: "next", payload: { data: { me: { login: "customer" } } } });
    s.send({ id: "n1", type: "complete" });
    await until(
      "n1's place to be free",
      async () => {
        const id = `n4-${s.messages.length}`;
        s.subscribe(id, NOTIFICATIONS);
        s.subscribe(`${id}-q`, "{ __typename }");
        await s.done(`${id}-q`);
        if (s.of(id).length === 0) return true;
        return false;
      },
      { timeoutMs: 20_000 },
    );
    expect(s.closed).toBeNull();
    expect(s.of("n1")).toEqual([]);
    expect(s.of("n2")).toEqual([]);
    s.close();
  });

  it("keeps one printJobs subscription per socket: a second replaces the first, which completes; a lab key holds no more streams than sockets", async () => {
    const placed = await c.gql(
      PLACE,
      { input: { shopId: "SP01", fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 1, items: [] }] } },
      customer,
    );
    const order = placed.data!.placeOrder.order;
    expect((await c.gql(CONFIRM, { id: order.id, total: order.total }, customer)).data!.confirmOrder.order.labId).toBe("LAB01");
    const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: order.id });
    const event = { data: { printJobs: { job: { id: job.id, status: "QUEUED" } } } };

    const a = await init(LAB01_KEY);
    a.subscribe("p1", PRINT_JOBS);
    await until("the backlog", () => a.of("p1").length > 0, { timeoutMs: 10_000 });
    expect(a.of("p1")).toEqual([{ id: "p1", type: "next", payload: event }]);
    // The same socket subscribing again (the lab daemon does, to be sent its backlog again): the
    // new subscription gets the backlog, the old one completes.
    a.subscribe("p2", PRINT_JOBS);
    a.subscribe("p3", PRINT_JOBS);
    await until(
      "p1 and p2 to complete and p3's backlog",
      () => a.of("p1").length === 2 && a.of("p2").some((m) => m.type === "complete") && a.of("p3").length > 0,
      { timeoutMs: 10_000 },
    );
    expect(a.of("p1")).toEqual([
      { id: "p1", type: "next", payload: event },
      { id: "p1", type: "complete" },
    ]);
    expect(a.of("p2").filter((m) => m.type !== "next")).toEqual([{ id: "p2", type: "complete" }]);
    expect(a.of("p3")).toEqual([{ id: "p3", type: "next", payload: event }]);

    // A job rung once reaches the socket once, through its one live stream.
    c.server.app.events.publish("printJob", "LAB01", { jobId: job.id });
    await until("the ring's event", () => a.of("p3").length === 2, { timeoutMs: 10_000 });
    a.subscribe("q", "{ __typename }");
    await a.done("q");
    expect(a.of("p3")).toEqual([
      { id: "p3", type: "next", payload: event },
      { id: "p3", type: "next", payload: event },
    ]);
    expect(a.of("p1")).toHaveLength(2);

    // A second daemon of the lab, on a socket of its own, has its own stream; a third socket of the
    // key is beyond the cap (2 here).
    const b = await init(LAB01_KEY);
    b.subscribe("p1", PRINT_JOBS);
    await until("b's backlog", () => b.of("p1").length > 0, { timeoutMs: 10_000 });
    expect(b.of("p1")).toEqual([{ id: "p1", type: "next", payload: event }]);
    const third = await init(LAB01_KEY);
    expect(await third.whenClosed()).toEqual({ code: 1008, reason: "Too many sockets for this credential" });
    // Subscribing changed nothing.
    expect((await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ id: job.id })).status).toBe("QUEUED");
    a.close();
    b.close();
    await a.whenClosed();
    await b.whenClosed();
  });

  it("closes a socket beyond the cap per credential with 1008, not another person's; a closed one frees its place", async () => {
    await until("the sockets of the tests before to be gone", async () => (await metric(c, /printmesh_websocket_connections (\d+)/)) === 0, {
      timeoutMs: 20_000,
    });
    const first = await init(customer);
    const second = await init(customer);
    const third = await init(customer);
    expect(first.messages).toEqual([{ type: "connection_ack" }]);
    expect(second.messages).toEqual([{ type: "connection_ack" }]);
    expect(await third.whenClosed()).toEqual({ code: 1008, reason: "Too many sockets for this credential" });
    expect(third.messages).toEqual([]);
    // A new session of the same person counts with the others.
    const again = await init(await c.login("customer", "customer-pass"));
    expect(await again.whenClosed()).toEqual({ code: 1008, reason: "Too many sockets for this credential" });

    const someoneElse = await init(center);
    expect(someoneElse.messages).toEqual([{ type: "connection_ack" }]);
    first.close();
    await first.whenClosed();
    await until(
      "a place to be free",
      async () => {
        const s = await init(customer);
        return s.messages.some((m) => m.type === "connection_ack");
      },
      { timeoutMs: 20_000 },
    );
    expect(second.closed).toBeNull();
  });
});

describe("a socket's operations in flight", () => {
  let c: TestCenter;
  beforeAll(async () => {
    c = await startCenter({ env: { WS_MAX_OPERATIONS: "2" } });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("refuses an operation beyond the cap with TOO_MANY_OPERATIONS and runs it again once one ends", async () => {
    const s = await RawSocket.init(wsUrl(c), await c.login("customer", "customer-pass"));
    s.subscribe("n1", NOTIFICATIONS);
    s.subscribe("n2", NOTIFICATIONS);
    s.subscribe("q1", "{ me { login } }");
    expect(await s.done("q1")).toEqual([
      {
        id: "q1",
        type: "error",
        payload: [{ message: "Too many operations in flight on this socket (at most 2)", extensions: { code: "TOO_MANY_OPERATIONS" } }],
      },
    ]);
    expect(codesOf(s.messages)).toEqual(["TOO_MANY_OPERATIONS"]);
    s.send({ id: "n1", type: "complete" });
    await until(
      "q2 to run",
      async () => {
        const id = `q2-${s.messages.length}`;
        s.subscribe(id, "{ me { login } }");
        const m = await s.done(id);
        return m[0].type === "next";
      },
      { timeoutMs: 20_000 },
    );
    expect(s.closed).toBeNull();
    s.close();
  });
});
