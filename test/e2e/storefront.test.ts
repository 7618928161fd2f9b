/**
 * The reference client: a storefront's whole flow against a real center, as a frontend team would
 * write it. It quotes anonymously (PUBLIC_CATALOG), signs a customer up, logs in, uploads a photo in
 * a form, quotes again as the customer, places and confirms the order, and watches `orderUpdates`
 * while a real lab daemon process claims the job and writes it into its hot folder.
 *
 * Twice: from Node with @apollo/client (a split link: HTTP for queries and mutations, graphql-ws for
 * subscriptions; an InMemoryCache), and from a page on another origin in headless Chromium (fetch, a
 * FormData upload from an <input type=file>, graphql-ws's browser build). Each time the statuses the
 * customer heard, the job folder in the hot folder and the order re-read through the API are
 * checked exactly.
 *
 * Needs Debian's chromium package for the second part; without it that part is skipped.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache, type TypedDocumentNode } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { createClient } from "graphql-ws";
import type { Browser } from "playwright-core";
import WebSocket from "ws";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { ImageEntity } from "../../src/images/image.entity";
import { OrderEntity } from "../../src/orders/order.entity";
import { CHROMIUM, haveChromium, launchChromium, servePage } from "../support/browser";
import { startCenter, type TestCenter } from "../support/center";
import { makePng } from "../support/images";
import { run, type Proc } from "../support/processes";
import { until } from "../support/until";

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, "../..");
const DAEMON_MAIN = path.join(ROOT, "dist/src/lab-daemon/main.js");
const LAB01_KEY = "lab01-key-0123456789abcdef";

/**
 * What the storefront orders: two A4 sheets at shop SP01, collected there. Priced by the fixture's
 * template T01 (products P01 and P03 at shop group SG01's rows); the customer's own photo adds no fee.
 */
const orderInput = (imageId?: string) => ({
  shopId: "SP01",
  fulfilment: { method: "PICKUP" },
  subOrders: [{ serviceId: "SV01", sheets: 2, items: imageId ? [{ imageId, layout: { x: 10, y: 10, width: 30, height: 20 } }] : [] }],
});

/** `orderInput`'s total in yen: P01 100 + 10 x 2 sheets, plus P03 (A4 sheet charge) 0 + 10 x 2 sheets. */
const EXPECTED_TOTAL = 140;
const EXPECTED_LINES = [
  { productId: "P01", sheets: 2, basicCharge: 100, amountCharge: 10 },
  { productId: "P03", sheets: 2, basicCharge: 0, amountCharge: 10 },
];

/** The statuses a customer hears from the confirmation to the lab's completion, in that order. */
const PRINTED_SEQUENCE = ["ASSIGNED", "PRINTING", "PRINTED"];

let pages: PageServer;
let c: TestCenter;
let hot: string;
let daemon: Proc;

beforeAll(async () => {
  pages = await startPageServer();
  c = await startCenter({ env: { PUBLIC_CATALOG: "1", CORS_ORIGINS: pages.origin } });
  hot = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-storefront-hot-"));
  daemon = run(process.execPath, [DAEMON_MAIN, "--url", c.url, "--key", LAB01_KEY, "--out", hot, "--sheet", "40x60", "--dpi", "50"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "" },
  });
  await daemon.waitFor(/connected to \S+; waiting for jobs/);
});
afterAll(async () => {
  if (daemon && daemon.child.exitCode === null) {
    daemon.child.kill("SIGTERM");
    await daemon.exited;
  }
  await c?.stop();
  await pages?.close();
  if (hot) fs.rmSync(hot, { recursive: true, force: true });
});

// --- what both clients check once their order is printed ----------------------------------------------

/** The job folder the daemon wrote for this order: its ticket names the order and the customer's photo. */
function expectPrinted(orderId: string, image: { id: string; sha256: string }): string {
  const job = fs.readdirSync(hot).filter((n) => !n.startsWith("."));
  const folders = job.filter((n) => JSON.parse(fs.readFileSync(path.join(hot, n, "ticket.json"), "utf8")).orderId === orderId);
  expect(folders).toHaveLength(1);
  const ticket = JSON.parse(fs.readFileSync(path.join(hot, folders[0], "ticket.json"), "utf8"));
  expect(ticket).toMatchObject({ orderId, labId: "LAB01", totalSheets: 2 });
  expect(ticket.images.map((i: { imageId: string; sha256: string }) => [i.imageId, i.sha256])).toEqual([[image.id, image.sha256]]);
  for (const f of ticket.files) {
    const bytes = fs.readFileSync(path.join(hot, folders[0], f.name));
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(f.sha256);
  }
  expect(folders[0]).toBe(`job-${ticket.jobId}`);
  return ticket.jobId as string;
}

