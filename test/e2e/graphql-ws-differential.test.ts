/**
 * The center's socket lane (ws-transport.ts) against graphql-ws's own server (`useServer`), both
 * wired by the center with the same options (GRAPHQL_WS_LANE=library starts the latter): the same
 * sequences of messages get the same messages back, in the same order, and the same close codes
 * and reasons. The suite runs it in the test configuration and, in CI's second pass, in the
 * production one. The limits of graphql-armor (depth, aliases, cost) and the parser's token limit
 * carry the same codes over the socket as over HTTP.
 */
import { RawSocket, type Closed, type Message } from "../support/raw-ws";
import { startCenter, type TestCenter } from "../support/center";
import { until } from "../support/until";

const LAB01_KEY = "lab01-key-0123456789abcdef";

interface Transcript {
  messages: Message[];
  /** How the server closed the socket, if it did. */
  closed: Closed | null;
}

type Step = (s: RawSocket, t: { customer: string }) => Promise<void>;

/** Runs one sequence on a fresh socket and returns what came back. */
async function transcript(c: TestCenter, t: { customer: string }, protocol: string | null, step: Step): Promise<Transcript> {
  const s = await RawSocket.open(c.url.replace(/^http/, "ws") + "/graphql", protocol);
  try {
    await step(s, t);
    return { messages: s.messages, closed: s.closed };
  } finally {
    s.close();
  }
}

