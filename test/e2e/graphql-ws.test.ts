/**
 * GraphQL over the socket (graphql-ws), through the real center: queries and mutations answer as
 * over HTTP (a lab claims and completes a job over the socket it holds for its jobs), with the
 * same error codes, limits and metrics; a credential that stops holding (a revoked lab key, a
 * disabled lab or user) closes its sockets with 4403 at once; an oversized message closes the
 * socket. Plus the bounded document cache.
 */
import { specifiedRules } from "graphql";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { queryCounter } from "../../src/db/query-counter";
import { DocumentCache } from "../../src/graphql/document-cache";
import { CenterClient } from "../../src/lab-daemon/center-client";
import { appSchema } from "../../src/graphql/schema";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { OrderEntity } from "../../src/orders/order.entity";
import { METRICS_HEADERS, startCenter, type TestCenter } from "../support/center";
import { until } from "../support/until";

const LAB01_KEY = "lab01-key-0123456789abcdef";
const LAB02_KEY = "lab02-key-0123456789abcdef";

const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId } errors { code message } } }`;
const CLAIM = `mutation($id: ID!) { claimPrintJob(jobId: $id) { job { id status attempts } leaseToken errors { code message field } } }`;
const COMPLETE = `mutation($id: ID!, $token: String!) { completePrintJob(jobId: $id, leaseToken: $token) { job { id status } errors { code message field } } }`;

type Result = { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

/** One operation over the client's socket: its single result, or the operation's error list. */
async function op(client: Client, query: string, variables: Record<string, unknown> = {}, operationName?: string): Promise<Result> {
  return new Promise<Result>((resolve) => {
    let result: Result = {};
    client.subscribe(
      { query, variables, operationName },
      {
        next: (r) => {
          result = r as Result;
        },
        error: (e) => resolve({ errors: Array.isArray(e) ? (e as Result["errors"]) : [{ message: String((e as { code?: number }).code ?? e) }] }),
        complete: () => resolve(result),
      },
    );
  });
}

/** A client that counts its connections and records how its socket closed. */
function watched(c: TestCenter, bearer: string) {
  const state = { connected: 0, closes: [] as number[] };
  const client = createClient({
    url: c.url.replace(/^http/, "ws") + "/graphql",
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${bearer}` },
    retryAttempts: 0,
    lazy: false,
    on: {
      connected: () => {
        state.connected += 1;
      },
      closed: (e) => {
        state.closes.push((e as { code: number }).code);
      },
    },
    onNonLazyError: () => undefined,
  });
  return { client, state };
}