/** The order and its job as stored, once the lab has finished with them. */
async function expectStored(orderId: string, customerUserId: string, jobId: string): Promise<void> {
  const order = await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId });
  expect({
    status: order.status,
    customerUserId: order.customerUserId,
    labId: order.labId,
    total: order.quoteTotal === null ? null : Number(order.quoteTotal),
  }).toEqual({
    status: "PRINTED",
    customerUserId,
    labId: "LAB01",
    total: EXPECTED_TOTAL,
  });
  const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId });
  expect([job.id, job.status]).toEqual([jobId, "DONE"]);
  await daemon.waitFor(new RegExp(`job ${jobId} claimed \\(order ${orderId}\\)`));
  await daemon.waitFor(new RegExp(`job ${jobId} completed`));
  // Nothing the daemon did not expect, and no report the center refused.
  expect(daemon.output()).not.toMatch(/unexpected error|not taken|scheduled task failed|not reported|refused:|Error:/);
}

// --- Node: Apollo Client ------------------------------------------------------------------------------

interface UserError {
  code: string;
  message: string;
  field?: string[] | null;
}
interface QuoteRead {
  shopId: string;
  currency: string;
  total: number;
  subOrders: Array<{
    serviceId: string;
    sheets: number;
    subtotal: number;
    lines: Array<{ productId: string; sheets: number; basicCharge: number; amountCharge: number }>;
    imageFees: Array<{ imageId: string }>;
  }>;
}
interface Session {
  token: string | null;
  user: { id: string; login: string; role: string } | null;
  errors: UserError[];
}
interface OrderRead {
  id: string;
  status: string;
  total: number;
  currency: string;
  labId: string | null;
  shopId: string | null;
  customerUserId: string;
  subOrders: Array<{ id: string; serviceId: string; sheets: number; items: Array<{ id: string; imageId: string }> }>;
  quote: { total: number } | null;
}
type OrderUpdate = Pick<OrderRead, "id" | "status" | "labId">;
type OrderInput = ReturnType<typeof orderInput>;

/** A document with the types of its answer and its variables, as a storefront's code generator would give it. */
const op = <D, V extends Record<string, unknown> = Record<string, never>>(text: string) => gql(text) as TypedDocumentNode<D, V>;

const QUOTE = op<{ quote: { quote: QuoteRead | null; errors: UserError[] } }, { input: OrderInput }>(`
  query Quote($input: OrderInput!) {
    quote(input: $input) {
      quote { shopId currency total subOrders { serviceId sheets subtotal lines { productId sheets basicCharge amountCharge } imageFees { imageId } } }
      errors { code message field }
    }
  }`);
const SIGN_UP = op<{ registerCustomer: Session }, { login: string; password: string; name: string }>(`
  mutation SignUp($login: String!, $password: String!, $name: String!) {
    registerCustomer(login: $login, password: $password, name: $name) { token user { id login role } errors { code message field } }
  }`);
const LOG_IN = op<{ login: Session }, { login: string; password: string }>(`
  mutation LogIn($login: String!, $password: String!) {
    login(login: $login, password: $password) { token user { id login role } errors { code message field } }
  }`);
const PLACE = op<
  { placeOrder: { order: { id: string; status: string; total: number; quote: { total: number; currency: string } } | null; errors: UserError[] } },
  { input: OrderInput; key: string }
>(`
  mutation Place($input: OrderInput!, $key: String) {
    placeOrder(input: $input, idempotencyKey: $key) { order { id status total quote { total currency } } errors { code message field } }
  }`);
const CONFIRM = op<
  { confirmOrder: { order: { id: string; status: string; labId: string | null; shopId: string | null } | null; errors: UserError[] } },
  { orderId: string; acceptedTotal: number }
>(`
  mutation Confirm($orderId: ID!, $acceptedTotal: Money!) {
    confirmOrder(orderId: $orderId, acceptedTotal: $acceptedTotal) { order { id status labId shopId } errors { code message field } }
  }`);
const UPDATES = op<{ orderUpdates: OrderUpdate }>(`subscription OrderUpdates { orderUpdates { id status labId } }`);
const ONE_ORDER = op<{ order: OrderRead | null }, { id: string }>(`
  query OneOrder($id: ID!) {
    order(id: $id) { id status total currency labId shopId customerUserId subOrders { id serviceId sheets items { id imageId } } quote { total } }
  }`);
