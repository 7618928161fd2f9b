/**
 * Seed 002 walked end to end through the public API, as its people would: the shop's admin makes a
 * capture device and a shoot, the device uploads three images by HTTP (two of subject 101, one of
 * 102); first prints of one image go to the shoot's first-print lab LAB01, whose real daemon
 * process (its key issued through the API) prints them; an access code for 101 shows exactly its two
 * images to anyone; a second lab of SP01 that delivers is registered; the customer reorders the two
 * images, paid through the gateway: the order waits unpaid with no job anywhere until a signed
 * webhook settles it, when it goes to the second lab (never LAB01), whose own daemon prints it; the
 * lab's key packs, ships and delivers the parcel, and the customer, subscribed to orderUpdates since
 * before paying, heard each status in order and reads the order COMPLETED with its tracking number.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Client } from "graphql-ws";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { loginPeople, nextEvent, startCenter, type TestCenter } from "../support/center";
import { startLabDaemon } from "../support/lab-daemon";
import {
  gatewayEvent,
  newAccessCode,
  newDeliveryLab,
  newLabKey,
  nowSeconds,
  placeReorder,
  postWebhook,
  reorderInput,
  signature,
  WEBHOOK_SECRET,
} from "../support/reorders";
import { makePng } from "../support/images";
import { newDevice, newShoot, uploadToShoot } from "../support/shoots";
import { until } from "../support/until";

jest.setTimeout(180_000);

const PLACE_FIRST_PRINTS = `mutation($shootId: ID!, $subOrders: [SubOrderInput!]!) {
  placeFirstPrints(shootId: $shootId, subOrders: $subOrders) { order { id status labId shootId } errors { code field } } }`;
const SHIPMENT_FIELDS = "id orderId labId status carrier trackingNumber";
const ORDER = `query($id: ID!) { order(id: $id) { id status labId shopId shootId total currency
  payment { method status amount currency } shipment { ${SHIPMENT_FIELDS} } } }`;
const GALLERY = `query($code: String!) { gallery(accessCode: $code) { shootId shopId name images { imageId width height } } }`;
const TO_SHIP = `query($lab: ID) { shipmentsToShip(labId: $lab) { ${SHIPMENT_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $status: ShipmentStatus!, $carrier: String, $tracking: String) {
  updateShipment(id: $id, status: $status, carrier: $carrier, trackingNumber: $tracking) { shipment { status carrier trackingNumber } errors { code field } } }`;
const SECOND_LAB = "LAB-SP01-DELIVERY";

let c: TestCenter;
let t: Record<string, string>;

beforeAll(async () => {
  c = await startCenter({ env: { PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  t = await loginPeople(c, ["groupA", "shop1", "customer"]);
});
afterAll(async () => {
  await c?.stop();
});

const order = async (id: string, bearer: string) => {
  const r = await c.gql(ORDER, { id }, bearer);
  expect(r.errors).toBeUndefined();
  return r.data!.order;
};

it("seed 002: shoot, upload, first prints, gallery, a paid reorder printed and delivered by a second lab", async () => {
  // 1. The shop's admin makes a shoot and a capture device; the device uploads three images by HTTP.
  const shoot = await newShoot(c, t.shop1, { shopId: "SP01", name: "Sports day" });
  expect(shoot.errors).toEqual([]);
  const shootId: string = shoot.shoot.id;
  const device = await newDevice(c, t.shop1, "SP01", "Camera at the finish line");
  const uploaded: Array<{ imageId: string; subject: string }> = [];
  for (const [i, subject] of ["101", "101", "102"].entries()) {
    const up = await uploadToShoot(c, shootId, device.key, makePng(40, 30, 200 + i), { "x-subject": subject });
    expect([up.status, up.json.subject]).toEqual([201, subject]);
    uploaded.push({ imageId: up.json.imageId, subject });
  }
  const of101 = uploaded.filter((u) => u.subject === "101").map((u) => u.imageId);
  const read = await c.gql(`query($id: ID!) { shoot(id: $id) { imageCount } shootImages(shootId: $id) { imageId subject } }`, { id: shootId }, t.shop1);
  expect(read.data).toEqual({ shoot: { imageCount: 3 }, shootImages: uploaded });

  // 2. First prints of one image, at the first-print lab LAB01, printed by its daemon (a key issued now).
  const first = await c.gql(PLACE_FIRST_PRINTS, { shootId, subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: uploaded[2].imageId }] }] }, t.shop1);
  expect(first.errors).toBeUndefined();
  expect(first.data!.placeFirstPrints).toEqual({ order: { id: expect.any(String), status: "ASSIGNED", labId: "LAB01", shootId }, errors: [] });
  const firstId: string = first.data!.placeFirstPrints.order.id;
  const lab01 = startLabDaemon(c.url, await newLabKey(c, t.groupA, "LAB01"));
  try {
    await until("the first prints PRINTED", async () => (await order(firstId, t.shop1)).status === "PRINTED", {
      timeoutMs: 30_000,
      intervalMs: 100,
      detail: lab01.proc.output,
    });
    await lab01.proc.waitFor(/job \S+ completed/);
  } finally {
    expect(await lab01.stop()).toEqual({ code: 0, signal: null });
  }
  expect(lab01.proc.output()).not.toMatch(/refused:|unexpected error|Error:/);

  // 3. An access code for 101: anyone holding it sees exactly the two images of 101.
  const code = await newAccessCode(c, t.shop1, { shootId, subject: "101" });
  const gallery = await c.gql(GALLERY, { code });
  expect(gallery.errors).toBeUndefined();
  expect(gallery.data!.gallery).toEqual({
    shootId,
    shopId: "SP01",
    name: "Sports day",
    images: of101.map((imageId) => ({ imageId, width: 40, height: 30 })),
  });

  // 4. A second lab of SP01 that delivers, and its key; the customer reorders the two images.
  const secondKey = await newDeliveryLab(c, t.groupA, SECOND_LAB);
  const heard: Array<{ id: string; status: string; labId: string | null; shipment: { status: string; trackingNumber: string | null } | null }> = [];
  const ws: Client = c.ws(t.customer);
  ws.subscribe<{ orderUpdates: (typeof heard)[number] }>(
    { query: `subscription { orderUpdates { id status labId shipment { status trackingNumber } } }` },
    { next: (v) => heard.push(v.data!.orderUpdates), error: () => undefined, complete: () => undefined },
  );
  await nextEvent(ws, "{ me { id } }").value;

  const placed = await placeReorder(c, t.customer, reorderInput([code], of101, "GATEWAY"));
  expect(placed.errors).toEqual([]);
  const orderId: string = placed.order.id;
  const total: number = placed.order.total;
  expect(total).toBeGreaterThan(0);
  const unpaid = await order(orderId, t.customer);
  expect(unpaid).toEqual({
    id: orderId,
    status: "AWAITING_PAYMENT",
    labId: null,
    shopId: "SP01",
    shootId,
    total,
    currency: "JPY",
    payment: { method: "GATEWAY", status: "PENDING", amount: total, currency: "JPY" },
    shipment: null,
  });
  // No job anywhere: no lab sees the order (a lab sees its jobs' orders only), and none is stored.
  for (const key of [secondKey, "lab01-key-0123456789abcdef"]) expect((await c.gql(ORDER, { id: orderId }, key)).data!.order).toBeNull();
  expect(await c.ds.getRepository(PrintJobEntity).countBy({ orderId })).toBe(0);

  // 5. The gateway's signed payment_intent.succeeded settles it: assigned to the second lab.
  const body = gatewayEvent(`evt_walk_${Date.now()}`, "payment_intent.succeeded", orderId, total, "jpy");
  const hook = await postWebhook(c, body, signature(body, nowSeconds()));
  expect(hook.status).toBe(200);
  const paid = await order(orderId, t.customer);
  expect([paid.status, paid.labId, paid.payment.status]).toEqual(["ASSIGNED", SECOND_LAB, "SETTLED"]);

  // 6. The second lab's daemon prints it; its key moves the parcel to DELIVERED.
  const second = startLabDaemon(c.url, secondKey);
  try {
    await until("the reorder PRINTED", async () => (await order(orderId, t.customer)).status === "PRINTED", {
      timeoutMs: 30_000,
      intervalMs: 100,
      detail: second.proc.output,
    });
    const jobId = (await second.proc.waitFor(/job (\S+) completed/))[1];
    // The ticket it wrote: the customer's two images, printed at the second lab.
    const ticket = JSON.parse(fs.readFileSync(path.join(second.out, `job-${jobId}`, "ticket.json"), "utf8"));
    expect([ticket.orderId, ticket.labId, ticket.images.map((i: { imageId: string }) => i.imageId)]).toEqual([orderId, SECOND_LAB, of101]);
  } finally {
    expect(await second.stop()).toEqual({ code: 0, signal: null });
  }
  expect(second.proc.output()).not.toMatch(/refused:|unexpected error|Error:/);
  const toShip = await c.gql(TO_SHIP, { lab: SECOND_LAB }, secondKey);
  expect(toShip.errors).toBeUndefined();
  expect(toShip.data!.shipmentsToShip).toEqual([
    { id: expect.any(String), orderId, labId: SECOND_LAB, status: "TO_PACK", carrier: null, trackingNumber: null },
  ]);
  const shipmentId: string = toShip.data!.shipmentsToShip[0].id;
  const moves: Array<[string, { carrier?: string; tracking?: string }]> = [
    ["PACKED", {}],
    ["SHIPPED", { carrier: "Yamato", tracking: "1122-3344-5566" }],
    ["DELIVERED", {}],
  ];
  for (const [status, more] of moves) {
    const r = await c.gql(UPDATE, { id: shipmentId, status, ...more }, secondKey);
    expect(r.errors).toBeUndefined();
    expect(r.data!.updateShipment).toEqual({
      shipment: { status, carrier: status === "PACKED" ? null : "Yamato", trackingNumber: status === "PACKED" ? null : "1122-3344-5566" },
      errors: [],
    });
  }
  const done = await order(orderId, t.customer);
  expect(done).toMatchObject({
    status: "COMPLETED",
    labId: SECOND_LAB,
    payment: { status: "SETTLED" },
    shipment: { id: shipmentId, status: "DELIVERED", carrier: "Yamato", trackingNumber: "1122-3344-5566" },
  });
  expect((await c.gql(TO_SHIP, { lab: SECOND_LAB }, secondKey)).data!.shipmentsToShip).toEqual([]);

  // What the customer heard, in order, from before the payment.
  await until("the customer hears COMPLETED", () => heard.some((h) => h.status === "COMPLETED"), { detail: () => JSON.stringify(heard) });
  expect(heard.every((h) => h.id === orderId && h.labId === SECOND_LAB)).toBe(true);
  expect(heard.map((h) => [h.status, h.shipment?.status ?? null])).toEqual([
    ["ASSIGNED", null],
    ["PRINTING", null],
    ["PRINTED", "TO_PACK"],
    ["PRINTED", "PACKED"],
    ["SHIPPED", "SHIPPED"],
    ["COMPLETED", "DELIVERED"],
  ]);
});