async function metric(c: TestCenter, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${c.url}/metrics`, { headers: METRICS_HEADERS })).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : 0;
}

describe("GraphQL over the socket", () => {
  let c: TestCenter;
  const t: Record<string, string> = {};
  const opened: Client[] = [];
  const open = (bearer: string) => {
    const w = watched(c, bearer);
    opened.push(w.client);
    return w;
  };

  beforeAll(async () => {
    c = await startCenter({ env: { GRAPHQL_INTROSPECTION: "0" } });
    for (const [k, login, pw] of [
      ["center", "center", "center-pass-1"],
      ["customer", "customer", "customer-pass"],
    ]) {
      t[k] = await c.login(login, pw);
    }
  });
  afterAll(async () => {
    for (const client of opened) await client.dispose();
    await c?.stop();
  });

  it("a lab claims and completes over the socket it holds; the answers and the stored state are those of HTTP, counted as ws", async () => {
    const placed = await c.gql(
      PLACE,
      { input: { shopId: "SP01", fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 2, items: [{ imageId: "IMG-C01" }] }] } },
      t.customer,
    );
    expect(placed.data!.placeOrder.errors).toEqual([]);
    const order = placed.data!.placeOrder.order;
    const confirmed = await c.gql(CONFIRM, { id: order.id, total: order.total }, t.customer);
    expect(confirmed.data!.confirmOrder.order.labId).toBe("LAB01");
    const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: order.id });
    const claimsOverHttp = await metric(c, /printmesh_graphql_operations_total\{operation="claimPrintJob",type="mutation",transport="http"\} (\d+)/);

    const lab = open(LAB01_KEY);
    const claimed = await op(lab.client, CLAIM, { id: job.id });
    expect(claimed.errors).toBeUndefined();
    expect(claimed.data!.claimPrintJob.errors).toEqual([]);
    expect(claimed.data!.claimPrintJob.job).toEqual({ id: job.id, status: "LEASED", attempts: 0 });
    const token = claimed.data!.claimPrintJob.leaseToken as string;
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect((await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: order.id })).status).toBe("PRINTING");

    // The same claim again: a payload error, as over HTTP.
    const again = await op(lab.client, CLAIM, { id: job.id });
    expect(again.data!.claimPrintJob.leaseToken).toBeNull();
    expect(again.data!.claimPrintJob.errors.map((e: { code: string }) => e.code)).toEqual(["ALREADY_CLAIMED"]);

    const done = await op(lab.client, COMPLETE, { id: job.id, token });
    expect(done.data!.completePrintJob).toEqual({ job: { id: job.id, status: "DONE" }, errors: [] });
    const row = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ id: job.id });
    expect(row.status).toBe("DONE");
    expect(row.leaseToken).toBe(token);
    expect((await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: order.id })).status).toBe("PRINTED");

    expect(lab.state.connected).toBe(1);
    expect(await metric(c, /printmesh_graphql_operations_total\{operation="claimPrintJob",type="mutation",transport="ws"\} (\d+)/)).toBe(2);
    expect(await metric(c, /printmesh_graphql_operations_total\{operation="completePrintJob",type="mutation",transport="ws"\} (\d+)/)).toBe(1);
    expect(await metric(c, /printmesh_graphql_operations_total\{operation="claimPrintJob",type="mutation",transport="http"\} (\d+)/)).toBe(claimsOverHttp);
    expect(await metric(c, /printmesh_graphql_errors_total\{code="ALREADY_CLAIMED"\} (\d+)/)).toBeGreaterThanOrEqual(1);
  });

  it("keeps nothing of one subscription event for the next: each event reads the sub-orders it shows", async () => {
    const placed = await c.gql(
      PLACE,
      { input: { shopId: "SP01", fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 3, items: [{ imageId: "IMG-C01" }] }] } },
      t.customer,
    );
    const order = placed.data!.placeOrder.order;
    expect((await c.gql(CONFIRM, { id: order.id, total: order.total }, t.customer)).data!.confirmOrder.errors).toEqual([]);
    const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: order.id });

    // The lab daemon's subscription: each event carries the order's sheets.
    const lab = open(LAB01_KEY);
    const events: Array<{ id: string; order: { subOrders: Array<{ sheets: number }> } }> = [];
    lab.client.subscribe<{ printJobs: { job: (typeof events)[number] } }>(
      { query: "subscription { printJobs { job { id order { subOrders { sheets } } } } }" },
      { next: (r) => r.data && events.push(r.data.printJobs.job), error: () => undefined, complete: () => undefined },
    );
    await until("the backlog's event", () => events.some((e) => e.id === job.id), { timeoutMs: 8000 });
    queryCounter.recent = [];
    try {
      for (let ring = 1; ring <= 3; ring++) {
        const before = events.length;
        const readsBefore = queryCounter.recent.filter((q) => /FROM [`"]?sub_orders/.test(q)).length;
        c.server.app.events.publish("printJob", "LAB01", { jobId: job.id });
        await until(`ring ${ring}'s event`, () => events.length > before, { timeoutMs: 8000 });
        expect(events[events.length - 1]).toEqual({ id: job.id, order: { subOrders: [{ sheets: 3 }] } });
        // Read for this event: nothing was kept from the one before.
        expect(queryCounter.recent.filter((q) => /FROM [`"]?sub_orders/.test(q)).length - readsBefore).toBe(1);
      }
    } finally {
      queryCounter.recent = null;
    }
  });

  it("a syntax error, an unknown field, too many aliases, ill-typed variables and introspection (off) are errors of that operation, with HTTP's codes; the socket stays", async () => {
    const me = open(t.customer);
    const parseError = await op(me.client, "{ me { login ");
    expect(parseError.errors![0].extensions!.code).toBe("GRAPHQL_PARSE_FAILED");
    const unknown = await op(me.client, "{ me { nope } }");
    expect(unknown.errors![0].extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(unknown.errors![0].message).toMatch(/nope/);
    const aliases = await op(me.client, "{ " + Array.from({ length: 40 }, (_, i) => `a${i}: me { login }`).join(" ") + " }");
    expect(aliases.errors![0].message).toMatch(/aliases limit of 30 exceeded/i);
    expect(aliases.data ?? null).toBeNull();
    // Variables that do not fit their types: BAD_USER_INPUT naming the variable, as over HTTP.
    const missing = await op(me.client, "query($id: ID!) { order(id: $id) { id } }", {});
    expect(missing.errors).toEqual([
      expect.objectContaining({ message: 'Variable "$id" of required type "ID!" was not provided.', extensions: { code: "BAD_USER_INPUT" } }),
    ]);
    const wrong = await op(me.client, "query($id: ID!) { order(id: $id) { id } }", { id: { a: 1 } });
    expect(wrong.errors![0].extensions).toEqual({ code: "BAD_USER_INPUT" });
    expect(wrong.errors![0].message).toMatch(/^Variable "\$id" got invalid value/);
    expect(await metric(c, /printmesh_graphql_errors_total\{code="BAD_USER_INPUT"\} (\d+)/)).toBeGreaterThanOrEqual(2);
    expect(await metric(c, /printmesh_graphql_errors_total\{code="INTERNAL_SERVER_ERROR"\} (\d+)/)).toBe(0);
    // Several operations: the one named runs; a name not in the document, or no name, runs nothing,
    // refused with HTTP's code and words.
    const two = "query A { me { login } } query B { me { role } }";
    expect(await op(me.client, two, {}, "B")).toEqual({ data: { me: { role: "GENERAL_USER" } } });
    for (const name of ["Nope", undefined]) {
      const refused = await op(me.client, two, {}, name);
      expect(refused.data ?? null).toBeNull();
      const overHttp = await c.gql(two, {}, t.customer, name);
      expect(overHttp.status).toBe(400);
      expect(refused.errors!.map((e) => [e.message, e.extensions!.code])).toEqual(overHttp.errors!.map((e) => [e.message, e.extensions!.code]));
      expect(refused.errors![0].extensions!.code).toBe("OPERATION_RESOLUTION_FAILURE");
    }
    const introspection = await op(me.client, "{ __schema { types { name } } }");
    expect(introspection.errors![0].extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(introspection.errors![0].message).toMatch(/introspection/i);
    // The same socket still answers.
    expect((await op(me.client, "{ me { login } }")).data).toEqual({ me: { login: "customer" } });
    expect(me.state.connected).toBe(1);
    expect(me.state.closes).toEqual([]);
  });

  it("revoking a lab key closes that key's sockets with 4403 at once, and nobody else's", async () => {
    const keys = await c.gql(`query { labApiKeys(labId: "LAB02") { id revokedAt } }`, {}, t.center);
    const keyId = keys.data!.labApiKeys.find((k: { revokedAt: string | null }) => k.revokedAt === null).id as string;
    const lab02 = open(LAB02_KEY);
    const lab01 = open(LAB01_KEY);
    const customer = open(t.customer);
    for (const w of [lab02, lab01, customer]) expect((await op(w.client, "{ __typename }")).data).toEqual({ __typename: "Query" });

    const revoked = await c.gql(`mutation($id: ID!) { revokeLabApiKey(id: $id) { apiKey { id revokedAt } errors { code } } }`, { id: keyId }, t.center);
    expect(revoked.data!.revokeLabApiKey.errors).toEqual([]);
    await until("LAB02's socket to close", () => lab02.state.closes.length > 0, { timeoutMs: 8000 });
    expect(lab02.state.closes).toEqual([4403]);
    expect((await op(lab01.client, "{ __typename }")).data).toEqual({ __typename: "Query" });
    expect((await op(customer.client, "{ me { login } }")).data).toEqual({ me: { login: "customer" } });
    expect(lab01.state.closes).toEqual([]);

    // A new socket with the revoked key is refused at once.
    const retry = open(LAB02_KEY);
    await until("the revoked key's new socket to close", () => retry.state.closes.length > 0, { timeoutMs: 8000 });
    expect(retry.state.closes).toEqual([4403]);
  });

  it("disabling a lab closes its sockets; disabling a user closes theirs; enabling again lets them in", async () => {
    const lab01 = open(LAB01_KEY);
    expect((await op(lab01.client, "{ __typename }")).data).toEqual({ __typename: "Query" });
    const disabled = await c.gql(`mutation { updateLab(id: "LAB01", input: { disabled: true }) { lab { id } errors { code } } }`, {}, t.center);
    expect(disabled.data!.updateLab.errors).toEqual([]);
    await until("LAB01's socket to close", () => lab01.state.closes.length > 0, { timeoutMs: 8000 });
    expect(lab01.state.closes).toEqual([4403]);
    expect((await c.gql(`mutation { updateLab(id: "LAB01", input: { disabled: false }) { errors { code } } }`, {}, t.center)).data!.updateLab.errors).toEqual(
      [],
    );
    const back = open(LAB01_KEY);
    expect((await op(back.client, "{ __typename }")).data).toEqual({ __typename: "Query" });

    const customer = open(t.customer);
    expect((await op(customer.client, "{ me { login } }")).data).toEqual({ me: { login: "customer" } });
    const me = await c.gql("{ me { id } }", {}, t.customer);
    const userId = me.data!.me.id as string;
    const off = await c.gql(`mutation($id: ID!) { setUserDisabled(id: $id, disabled: true) { errors { code } } }`, { id: userId }, t.center);
    expect(off.data!.setUserDisabled.errors).toEqual([]);
    await until("the disabled customer's socket to close", () => customer.state.closes.length > 0, { timeoutMs: 8000 });
    expect(customer.state.closes).toEqual([4403]);
    expect((await op(back.client, "{ __typename }")).data).toEqual({ __typename: "Query" });
    expect(
      (await c.gql(`mutation($id: ID!) { setUserDisabled(id: $id, disabled: false) { errors { code } } }`, { id: userId }, t.center)).data!.setUserDisabled
        .errors,
    ).toEqual([]);
    t.customer = await c.login("customer", "customer-pass");
  });

  it("a message over the size limit closes the socket (1009) without answering it, and says so in the log, not on the console", async () => {
    const consoleError = jest.spyOn(console, "error");
    const big = open(t.customer);
    expect((await op(big.client, "{ me { login } }")).data).toEqual({ me: { login: "customer" } });
    const answered = op(big.client, `{ me { login } } # ${"x".repeat(1024 * 1024 + 10)}`);
    await until("the oversized message's socket to close", () => big.state.closes.length > 0, { timeoutMs: 8000 });
    expect(big.state.closes).toEqual([1009]);
    const r = await answered;
    expect(r.data ?? null).toBeNull();
    expect(consoleError).not.toHaveBeenCalled();
    consoleError.mockRestore();
  });
});