const init = async (s: RawSocket, bearer?: string): Promise<void> => {
  s.send({ type: "connection_init", payload: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  await until("the acknowledgement or a close", () => s.closed !== null || s.messages.some((m) => m.type === "connection_ack"), { timeoutMs: 10_000 });
};

/** Runs operations one after the other, each to its end. */
const ops =
  (bearer: "customer" | "lab" | null, list: Array<{ query: string; variables?: Record<string, unknown>; operationName?: string }>): Step =>
  async (s, t) => {
    await init(s, bearer === "customer" ? t.customer : bearer === "lab" ? LAB01_KEY : undefined);
    for (const [i, o] of list.entries()) {
      s.subscribe(String(i), o.query, o.variables, o.operationName);
      await s.done(String(i));
    }
  };

const closes =
  (send: (s: RawSocket, t: { customer: string }) => Promise<void> | void): Step =>
  async (s, t) => {
    await send(s, t);
    await s.whenClosed();
  };

const cases: Array<[string, string | null, Step]> = [
  ["no subprotocol", null, async (s) => void (await s.whenClosed())],
  ["the deprecated subprotocol", "graphql-ws", async (s) => void (await s.whenClosed())],
  ["a message that is not JSON", "graphql-transport-ws", closes((s) => s.send("{ not json"))],
  ["an unknown message type", "graphql-transport-ws", closes((s) => s.send({ type: "hello" }))],
  ["a subscribe before connection_init", "graphql-transport-ws", closes((s) => s.subscribe("1", "{ __typename }"))],
  [
    "connection_init twice",
    "graphql-transport-ws",
    closes(async (s, t) => {
      await init(s, t.customer);
      s.send({ type: "connection_init" });
    }),
  ],
  ["a bad credential", "graphql-transport-ws", closes((s) => init(s, "not-a-valid-token"))],
  ["a connection_init payload that is not an object", "graphql-transport-ws", closes((s) => s.send({ type: "connection_init", payload: "x" }))],
  [
    "a subscribe without a query",
    "graphql-transport-ws",
    closes(async (s, t) => {
      await init(s, t.customer);
      s.send({ id: "1", type: "subscribe", payload: { variables: {} } });
    }),
  ],
  [
    "a subscribe without an id",
    "graphql-transport-ws",
    closes(async (s, t) => {
      await init(s, t.customer);
      s.send({ type: "subscribe", payload: { query: "{ __typename }" } });
    }),
  ],
  [
    "a duplicate operation id",
    "graphql-transport-ws",
    closes(async (s, t) => {
      await init(s, t.customer);
      s.subscribe("same", "subscription { notifications { id } }");
      s.subscribe("q", "{ __typename }");
      await s.done("q");
      s.subscribe("same", "{ __typename }");
    }),
  ],
  [
    "pings, a complete for an unknown id, a subscription completed by the client",
    "graphql-transport-ws",
    async (s, t) => {
      await init(s, t.customer);
      s.send({ type: "ping" });
      s.send({ type: "ping", payload: { n: 1 } });
      s.send({ type: "pong" });
      s.send({ id: "nobody", type: "complete" });
      s.subscribe("n", "subscription { notifications { id } }");
      s.send({ id: "n", type: "complete" });
      s.subscribe("q", "{ me { login } }");
      await s.done("q");
    },
  ],
  ["an anonymous socket's query", "graphql-transport-ws", ops(null, [{ query: "{ me { login } }" }, { query: "{ notifications { id } }" }])],
  [
    "queries that fail: syntax, validation, variables, operation names, a thrown error, a field error",
    "graphql-transport-ws",
    ops("customer", [
      { query: "{ me { login " },
      { query: "{ me { nope } }" },
      { query: "query($id: ID!) { order(id: $id) { id } }" },
      { query: "query($id: ID!) { order(id: $id) { id } }", variables: { id: { a: 1 } } },
      { query: "query A { me { login } } query B { me { role } }", operationName: "B" },
      { query: "query A { me { login } } query B { me { role } }", operationName: "Nope" },
      { query: "query A { me { login } } query B { me { role } }" },
      { query: `{ printJob(id: "none") { id } }` },
      { query: `{ labPrintStats(labId: "LAB01", from: "2026-01-01", to: "2025-01-01") { labId } }` },
      { query: `{ order(id: "none") { id } }` },
      { query: "subscription { printJobs { job { id } } }" },
    ]),
  ],
  [
    "a mutation refused with payload errors, writing nothing",
    "graphql-transport-ws",
    ops("customer", [
      { query: `mutation { placeOrder(input: { shopId: "NOPE", fulfilment: { method: "PICKUP" }, subOrders: [] }) { order { id } errors { code field } } }` },
    ]),
  ],
  [
    "a lab's operations",
    "graphql-transport-ws",
    ops("lab", [{ query: "{ __typename }" }, { query: `mutation { claimPrintJob(jobId: "none") { leaseToken errors { code field } } }` }]),
  ],
  [
    "a message over the size limit",
    "graphql-transport-ws",
    closes(async (s, t) => {
      await init(s, t.customer);
      s.subscribe("big", `{ me { login } } # ${"x".repeat(1024 * 1024 + 10)}`);
    }),
  ],
];

/** Queries over each graphql-armor limit and the token limit. */
const overLimits: Array<[string, string]> = [
  ["depth", "{ me " + "{ a ".repeat(14) + "{ id }" + " }".repeat(14) + " }"],
  ["aliases", "{ " + Array.from({ length: 40 }, (_, i) => `a${i}: me { login }`).join(" ") + " }"],
  [
    "cost",
    `{ ${Array.from({ length: 29 }, (_, i) => `a${i}: me { ${"...A ".repeat(60)}}`).join(" ")} } fragment A on User { login name id role shopId shopGroupId disabled }`,
  ],
  ["tokens", "{ " + "__typename ".repeat(5100) + "}"],
  ["directives", "{ __typename " + "@skip(if: false) ".repeat(60) + "}"],
];

describe("the center's socket lane against graphql-ws's own server", () => {
  let center: TestCenter;
  let library: TestCenter;
  const tokens = { center: { customer: "" }, library: { customer: "" } };

  beforeAll(async () => {
    [center, library] = await Promise.all([startCenter({ env: { GRAPHQL_WS_LANE: "center" } }), startCenter({ env: { GRAPHQL_WS_LANE: "library" } })]);
    tokens.center.customer = await center.login("customer", "customer-pass");
    tokens.library.customer = await library.login("customer", "customer-pass");
  });
  afterAll(async () => {
    await Promise.all([center?.stop(), library?.stop()]);
  });

  it.each(cases)("%s: the same messages and close", async (_name, protocol, step) => {
    const [ours, theirs] = await Promise.all([transcript(center, tokens.center, protocol, step), transcript(library, tokens.library, protocol, step)]);
    expect(ours).toEqual(theirs);
    // Not vacuous: something came back or the socket was closed.
    expect(ours.messages.length > 0 || ours.closed !== null).toBe(true);
  });

  it("a socket that sends nothing is closed after 3 s (4408) by both", async () => {
    const [ours, theirs] = await Promise.all([
      transcript(center, tokens.center, "graphql-transport-ws", async (s) => void (await s.whenClosed())),
      transcript(library, tokens.library, "graphql-transport-ws", async (s) => void (await s.whenClosed())),
    ]);
    expect(ours).toEqual(theirs);
    expect(ours).toEqual({ messages: [], closed: { code: 4408, reason: "Connection initialisation timeout" } });
  });

  it.each(overLimits)("a query over the %s limit: the same error over both lanes, with the code HTTP gives it", async (_limit, query) => {
    const step = ops("customer", [{ query }]);
    const [ours, theirs] = await Promise.all([
      transcript(center, tokens.center, "graphql-transport-ws", step),
      transcript(library, tokens.library, "graphql-transport-ws", step),
    ]);
    expect(ours).toEqual(theirs);
    expect(ours.closed).toBeNull();
    const overHttp = await center.gql(query, {}, tokens.center.customer);
    expect(overHttp.status).toBe(400);
    const errors = ours.messages.find((m) => m.id === "0" && m.type === "error")?.payload as Array<{ message: string; extensions?: { code?: string } }>;
    expect(errors.map((e) => [e.message, e.extensions?.code])).toEqual(overHttp.errors!.map((e) => [e.message, e.extensions?.code]));
  });
});
