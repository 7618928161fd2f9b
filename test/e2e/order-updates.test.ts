/**
 * `orderUpdates`: a customer's own orders as their status changes, over a real graphql-ws client.
 * The customer places and confirms an order, the lab claims and completes it through the API, and
 * the customer hears ASSIGNED, PRINTING, PRINTED in that order; another customer hears only of
 * their own order. Anonymous callers, admins and labs are refused.
 */
import type { Client } from "graphql-ws";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { loginPeople, nextEvent, startCenter, type TestCenter } from "../support/center";
import { until } from "../support/until";

jest.setTimeout(60_000);

const LAB01_KEY = "lab01-key-0123456789abcdef";
const UPDATES = "subscription { orderUpdates { id status customerUserId } }";
const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status } errors { code message } } }`;
const CANCEL = `mutation($id: ID!) { cancelOrder(orderId: $id) { order { id status } errors { code } } }`;
const CLAIM = `mutation($id: ID!) { claimPrintJob(jobId: $id) { leaseToken errors { code } } }`;
const COMPLETE = `mutation($id: ID!, $token: String!) { completePrintJob(jobId: $id, leaseToken: $token) { job { status } errors { code } } }`;
const REGISTER = `mutation { registerCustomer(login: "second.customer", password: "violet-harbour-lantern", name: "Second") { token user { login } errors { code } } }`;
const ORDER = { shopId: "SP01", fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 1, items: [] }] };

interface Update {
  id: string;
  status: string;
  customerUserId: string;
}

let c: TestCenter;
let t: Record<string, string>;
beforeAll(async () => {
  c = await startCenter();
  t = await loginPeople(c, ["center", "shop1", "customer"]);
});
afterAll(async () => {
  await c?.stop();
});

/** Every update a client hears, in order; `ready` once the subscription answers (a first query over the socket). */
async function watch(client: Client): Promise<{ updates: Update[]; errors: unknown[]; dispose(): void }> {
  const updates: Update[] = [];
  const errors: unknown[] = [];
  const dispose = client.subscribe<{ orderUpdates: Update }>(
    { query: UPDATES },
    { next: (v) => (v.errors ? errors.push(v.errors) : updates.push(v.data!.orderUpdates)), error: (e) => errors.push(e), complete: () => undefined },
  );
  // Operations on one socket are taken in turn: once this query is answered, the subscription is in place.
  await nextEvent(client, "{ me { id } }").value;
  return { updates, errors, dispose };
}

async function placeAndConfirm(token: string): Promise<string> {
  const placed = (await c.gql(PLACE, { input: ORDER }, token)).data!.placeOrder;
  expect(placed.errors).toEqual([]);
  const confirmed = (await c.gql(CONFIRM, { id: placed.order.id, total: placed.order.total }, token)).data!.confirmOrder;
  expect(confirmed).toEqual({ order: { id: placed.order.id, status: "ASSIGNED" }, errors: [] });
  return placed.order.id;
}

it("sends a customer their order as it is assigned, printing and printed, and nothing of it to another customer", async () => {
  const second = (await c.gql(REGISTER)).data!.registerCustomer;
  expect(second.errors).toEqual([]);
  const mine = await watch(c.ws(t.customer));
  const theirs = await watch(c.ws(second.token));

  const orderId = await placeAndConfirm(t.customer);
  const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId });
  const claim = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob;
  expect(claim.errors).toEqual([]);
  const done = (await c.gql(COMPLETE, { id: job.id, token: claim.leaseToken }, LAB01_KEY)).data!.completePrintJob;
  expect(done).toEqual({ job: { status: "DONE" }, errors: [] });
  await until("the first customer hears three updates", () => mine.updates.length >= 3);
  const me = (await c.gql("{ me { id } }", {}, t.customer)).data!.me.id;
  expect(mine.updates).toEqual(["ASSIGNED", "PRINTING", "PRINTED"].map((status) => ({ id: orderId, status, customerUserId: me })));

  // The other customer's own order reaches them, and only it (the first customer's came before it).
  const theirOrder = await placeAndConfirm(second.token);
  await until("the second customer hears their assignment", () => theirs.updates.length >= 1);
  expect(theirs.updates.map((u) => [u.id, u.status])).toEqual([[theirOrder, "ASSIGNED"]]);
  const cancelled = (await c.gql(CANCEL, { id: theirOrder }, second.token)).data!.cancelOrder;
  expect(cancelled.errors).toEqual([]);
  await until("the second customer hears their cancellation", () => theirs.updates.length >= 2);
  expect(theirs.updates.map((u) => [u.id, u.status])).toEqual([
    [theirOrder, "ASSIGNED"],
    [theirOrder, "CANCELLED"],
  ]);
  expect(mine.updates).toHaveLength(3);
  expect([mine.errors, theirs.errors]).toEqual([[], []]);
  mine.dispose();
  theirs.dispose();
});

it("refuses anonymous callers, admins and labs", async () => {
  const cases: Array<[string, string | null, RegExp]> = [
    ["anonymous", null, /UNAUTHENTICATED|logged in/],
    ["center admin", t.center, /FORBIDDEN|customers/],
    ["shop admin", t.shop1, /FORBIDDEN|customers/],
    ["lab", LAB01_KEY, /FORBIDDEN|customers/],
  ];
  for (const [who, bearer, why] of cases) {
    const sub = nextEvent(c.ws(bearer), UPDATES);
    await expect(sub.value.then(() => who)).rejects.toThrow(why);
    sub.dispose();
  }
});