const ME = op<{ me: { id: string } | null }>(`query Me { me { id } }`);

interface Storefront {
  client: ApolloClient;
  /** The session token the links send; null before login. */
  token: string | null;
  close(): Promise<void>;
}

/** A storefront's Apollo Client: queries and mutations over HTTP, subscriptions over graphql-ws, one cache. */
function storefront(): Storefront {
  const ws = createClient({
    url: c.url.replace(/^http/, "ws") + "/graphql",
    webSocketImpl: WebSocket,
    // Read when the socket opens (lazily, at the first operation over it): after login, so with the token.
    connectionParams: () => (sf.token ? { authorization: `Bearer ${sf.token}` } : {}),
    retryAttempts: 0,
  });
  const withToken = new SetContextLink((prev) => (sf.token ? { headers: { ...prev.headers, authorization: `Bearer ${sf.token}` } } : {}));
  const overHttp = ApolloLink.from([withToken, new HttpLink({ uri: `${c.url}/graphql`, fetch })]);
  const sf: Storefront = {
    token: null,
    client: new ApolloClient({
      cache: new InMemoryCache(),
      // Subscriptions over the socket; so is any operation that asks for it (`context: { overSocket: true }`).
      link: ApolloLink.split((o) => o.operationType === "subscription" || o.getContext().overSocket === true, new GraphQLWsLink(ws), overHttp),
    }),
    close: async () => {
      sf.client.stop();
      await ws.dispose();
    },
  };
  return sf;
}

/** The answer's data, failing the test on a transport or GraphQL error. */
function dataOf<D>(r: { data?: D | undefined; error?: unknown }): D {
  expect(r.error).toBeUndefined();
  if (r.data === undefined) throw new Error("no data");
  return r.data;
}

