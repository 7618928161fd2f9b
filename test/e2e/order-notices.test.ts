/**
 * A shop hears of each order confirmed at it (seed 003, S22012–13): its admins get an
 * ORDER_RECEIVED notice with the order's total and its lab, live over graphql-ws once the
 * confirmation has committed, linked to the order, the lab and the shop. No one else does.
 */
import type { Client } from "graphql-ws";
import { loginPeople, nextEvent, startCenter, type TestCenter } from "../support/center";
import { uploadPng } from "../support/images";
import { until } from "../support/until";
import { NotificationEntity } from "../../src/notifications/notification.entity";

let c: TestCenter;
const t: Record<string, string> = {};

const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id labId status } errors { code } } }`;
const NOTICES = `{ notifications(first: 200) { kind message orderId labId shopId read } }`;
type Notice = { kind: string; message: string; orderId: string | null; labId: string | null; shopId: string | null; read: boolean };

const received = async (who: string): Promise<Notice[]> => {
  const r = await c.gql<{ notifications: Notice[] }>(NOTICES, {}, t[who]);
  expect(r.errors).toBeUndefined();
  return r.data!.notifications.filter((n) => n.kind === "ORDER_RECEIVED");
};

/** Every notice a client hears, in order, once the subscription is in place. */
async function watch(client: Client): Promise<{ heard: Notice[]; dispose(): void }> {
  const heard: Notice[] = [];
  const dispose = client.subscribe<{ notifications: Notice }>(
    { query: "subscription { notifications { kind message orderId labId shopId read } }" },
    { next: (v) => void (v.data && heard.push(v.data.notifications)), error: () => undefined, complete: () => undefined },
  );
  // Operations on one socket are taken in turn: once this query is answered, the subscription is in place.
  await nextEvent(client, "{ me { id } }").value;
  return { heard, dispose };
}

async function placeAt(shopId: string, sheets: number): Promise<{ id: string; total: number }> {
  const photo = (await uploadPng(c.url, t.customer, sheets)).id;
  const input = { shopId, fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets, items: [{ imageId: photo }] }] };
  const placed = (await c.gql(PLACE, { input }, t.customer)).data!.placeOrder;
  expect(placed.errors).toEqual([]);
  return placed.order;
}

beforeAll(async () => {
  c = await startCenter();
  Object.assign(t, await loginPeople(c, ["customer", "shop1", "shop2", "groupA", "center"]));
});
afterAll(async () => {
  await c?.stop();
});

describe("ORDER_RECEIVED", () => {
  it("tells the shop's admins of a confirmed order with its total and lab, live after commit; nobody else", async () => {
    const client = c.ws(t.shop1);
    const live = await watch(client);
    const before = { shop2: (await received("shop2")).length, groupA: (await received("groupA")).length, center: (await received("center")).length };
    const order = await placeAt("SP01", 3);
    // Placed but not confirmed: nothing yet.
    expect(await received("shop1")).toEqual([]);
    const confirmed = (await c.gql(CONFIRM, { id: order.id, total: order.total }, t.customer)).data!.confirmOrder;
    expect(confirmed).toEqual({ order: { id: order.id, labId: "LAB01", status: "ASSIGNED" }, errors: [] });
    const expected: Notice = {
      kind: "ORDER_RECEIVED",
      message: `Order ${order.id} received at shop SP01: total ${order.total} JPY, lab LAB01`,
      orderId: order.id,
      labId: "LAB01",
      shopId: "SP01",
      read: false,
    };
    await until("the shop admin hears the order", () => live.heard.length === 1);
    expect(live.heard).toEqual([expected]);
    live.dispose();
    await client.dispose();
    // Stored: read again, exactly one, as heard.
    expect(await received("shop1")).toEqual([expected]);
    const stored = await c.ds.getRepository(NotificationEntity).find({ where: { kind: "ORDER_RECEIVED" } });
    expect(stored.map((n) => [n.userId, n.orderId, n.actorUserId])).toEqual([["U001", order.id, "U100"]]); // the customer confirmed it
    expect({ shop2: (await received("shop2")).length, groupA: (await received("groupA")).length, center: (await received("center")).length }).toEqual(before);
  });

  it("a second confirmation of the same order tells no one again", async () => {
    const order = await placeAt("SP01", 2);
    const first = (await c.gql(CONFIRM, { id: order.id, total: order.total }, t.customer)).data!.confirmOrder;
    expect(first.errors).toEqual([]);
    const again = (await c.gql(CONFIRM, { id: order.id, total: order.total }, t.customer)).data!.confirmOrder;
    expect(again).toEqual({ order: { id: order.id, labId: "LAB01", status: "ASSIGNED" }, errors: [] });
    expect((await received("shop1")).filter((n) => n.orderId === order.id)).toHaveLength(1);
  });

  it("a refused confirmation (total not accepted) writes no notice", async () => {
    const order = await placeAt("SP01", 4);
    const refused = (await c.gql(CONFIRM, { id: order.id, total: order.total + 1 }, t.customer)).data!.confirmOrder;
    expect(refused).toEqual({ order: null, errors: [{ code: "QUOTE_MISMATCH" }] });
    expect((await received("shop1")).filter((n) => n.orderId === order.id)).toEqual([]);
  });

  it("an order at another shop goes to that shop's admins", async () => {
    const order = await placeAt("SP02", 1);
    const confirmed = (await c.gql(CONFIRM, { id: order.id, total: order.total }, t.customer)).data!.confirmOrder;
    expect(confirmed.errors).toEqual([]);
    const mine = (await received("shop2")).filter((n) => n.orderId === order.id);
    expect(mine).toEqual([
      {
        kind: "ORDER_RECEIVED",
        message: `Order ${order.id} received at shop SP02: total ${order.total} JPY, lab ${confirmed.order.labId}`,
        orderId: order.id,
        labId: confirmed.order.labId,
        shopId: "SP02",
        read: false,
      },
    ]);
    expect((await received("shop1")).filter((n) => n.orderId === order.id)).toEqual([]);
  });
});