describe("the socket's document cache", () => {
  it("keeps each text's document once, evicts the least recently used by entries and by length, caches no syntax error, enforces the token limit", async () => {
    const schema = await appSchema();
    const cache = new DocumentCache({ maxEntries: 3, maxChars: 60, maxTokens: 20 });
    const a = cache.parse("{ me { login } }");
    expect(cache.parse("{ me { login } }")).toBe(a);
    const b = cache.parse("{ me { id } }");
    cache.parse("{ __typename }");
    expect(cache.size).toBe(3);
    cache.parse("{ me { login } }"); // a is now the most recently used
    cache.parse("{ me { name } }"); // evicts b
    expect(cache.size).toBe(3);
    expect(cache.parse("{ me { login } }")).toBe(a);
    expect(cache.parse("{ me { id } }")).not.toBe(b);
    expect(cache.totalChars).toBeLessThanOrEqual(60);

    // Length: one long text pushes the others out; a text longer than the bound is not kept.
    cache.parse("{ me { login name id role shopId } }"); // 36 characters
    expect(cache.totalChars).toBeLessThanOrEqual(60);
    expect(cache.size).toBeLessThanOrEqual(2);
    const huge = "{ me { login } }" + " ".repeat(100);
    const h = cache.parse(huge);
    expect(cache.parse(huge)).not.toBe(h);

    expect(() => cache.parse("{ me { ")).toThrow(/Syntax Error/);
    const before = cache.size;
    expect(() => cache.parse("{ me { ")).toThrow(/Syntax Error/);
    expect(cache.size).toBe(before);
    expect(() => cache.parse(`{ ${"a: __typename ".repeat(10)}}`)).toThrow(/more that 20 tokens/);

    // Validation is computed once per document and answered the same.
    const doc = cache.parse("{ me { nope } }");
    const first = cache.validate(schema, doc, specifiedRules);
    expect(first.map((e) => e.message)).toEqual([`Cannot query field "nope" on type "User". Did you mean "name" or "role"?`]);
    expect(cache.validate(schema, doc, specifiedRules)).toBe(first);
  });
});