describe("a storefront in Node (@apollo/client over HTTP and graphql-ws)", () => {
  it("quotes anonymously, signs up, uploads a form, quotes, places, confirms and hears its order printed", async () => {
    const sf = storefront();
    try {
      const { client } = sf;
      const login = { login: "storefront.node", password: "quiet-orchard-lantern-42" };

      // 1. An anonymous visitor prices two A4 sheets.
      const anonymous = dataOf(await client.query({ query: QUOTE, variables: { input: orderInput() }, fetchPolicy: "network-only" })).quote;
      expect(anonymous).toEqual({
        __typename: "QuotePayload",
        errors: [],
        quote: {
          __typename: "Quote",
          shopId: "SP01",
          currency: "JPY",
          total: EXPECTED_TOTAL,
          subOrders: [
            {
              __typename: "SubOrderQuote",
              serviceId: "SV01",
              sheets: 2,
              subtotal: EXPECTED_TOTAL,
              lines: EXPECTED_LINES.map((l) => ({ __typename: "PriceLine", ...l })),
              imageFees: [],
            },
          ],
        },
      });

      // 2. They sign up, then log in (the storefront keeps the login's token for both links).
      const signUp = dataOf(await client.mutate({ mutation: SIGN_UP, variables: { ...login, name: "Node Shopper" } })).registerCustomer;
      expect(signUp.errors).toEqual([]);
      expect(signUp.user).toEqual({ __typename: "User", id: expect.any(String), login: login.login, role: "GENERAL_USER" });
      const session = dataOf(await client.mutate({ mutation: LOG_IN, variables: login })).login;
      expect(session).toEqual({ __typename: "LoginPayload", token: expect.any(String), user: signUp.user, errors: [] });
      sf.token = session.token;
      const customerId = session.user!.id;

      // 3. A photo, uploaded as a browser form would send it.
      const png = makePng(48, 32, 11);
      const form = new FormData();
      form.append("caption", "from the storefront");
      form.append("file", new Blob([new Uint8Array(png)], { type: "image/png" }), "holiday.png");
      const uploaded = await fetch(`${c.url}/images`, { method: "POST", headers: { authorization: `Bearer ${sf.token}` }, body: form });
      expect(uploaded.status).toBe(201);
      const image = (await uploaded.json()) as { id: string; sha256: string; width: number; height: number };
      expect(image).toEqual({ id: expect.stringMatching(/^IMG-/), sha256: createHash("sha256").update(png).digest("hex"), width: 48, height: 32 });
      expect((await c.ds.getRepository(ImageEntity).findOneByOrFail({ id: image.id })).ownerUserId).toBe(customerId);

      // 4. The customer's quote with their photo: the same price (their own photo bears no fee).
      const quoted = dataOf(await client.query({ query: QUOTE, variables: { input: orderInput(image.id) }, fetchPolicy: "network-only" })).quote;
      expect(quoted).toEqual(anonymous);

      // 5. Watch the customer's orders before confirming, then place and confirm.
      const heard: OrderUpdate[] = [];
      const failures: unknown[] = [];
      const watching = client.subscribe({ query: UPDATES }).subscribe({
        next: (r) => (r.error || !r.data ? failures.push(r.error ?? r) : heard.push(r.data.orderUpdates)),
        error: (e) => failures.push(e),
      });
      // The socket takes operations in turn: once a query over it is answered, the subscription is in place.
      const overSocket = dataOf(await client.query({ query: ME, fetchPolicy: "no-cache", context: { overSocket: true } }));
      expect(overSocket.me?.id).toBe(customerId);

      const placed = dataOf(await client.mutate({ mutation: PLACE, variables: { input: orderInput(image.id), key: "storefront-node-0001" } })).placeOrder;
      expect(placed).toEqual({
        __typename: "PlaceOrderPayload",
        order: {
          __typename: "Order",
          id: expect.any(String),
          status: "QUOTED",
          total: EXPECTED_TOTAL,
          quote: { __typename: "Quote", total: EXPECTED_TOTAL, currency: "JPY" },
        },
        errors: [],
      });
      const order = placed.order!;
      const confirmed = dataOf(await client.mutate({ mutation: CONFIRM, variables: { orderId: order.id, acceptedTotal: order.total } })).confirmOrder;
      expect(confirmed).toEqual({
        __typename: "ConfirmOrderPayload",
        order: { __typename: "Order", id: order.id, status: "ASSIGNED", labId: "LAB01", shopId: "SP01" },
        errors: [],
      });

      // 6. The lab daemon claims and prints; the customer hears each step, and the cache follows.
      await until("the customer to hear the order printed", () => heard.some((u) => u.status === "PRINTED"), { timeoutMs: 30_000, detail: daemon.output });
      watching.unsubscribe();
      expect(failures).toEqual([]);
      expect(heard).toEqual(PRINTED_SEQUENCE.map((status) => ({ __typename: "Order", id: order.id, status, labId: "LAB01" })));
      expect(client.cache.readFragment({ id: `Order:${order.id}`, fragment: gql(`fragment S on Order { status }`) })).toEqual({
        __typename: "Order",
        status: "PRINTED",
      });
      const jobId = expectPrinted(order.id, image);

      // 7. Re-read past the cache: what the center now says of the order.
      const reread = dataOf(await client.query({ query: ONE_ORDER, variables: { id: order.id }, fetchPolicy: "network-only" })).order;
      expect(reread).toEqual({
        __typename: "Order",
        id: order.id,
        status: "PRINTED",
        total: EXPECTED_TOTAL,
        currency: "JPY",
        labId: "LAB01",
        shopId: "SP01",
        customerUserId: customerId,
        subOrders: [
          {
            __typename: "SubOrder",
            id: `${order.id}:1`,
            serviceId: "SV01",
            sheets: 2,
            items: [{ __typename: "OrderItem", id: expect.any(String), imageId: image.id }],
          },
        ],
        quote: { __typename: "Quote", total: EXPECTED_TOTAL },
      });
      await expectStored(order.id, customerId, jobId);
    } finally {
      await sf.close();
    }
  });
});

// --- Chromium: a page on another origin -----------------------------------------------------------------

/** graphql-ws's browser build (UMD: `window.graphqlWs`), as a page would load it from its own origin. */
const GRAPHQL_WS_BROWSER = path.join(path.dirname(require.resolve("graphql-ws")), "../umd/graphql-ws.min.js");

/**
 * The storefront's page. It reads the center's URL and the order to place from its fragment, and
 * walks the same flow with fetch and graphql-ws; it waits for a photo in its <input type=file>
 * (the test sets one) and uploads the form that holds it. Where it is goes to `window.step`, what
 * it got to `window.outcome`.
 */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Storefront</title>
