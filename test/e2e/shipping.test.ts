/**
 * The shipping terminal through the public API, on the engine the tests run on: a delivery order
 * printed by its lab (claim and completion with the lab's key) gets its shipment TO_PACK; the
 * terminal's reports move it on in the order of `at`, never back (late, repeated and out-of-order
 * reports answer it unchanged, and re-reading shows nothing moved), the order following SHIPPED
 * then COMPLETED; RETURNED only once it left; reports sent all at once end in the newest state.
 * Pickup orders are marked collected. Every operation's authorization, per role. (The walk with
 * a real daemon process and its packing slip is in lab-daemon.test.ts.)
 */
import type { Client } from "graphql-ws";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { OrderEntity } from "../../src/orders/order.entity";
import { ShipmentEntity } from "../../src/shipping/shipment.entity";
import { authzMatrix, expectCleanPayload, graphqlAttempt, type MatrixOperation } from "../support/authz-matrix";
import { leastStatements, loginPeople, nextEvent, startCenter, type TestCenter } from "../support/center";
import { until } from "../support/until";

jest.setTimeout(120_000);

const LAB01_KEY = "lab01-key-0123456789abcdef";
const LAB02_KEY = "lab02-key-0123456789abcdef";
const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId shopId } errors { code message } } }`;
const CLAIM = `mutation($id: ID!) { claimPrintJob(jobId: $id) { leaseToken errors { code } } }`;
const COMPLETE = `mutation($id: ID!, $token: String!) { completePrintJob(jobId: $id, leaseToken: $token) { job { status } errors { code } } }`;
const SHIPMENT_FIELDS = "id orderId labId status carrier trackingNumber statusAt";
const UPDATE = `mutation($id: ID!, $status: ShipmentStatus!, $carrier: String, $tracking: String, $at: DateTime) {
  updateShipment(id: $id, status: $status, carrier: $carrier, trackingNumber: $tracking, at: $at) { shipment { ${SHIPMENT_FIELDS} } errors { code message field } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id status shipment { ${SHIPMENT_FIELDS} } } }`;
const TO_SHIP = `query($lab: ID, $first: Int) { shipmentsToShip(labId: $lab, first: $first) { ${SHIPMENT_FIELDS} } }`;
const COLLECTED = `mutation($id: ID!) { markCollected(orderId: $id) { order { id status } errors { code message field } } }`;
const ADDRESS = { country: "JP", postalCode: "100-0005", region: "Tokyo", city: "Chiyoda-ku", line1: "1-9-1 Marunouchi", recipient: "Carol Example" };
const DELIVERY = { method: "DELIVERY", speed: "STANDARD", address: ADDRESS };

interface Shipment {
  id: string;
  orderId: string;
  labId: string;
  status: string;
  carrier: string | null;
  trackingNumber: string | null;
  statusAt: string;
}

let c: TestCenter;
let t: Record<string, string>;
beforeAll(async () => {
  c = await startCenter();
  t = await loginPeople(c, ["center", "groupA", "groupB", "shop1", "shop2", "customer"]);
});
afterAll(async () => {
  await c?.stop();
});

/** An order at LAB01 (shop SP01) placed and confirmed by the customer; its id. */
async function confirmed(fulfilment: object = DELIVERY): Promise<string> {
  const input = { labId: "LAB01", fulfilment, subOrders: [{ serviceId: "SV01", sheets: 2, items: [] }] };
  const placed = (await c.gql(PLACE, { input }, t.customer)).data!.placeOrder;
  expect(placed.errors).toEqual([]);
  const done = (await c.gql(CONFIRM, { id: placed.order.id, total: placed.order.total }, t.customer)).data!.confirmOrder;
  expect(done).toEqual({ order: { id: placed.order.id, status: "ASSIGNED", labId: "LAB01", shopId: "SP01" }, errors: [] });
  return placed.order.id;
}

/** The order's job claimed and completed by LAB01's key: the order PRINTED. */
async function print(orderId: string): Promise<void> {
  const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId });
  const claim = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob;
  expect(claim.errors).toEqual([]);
  const done = (await c.gql(COMPLETE, { id: job.id, token: claim.leaseToken }, LAB01_KEY)).data!.completePrintJob;
  expect(done).toEqual({ job: { status: "DONE" }, errors: [] });
}

/** A printed delivery order and its shipment (as the customer reads it through the order). */
async function printedDelivery(): Promise<{ orderId: string; shipment: Shipment }> {
  const orderId = await confirmed();
  await print(orderId);
  const order = (await c.gql(ORDER, { id: orderId }, t.customer)).data!.order;
  expect(order).toMatchObject({
    id: orderId,
    status: "PRINTED",
    shipment: { orderId, labId: "LAB01", status: "TO_PACK", carrier: null, trackingNumber: null },
  });
  return { orderId, shipment: order.shipment };
}

async function update(
  bearer: string,
  id: string,
  status: string,
  more: { carrier?: string; tracking?: string; at?: Date } = {},
): Promise<{ shipment: Shipment | null; errors: Array<{ code: string; message: string; field: string[] }> }> {
  const r = await c.gql(UPDATE, { id, status, carrier: more.carrier, tracking: more.tracking, at: more.at?.toISOString() }, bearer);
  expect(r.errors).toBeUndefined();
  return r.data!.updateShipment;
}

/** The shipment and its order as stored. */
async function stored(orderId: string): Promise<{ order: string; shipment: Pick<ShipmentEntity, "status" | "carrier" | "trackingNumber" | "statusAt"> }> {
  const order = await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId });
  const s = await c.ds.getRepository(ShipmentEntity).findOneByOrFail({ orderId });
  return { order: order.status, shipment: { status: s.status, carrier: s.carrier, trackingNumber: s.trackingNumber, statusAt: s.statusAt } };
}

/** `seconds` after the shipment's current status (reports older than it are ignored; at most 5 minutes ahead of now are taken). */
const later = (shipment: Shipment, seconds: number) => new Date(Date.parse(shipment.statusAt) + seconds * 1000);

describe("a delivery order's shipment", () => {
  it("is made TO_PACK when printed, listed to ship, moved to DELIVERED; the order SHIPPED then COMPLETED, the customer told", async () => {
    const updates: Array<{ status: string; shipment: Shipment | null }> = [];
    const ws: Client = c.ws(t.customer);
    const dispose = ws.subscribe<{ orderUpdates: { id: string; status: string; shipment: Shipment | null } }>(
      { query: `subscription { orderUpdates { id status shipment { ${SHIPMENT_FIELDS} } } }` },
      { next: (v) => updates.push(v.data!.orderUpdates), error: () => undefined, complete: () => undefined },
    );
    await nextEvent(ws, "{ me { id } }").value;
    const { orderId, shipment } = await printedDelivery();
    await until("the customer hears PRINTED", () => updates.length >= 3);
    expect(updates.map((u) => u.status)).toEqual(["ASSIGNED", "PRINTING", "PRINTED"]);
    expect(updates[2].shipment).toMatchObject({ id: shipment.id, status: "TO_PACK" });

    const listed = (await c.gql(TO_SHIP, {}, LAB01_KEY)).data!.shipmentsToShip as Shipment[];
    expect(listed).toContainEqual(shipment);

    const steps: Array<[string, object, string]> = [
      ["PACKED", {}, "PRINTED"],
      ["SHIPPED", { carrier: "Yamato", tracking: "4455-6677-8899" }, "SHIPPED"],
      ["DELIVERED", {}, "COMPLETED"],
    ];
    for (const [i, [status, more, orderStatus]] of steps.entries()) {
      const at = later(shipment, 10 + 10 * i);
      const r = await update(LAB01_KEY, shipment.id, status, { ...more, at });
      expect(r.errors).toEqual([]);
      expect(r.shipment).toMatchObject({ id: shipment.id, status, statusAt: at.toISOString() });
      await until(`the customer hears the order ${orderStatus} with the shipment ${status}`, () => updates.length >= 4 + i);
      expect(updates[3 + i]).toMatchObject({ id: orderId, status: orderStatus, shipment: { status } });
    }
    const after = (await c.gql(ORDER, { id: orderId }, t.customer)).data!.order;
    expect(after).toMatchObject({ status: "COMPLETED", shipment: { status: "DELIVERED", carrier: "Yamato", trackingNumber: "4455-6677-8899" } });
    expect(updates[4].shipment).toMatchObject({ carrier: "Yamato", trackingNumber: "4455-6677-8899" });
    expect((await c.gql(TO_SHIP, {}, LAB01_KEY)).data!.shipmentsToShip.map((s: Shipment) => s.id)).not.toContain(shipment.id);
    dispose();
  });

  it("ignores late, repeated and out-of-order reports: never back, never older tracking over newer", async () => {
    const { orderId, shipment } = await printedDelivery();
    const [t1, t2, t3, t4] = [later(shipment, 10), later(shipment, 20), later(shipment, 30), later(shipment, 40)];
    // SHIPPED arrives first (the terminal's PACKED is late).
    expect((await update(LAB01_KEY, shipment.id, "SHIPPED", { carrier: "Sagawa", tracking: "NEW-2", at: t2 })).errors).toEqual([]);
    const shipped = { status: "SHIPPED", carrier: "Sagawa", trackingNumber: "NEW-2", statusAt: t2 };
    const late: Array<[string, { carrier?: string; tracking?: string; at?: Date }]> = [
      ["PACKED", { at: t1 }], // a status already passed
      ["PACKED", { at: t3 }], // passed, even reported as newer
      ["SHIPPED", { carrier: "Old", tracking: "STALE-1", at: t1 }], // older than the current status
      ["SHIPPED", { carrier: "Other", tracking: "REPEAT-3", at: t3 }], // repeated: tracking known already
      ["DELIVERED", { at: t1 }], // a move, but older than SHIPPED
      ["TO_PACK", {}],
    ];
    for (const [status, more] of late) {
      const r = await update(LAB01_KEY, shipment.id, status, more);
      expect([status, r.errors]).toEqual([status, []]);
      expect(r.shipment).toEqual({ ...shipment, ...shipped, statusAt: t2.toISOString() });
      expect(await stored(orderId)).toEqual({ order: "SHIPPED", shipment: shipped });
    }
    expect((await update(LAB01_KEY, shipment.id, "DELIVERED", { at: t4 })).shipment).toMatchObject({ status: "DELIVERED", trackingNumber: "NEW-2" });
    expect(await stored(orderId)).toEqual({ order: "COMPLETED", shipment: { ...shipped, status: "DELIVERED", statusAt: t4 } });
    // A SHIPPED older than DELIVERED changes nothing; RETURNED after delivery is a move, the order stays COMPLETED.
    expect((await update(LAB01_KEY, shipment.id, "SHIPPED", { at: t3 })).shipment).toMatchObject({ status: "DELIVERED" });
    const back = later(shipment, 50);
    expect((await update(LAB01_KEY, shipment.id, "RETURNED", { at: back })).shipment).toMatchObject({ status: "RETURNED", statusAt: back.toISOString() });
    expect(await stored(orderId)).toEqual({ order: "COMPLETED", shipment: { ...shipped, status: "RETURNED", statusAt: back } });
  });

  it("fills in a tracking number reported with the same status when none was known, and keeps it after", async () => {
    const { orderId, shipment } = await printedDelivery();
    const at = later(shipment, 10);
    await update(LAB01_KEY, shipment.id, "SHIPPED", { at });
    expect((await update(LAB01_KEY, shipment.id, "SHIPPED", { carrier: "JP Post", tracking: "EJ123", at: later(shipment, 20) })).shipment).toMatchObject({
      status: "SHIPPED",
      carrier: "JP Post",
      trackingNumber: "EJ123",
      statusAt: at.toISOString(),
    });
    await update(LAB01_KEY, shipment.id, "SHIPPED", { carrier: "Other", tracking: "EJ999", at: later(shipment, 30) });
    expect(await stored(orderId)).toEqual({ order: "SHIPPED", shipment: { status: "SHIPPED", carrier: "JP Post", trackingNumber: "EJ123", statusAt: at } });
  });

  it("refuses RETURNED before it left, an `at` in the future, over-long tracking and an unknown shipment, writing nothing", async () => {
    const { orderId, shipment } = await printedDelivery();
    const before = await stored(orderId);
    expect(await update(LAB01_KEY, shipment.id, "RETURNED")).toEqual({
      shipment: null,
      errors: [{ code: "ILLEGAL_TRANSITION", message: expect.stringContaining("TO_PACK cannot become RETURNED"), field: ["status"] }],
    });
    const packedAt = later(shipment, 10);
    await update(LAB01_KEY, shipment.id, "PACKED", { at: packedAt });
    expect((await update(LAB01_KEY, shipment.id, "RETURNED", { at: later(shipment, 20) })).errors.map((e) => e.code)).toEqual(["ILLEGAL_TRANSITION"]);
    const packed = await stored(orderId);
    expect(packed).toEqual({ order: "PRINTED", shipment: { ...before.shipment, status: "PACKED", statusAt: packedAt } });
    expect(await update(LAB01_KEY, shipment.id, "SHIPPED", { at: new Date(Date.now() + 3_600_000) })).toEqual({
      shipment: null,
      errors: [{ code: "INVALID_AT", message: expect.any(String), field: ["at"] }],
    });
    expect((await update(LAB01_KEY, shipment.id, "SHIPPED", { tracking: "x".repeat(101) })).errors).toEqual([
      { code: "INVALID_TRACKING", message: expect.any(String), field: ["trackingNumber"] },
    ]);
    expect((await update(LAB01_KEY, "no-such-shipment", "SHIPPED")).errors).toEqual([{ code: "NOT_FOUND", message: expect.any(String), field: ["id"] }]);
    expect(await stored(orderId)).toEqual(packed);
  });

  it("ends in the newest state when several reports arrive at once, in any order", async () => {
    for (let round = 0; round < 3; round++) {
      const { orderId, shipment } = await printedDelivery();
      const [t1, t2, t3] = [later(shipment, 10), later(shipment, 20), later(shipment, 30)];
      const reports: Array<[string, { carrier?: string; tracking?: string; at: Date }]> = [
        ["PACKED", { at: t1 }],
        ["SHIPPED", { carrier: "Yamato", tracking: `T-${round}`, at: t2 }],
        ["DELIVERED", { at: t3 }],
        ["PACKED", { at: t1 }],
        ["SHIPPED", { carrier: "Yamato", tracking: `T-${round}`, at: t2 }],
        ["DELIVERED", { at: t3 }],
      ];
      // A different order of arrival each round.
      const shuffled = reports.map((r, i) => [r, (i * (round + 2) + round) % reports.length] as const).sort((a, b) => a[1] - b[1]);
      const answers = await Promise.all(shuffled.map(([[status, more]], i) => update(i % 2 ? LAB01_KEY : t.shop1, shipment.id, status, more)));
      expect(answers.flatMap((a) => a.errors)).toEqual([]);
      expect(await stored(orderId)).toEqual({
        order: "COMPLETED",
        shipment: { status: "DELIVERED", carrier: "Yamato", trackingNumber: `T-${round}`, statusAt: t3 },
      });
    }
  });

  it("lists what is still to ship, oldest first, per lab", async () => {
    const a = await printedDelivery();
    const b = await printedDelivery();
    await update(LAB01_KEY, b.shipment.id, "PACKED");
    const ids = ((await c.gql(TO_SHIP, { lab: "LAB01", first: 500 }, t.shop1)).data!.shipmentsToShip as Shipment[]).map((s) => s.id);
    expect(ids.indexOf(a.shipment.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(b.shipment.id)).toBeGreaterThan(ids.indexOf(a.shipment.id));
    await update(LAB01_KEY, a.shipment.id, "SHIPPED");
    const again = ((await c.gql(TO_SHIP, { lab: "LAB01", first: 500 }, t.center)).data!.shipmentsToShip as Shipment[]).map((s) => s.id);
    expect(again).not.toContain(a.shipment.id);
    expect(again).toContain(b.shipment.id);
    expect((await c.gql(TO_SHIP, {}, LAB02_KEY)).data!.shipmentsToShip).toEqual([]);
    expect((await c.gql(TO_SHIP, { first: 0 }, LAB01_KEY)).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("reads each order's shipment in one batch for a whole page (no query per order)", async () => {
    await printedDelivery();
    await printedDelivery();
    const page = (await c.gql(`{ orders(first: 20) { edges { node { id shipment { id status } } } } }`, {}, t.center)).data!.orders.edges;
    const withShipment = page.filter((e: { node: { shipment: unknown } }) => e.node.shipment !== null);
    expect(withShipment.length).toBeGreaterThanOrEqual(2);
    const one = await leastStatements(3, () => c.gql(`{ orders(first: 1) { edges { node { id shipment { id } } } } }`, {}, t.center));
    const many = await leastStatements(3, () => c.gql(`{ orders(first: 20) { edges { node { id shipment { id } } } } }`, {}, t.center));
    expect(many.count).toBe(one.count);
  });
});

describe("pickup orders", () => {
  it("are marked collected from PRINTED only; a delivery order is completed by its shipment", async () => {
    const pickup = await confirmed({ method: "PICKUP" });
    expect((await c.gql(COLLECTED, { id: pickup }, t.shop1)).data!.markCollected).toEqual({
      order: null,
      errors: [{ code: "ILLEGAL_TRANSITION", message: expect.stringContaining("ASSIGNED"), field: ["orderId"] }],
    });
    await print(pickup);
    expect((await c.gql(ORDER, { id: pickup }, t.customer)).data!.order).toEqual({ id: pickup, status: "PRINTED", shipment: null });
    expect(await c.ds.getRepository(ShipmentEntity).countBy({ orderId: pickup })).toBe(0);
    expect((await c.gql(COLLECTED, { id: pickup }, t.shop1)).data!.markCollected).toEqual({ order: { id: pickup, status: "COMPLETED" }, errors: [] });
    expect((await c.gql(COLLECTED, { id: pickup }, t.shop1)).data!.markCollected.errors.map((e: { code: string }) => e.code)).toEqual(["ILLEGAL_TRANSITION"]);
    const { orderId } = await printedDelivery();
    expect((await c.gql(COLLECTED, { id: orderId }, t.shop1)).data!.markCollected).toEqual({
      order: null,
      errors: [{ code: "NOT_PICKUP", message: expect.any(String), field: ["orderId"] }],
    });
    expect((await c.gql(COLLECTED, { id: "no-such-order" }, t.shop1)).data!.markCollected.errors.map((e: { code: string }) => e.code)).toEqual(["NOT_FOUND"]);
    expect((await stored(orderId)).order).toBe("PRINTED");
  });
});

describe("authorization", () => {
  const snapshot = async () => ({
    shipments: await c.ds.getRepository(ShipmentEntity).find({ order: { id: "ASC" } }),
    orders: (await c.ds.getRepository(OrderEntity).find({ order: { id: "ASC" } })).map((o) => [o.id, o.status, o.version]),
  });

  const updateOp: MatrixOperation<{ orderId: string; id: string }> = {
    op: "updateShipment",
    prepare: async () => {
      const p = await printedDelivery();
      return { orderId: p.orderId, id: p.shipment.id };
    },
    send: (v, bearer) => graphqlAttempt(c, UPDATE, "updateShipment", { id: v.id, status: "PACKED" }, bearer),
    applied: async (v) => (await stored(v.orderId)).shipment.status === "PACKED",
    whenAllowed: (attempt) => {
      expect(expectCleanPayload(attempt, "updateShipment").shipment).toMatchObject({ status: "PACKED" });
    },
  };
  const toShipOp: MatrixOperation<{ id: string }> = {
    op: "shipmentsToShip(LAB01)",
    prepare: async () => ({ id: (await printedDelivery()).shipment.id }),
    send: (_v, bearer) => graphqlAttempt(c, TO_SHIP, "shipmentsToShip", { lab: "LAB01", first: 500 }, bearer),
    whenAllowed: (attempt, v) => {
      expect(attempt.result!.errors).toBeUndefined();
      expect((attempt.value as Shipment[]).map((s) => s.id)).toContain(v.id);
    },
  };
  const collectedOp: MatrixOperation<{ orderId: string }> = {
    op: "markCollected",
    prepare: async () => {
      const orderId = await confirmed({ method: "PICKUP" });
      await print(orderId);
      return { orderId };
    },
    send: (v, bearer) => graphqlAttempt(c, COLLECTED, "markCollected", { id: v.orderId }, bearer),
    applied: async (v) => (await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: v.orderId })).status === "COMPLETED",
    whenAllowed: (attempt, v) => {
      expect(expectCleanPayload(attempt, "markCollected").order).toEqual({ id: v.orderId, status: "COMPLETED" });
    },
  };

  const cells = authzMatrix({
    operations: [updateOp, toShipOp, collectedOp],
    snapshot,
    callers: [
      ["anonymous", () => null, "UNAUTHENTICATED"],
      ["the customer", () => t.customer, "FORBIDDEN"],
      ["a shop admin of another shop", () => t.shop2, "FORBIDDEN"],
      ["a group admin of another group", () => t.groupB, "FORBIDDEN"],
      ["the order's shop admin", () => t.shop1, "allowed"],
      ["its group admin", () => t.groupA, "allowed"],
      ["a center admin", () => t.center, "allowed"],
      ["the printing lab's key", () => LAB01_KEY, (op) => (op === collectedOp ? "FORBIDDEN" : "allowed")],
      ["another lab's key", () => LAB02_KEY, "FORBIDDEN"],
    ],
  });
  for (const cell of cells) it(cell.title, cell.run);

  it("shows a lab only its own shipments when it names no lab", async () => {
    const { shipment } = await printedDelivery();
    expect((await c.gql(TO_SHIP, {}, LAB02_KEY)).data!.shipmentsToShip).toEqual([]);
    expect(((await c.gql(TO_SHIP, { first: 500 }, LAB01_KEY)).data!.shipmentsToShip as Shipment[]).map((s) => s.id)).toContain(shipment.id);
    expect(((await c.gql(TO_SHIP, { first: 500 }, t.shop2)).data!.shipmentsToShip as Shipment[]).map((s) => s.id)).not.toContain(shipment.id);
  });
});