describe("the lab daemon's client against the real center", () => {
  let c: TestCenter;
  beforeAll(async () => {
    c = await startCenter();
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("sends its operations over the socket it holds while it is up, and over HTTP before and after", async () => {
    const customer = await c.login("customer", "customer-pass");
    const placed = await c.gql(
      PLACE,
      { input: { shopId: "SP01", fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 1, items: [] }] } },
      customer,
    );
    const order = placed.data!.placeOrder.order;
    expect((await c.gql(CONFIRM, { id: order.id, total: order.total }, customer)).data!.confirmOrder.errors).toEqual([]);
    const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: order.id });
    const count = (name: string, transport: string) =>
      metric(c, new RegExp(`printmesh_graphql_operations_total\\{operation="${name}",type="[a-z]+",transport="${transport}"\\} (\\d+)`));

    const client = new CenterClient({ url: c.url, key: LAB01_KEY });
    expect(client.transport).toBe("http");
    expect((await client.jobStatus(job.id))!.status).toBe("QUEUED");
    expect(await count("printJob", "http")).toBe(1);

    const events: string[] = [];
    let connected = 0;
    client.start({
      onJob: (j) => events.push(`${j.id} ${j.status}`),
      onConnected: () => {
        connected += 1;
      },
      onDisconnected: () => undefined,
      onRetry: () => undefined,
      onGiveUp: () => undefined,
      onWarning: () => undefined,
    });
    await until("the client to connect and get the backlog", () => connected === 1 && events.includes(`${job.id} QUEUED`), { timeoutMs: 8000 });
    expect(client.transport).toBe("ws");
    const claim = await client.claim(job.id, "transport-test-claim-key");
    expect(claim.errors).toEqual([]);
    expect((await client.complete(job.id, claim.leaseToken!)).errors).toEqual([]);
    expect((await client.jobStatus(job.id))!.status).toBe("DONE");
    expect(await count("claimPrintJob", "ws")).toBe(1);
    expect(await count("completePrintJob", "ws")).toBe(1);
    expect(await count("printJob", "ws")).toBe(1);
    expect(await count("claimPrintJob", "http")).toBe(0);
    expect((await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ id: job.id })).claimKey).toBe("transport-test-claim-key");

    await client.close();
    expect(client.transport).toBe("http");
    expect((await client.jobStatus(job.id))!.status).toBe("DONE");
    expect(await count("printJob", "http")).toBe(2);
  });
});