<script src="/graphql-ws.js"></script></head>
<body>
<form id="upload"><input id="photo" type="file" name="file" accept="image/*"><input type="hidden" name="caption" value="from the page"></form>
<pre id="out">running</pre>
<script type="module">
const given = new URLSearchParams(location.hash.slice(1));
const center = given.get("center");
const input = JSON.parse(given.get("input"));
const who = { login: given.get("login"), password: given.get("password"), name: "Page Shopper" };
let token = null;
const outcome = { statuses: [] };
const step = (s) => { window.step = s; document.getElementById("out").textContent = s; };

async function graphql(query, variables) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = "Bearer " + token;
  const r = await fetch(center + "/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await r.json();
  if (r.status !== 200 || body.errors) throw new Error("GraphQL " + r.status + ": " + JSON.stringify(body));
  return body.data;
}
const QUOTE = "query Quote($input: OrderInput!) { quote(input: $input) { quote { shopId currency total } errors { code message } } }";

try {
  step("quoting");
  outcome.anonymousQuote = (await graphql(QUOTE, { input: { ...input, subOrders: input.subOrders.map((s) => ({ ...s, items: [] })) } })).quote;

  step("signing up");
  const signUp = (await graphql("mutation($login: String!, $password: String!, $name: String!) { registerCustomer(login: $login, password: $password, name: $name) { token user { id } errors { code message } } }", who)).registerCustomer;
  outcome.signUpErrors = signUp.errors;
  const logIn = (await graphql("mutation($login: String!, $password: String!) { login(login: $login, password: $password) { token user { id role } errors { code } } }", who)).login;
  token = logIn.token;
  outcome.customer = logIn.user;

  step("waiting for a photo");
  const photo = document.getElementById("photo");
  if (photo.files.length === 0) await new Promise((resolve) => photo.addEventListener("change", resolve, { once: true }));
  step("uploading");
  const up = await fetch(center + "/images", { method: "POST", headers: { authorization: "Bearer " + token }, body: new FormData(document.getElementById("upload")) });
  outcome.upload = { status: up.status, body: await up.json() };
  const items = [{ imageId: outcome.upload.body.id }];
  const order = { ...input, subOrders: input.subOrders.map((s) => ({ ...s, items })) };
  outcome.customerQuote = (await graphql(QUOTE, { input: order })).quote;

  step("subscribing");
  const ws = graphqlWs.createClient({ url: center.replace(/^http/, "ws") + "/graphql", connectionParams: { authorization: "Bearer " + token }, retryAttempts: 0 });
  let printed;
  const done = new Promise((resolve) => (printed = resolve));
  ws.subscribe({ query: "subscription { orderUpdates { id status } }" }, {
    next: (v) => {
      if (v.errors) outcome.subscriptionErrors = v.errors;
      else outcome.statuses.push([v.data.orderUpdates.id, v.data.orderUpdates.status]);
      if (v.data && v.data.orderUpdates.status === "PRINTED") printed();
    },
    error: (e) => { outcome.subscriptionErrors = String(e && e.code ? e.code + " " + e.reason : e); printed(); },
    complete: () => {},
  });
  // The socket takes operations in turn: once this query is answered, the subscription is in place.
  outcome.meOverSocket = await new Promise((resolve, reject) => {
    let got;
    ws.subscribe({ query: "{ me { id } }" }, { next: (v) => (got = v.data), error: reject, complete: () => resolve(got) });
  });

  step("ordering");
  const placed = (await graphql("mutation($input: OrderInput!) { placeOrder(input: $input) { order { id status total } errors { code message } } }", { input: order })).placeOrder;
  outcome.placed = placed;
  const confirmed = (await graphql("mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId } errors { code message } } }", { id: placed.order.id, total: placed.order.total })).confirmOrder;
  outcome.confirmed = confirmed;

  step("waiting for the print");
  await done;
  outcome.reread = (await graphql("query($id: ID!) { order(id: $id) { id status total labId quote { total } } }", { id: placed.order.id })).order;
  await ws.dispose();
} catch (e) {
  outcome.failed = String(e && e.stack ? e.stack : e);
}
window.outcome = outcome;
step("done");
</script></body></html>`;

/** What the page reports in `window.outcome`. */
interface PageOutcome {
  failed?: string;
  anonymousQuote: unknown;
  signUpErrors: UserError[];
  customer: { id: string; role: string };
  upload: { status: number; body: { id: string; sha256: string; width: number; height: number } };
  customerQuote: unknown;
  meOverSocket: unknown;
  placed: { order: { id: string; status: string; total: number }; errors: UserError[] };
  confirmed: unknown;
  subscriptionErrors?: unknown;
  statuses: Array<[string, string]>;
  reread: unknown;
}

interface PageServer {
  origin: string;
  close(): Promise<void>;
}

/** The storefront's own origin: the page and graphql-ws's browser build. */
async function startPageServer(): Promise<PageServer> {
  return servePage(PAGE, { "/graphql-ws.js": { type: "text/javascript; charset=utf-8", body: () => fs.readFileSync(GRAPHQL_WS_BROWSER) } });
}

(haveChromium ? describe : describe.skip)(
  haveChromium
    ? "a storefront page on another origin, in headless Chromium"
    : `a storefront page in Chromium — SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`,
  () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it("runs the same flow with fetch, a form's file input and graphql-ws, and hears its order printed", async () => {
      expect(new URL(pages.origin).origin).not.toBe(new URL(c.url).origin);
      const login = "storefront.page";
      const password = "amber-meadow-compass-17";
      const png = makePng(36, 24, 5);
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const consoleErrors: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error") consoleErrors.push(m.text());
        });
        page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
        const fragment = new URLSearchParams({ center: c.url, input: JSON.stringify(orderInput()), login, password });
        await page.goto(`${pages.origin}/#${fragment}`);
        const stepOf = () => page.evaluate("window.step");
        await until("the page to ask for a photo", async () => ["waiting for a photo", "done"].includes(String(await stepOf())), {
          timeoutMs: 15_000,
          intervalMs: 50,
        });
        // A person picks a file: set through the DevTools protocol, as the file chooser would.
        await page.setInputFiles("#photo", { name: "holiday.png", mimeType: "image/png", buffer: png });
        await until("the page to finish", async () => (await stepOf()) === "done", {
          timeoutMs: 45_000,
          intervalMs: 100,
          detail: () => daemon.output().slice(-2000),
        });
        const outcome = (await page.evaluate("window.outcome")) as PageOutcome;
        expect(outcome.failed).toBeUndefined();
        expect(consoleErrors).toEqual([]);

        const customer = await c.login(login, password);
        const me = (await c.gql("{ me { id } }", {}, customer)).data!.me.id as string;
        const image = { ...outcome.upload.body };
        expect(outcome.anonymousQuote).toEqual({ quote: { shopId: "SP01", currency: "JPY", total: EXPECTED_TOTAL }, errors: [] });
        expect(outcome.signUpErrors).toEqual([]);
        expect(outcome.customer).toEqual({ id: me, role: "GENERAL_USER" });
        expect(outcome.upload).toEqual({
          status: 201,
          body: { id: expect.stringMatching(/^IMG-/), sha256: createHash("sha256").update(png).digest("hex"), width: 36, height: 24 },
        });
        expect(outcome.customerQuote).toEqual({ quote: { shopId: "SP01", currency: "JPY", total: EXPECTED_TOTAL }, errors: [] });
        expect(outcome.meOverSocket).toEqual({ me: { id: me } });
        const orderId = outcome.placed.order.id as string;
        expect(outcome.placed).toEqual({ order: { id: orderId, status: "QUOTED", total: EXPECTED_TOTAL }, errors: [] });
        expect(outcome.confirmed).toEqual({ order: { id: orderId, status: "ASSIGNED", labId: "LAB01" }, errors: [] });
        expect(outcome.subscriptionErrors).toBeUndefined();
        expect(outcome.statuses).toEqual(PRINTED_SEQUENCE.map((status) => [orderId, status]));
        expect(outcome.reread).toEqual({ id: orderId, status: "PRINTED", total: EXPECTED_TOTAL, labId: "LAB01", quote: { total: EXPECTED_TOTAL } });

        // The photo the page's form sent is the customer's, stored as sent; the order as the API reads it now.
        expect(await c.ds.getRepository(ImageEntity).findOneByOrFail({ id: image.id })).toMatchObject({
          ownerUserId: me,
          bytes: png.length,
          sha256: image.sha256,
        });
        const reread = await c.gql(
          "query($id: ID!) { order(id: $id) { status total subOrders { serviceId sheets items { imageId } } } }",
          { id: orderId },
          customer,
        );
        expect(reread.data!.order).toEqual({
          status: "PRINTED",
          total: EXPECTED_TOTAL,
          subOrders: [{ serviceId: "SV01", sheets: 2, items: [{ imageId: image.id }] }],
        });
        const jobId = expectPrinted(orderId, image);
        await expectStored(orderId, me, jobId);
      } finally {
        await context.close();
      }
    });
  },
);
