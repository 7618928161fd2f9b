/**
 * Reorders for tests: a shoot of SP01 with images uploaded by HTTP, access codes for them, a
 * second lab of SP01 that delivers (made through the API: the fixture has one lab per shop, and
 * LAB01 is the shoot's first-print lab), reorders placed through the API, and the payment
 * gateway's webhook signed as the gateway signs it (HMAC-SHA256 over "<t>.<raw body>").
 */
import { createHmac } from "node:crypto";
import type { TestCenter } from "./center";
import { makePng } from "./images";
import { newDevice, newShoot, uploadToShoot } from "./shoots";

export const WEBHOOK_SECRET = "whsec_test_0123456789abcdef";
export const ADDRESS = { country: "JP", postalCode: "100-0005", location: { lat: 35.6812, lng: 139.7671 } };
export const PAYMENT_FIELDS = "id orderId method status amount currency";
export const ORDER_FIELDS = `id status labId shopId shootId total currency payment { ${PAYMENT_FIELDS} }`;
export const PLACE_REORDER = `mutation($input: ReorderInput!, $key: String) { placeReorder(input: $input, idempotencyKey: $key) {
  order { ${ORDER_FIELDS} } payment { ${PAYMENT_FIELDS} } errors { code field } } }`;
export const RECORD_COUNTER = `mutation($orderId: ID!, $amount: Money!) { recordCounterPayment(orderId: $orderId, amount: $amount) {
  order { ${ORDER_FIELDS} } payment { ${PAYMENT_FIELDS} } errors { code field } } }`;
export const REFUND = `mutation($orderId: ID!, $reason: String!) { refundPayment(orderId: $orderId, reason: $reason) {
  order { ${ORDER_FIELDS} } payment { ${PAYMENT_FIELDS} } errors { code field } } }`;
export const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} assignment { chosenLabId notes rejected { labId reasons } } } }`;
const CREATE_CODE = `mutation($input: AccessCodeInput!) { createAccessCode(input: $input) { accessCode { code } errors { code field } } }`;
const CREATE_LAB = `mutation($input: CreateLabInput!) { createLab(input: $input) { lab { id } errors { code field } } }`;
const CREATE_KEY = `mutation($labId: ID!) { createLabApiKey(labId: $labId, label: "test") { key errors { code } } }`;

export interface ReorderWorld {
  shootId: string;
  /** Images tagged A1 (two) and B2 (one). */
  a1: string[];
  b2: string;
  /** A code showing subject A1 only. */
  codeA1: string;
  /** The second lab of SP01, which delivers, and its key. */
  deliveryLab: string;
  deliveryLabKey: string;
}

let seed = 7000;

export async function newAccessCode(c: TestCenter, bearer: string, input: Record<string, unknown>): Promise<string> {
  const r = await c.gql(CREATE_CODE, { input }, bearer);
  expect(r.errors).toBeUndefined();
  expect(r.data!.createAccessCode.errors).toEqual([]);
  return r.data!.createAccessCode.accessCode.code as string;
}

/** A shoot of `shopId` with images uploaded by its device: `subjects` says whom each shows. */
export async function shootWithImages(c: TestCenter, admin: string, shopId: string, subjects: string[]): Promise<{ shootId: string; images: string[] }> {
  const shoot = await newShoot(c, admin, { shopId, name: `Event ${seed}` });
  expect(shoot.errors).toEqual([]);
  const device = await newDevice(c, admin, shopId);
  const images: string[] = [];
  for (const subject of subjects) {
    const up = await uploadToShoot(c, shoot.shoot.id, device.key, makePng(8, 8, seed++), { "x-subject": subject });
    expect(up.status).toBe(201);
    images.push(up.json.imageId as string);
  }
  return { shootId: shoot.shoot.id as string, images };
}

/** A new key of `labId`, issued through the API by `admin`. */
export async function newLabKey(c: TestCenter, admin: string, labId: string): Promise<string> {
  const key = await c.gql(CREATE_KEY, { labId }, admin);
  expect(key.data!.createLabApiKey.errors).toEqual([]);
  return key.data!.createLabApiKey.key as string;
}

/**
 * A second lab of SP01 made through the API by `admin`: it prints SV01 and SV02 and delivers, and
 * lies farther from ADDRESS than LAB01 (the ranking alone would pick LAB01). Its new key.
 */
export async function newDeliveryLab(c: TestCenter, admin: string, labId: string): Promise<string> {
  const lab = await c.gql(
    CREATE_LAB,
    {
      input: {
        id: labId,
        name: "Delivery lab",
        shopId: "SP01",
        serviceIds: ["SV01", "SV02"],
        fulfilment: ["DELIVERY"],
        capacitySheetsPerHour: 500,
        location: { lat: 35.4437, lng: 139.638 },
      },
    },
    admin,
  );
  expect(lab.data!.createLab.errors).toEqual([]);
  return newLabKey(c, admin, labId);
}

/** The world most reorder tests start from (see ReorderWorld). */
export async function reorderWorld(c: TestCenter, t: Record<string, string>): Promise<ReorderWorld> {
  const { shootId, images } = await shootWithImages(c, t.shop1, "SP01", ["A1", "A1", "B2"]);
  const codeA1 = await newAccessCode(c, t.shop1, { shootId, subject: "A1" });
  const deliveryLab = `LABD${seed++}`;
  const deliveryLabKey = await newDeliveryLab(c, t.center, deliveryLab);
  return { shootId, a1: images.slice(0, 2), b2: images[2]!, codeA1, deliveryLab, deliveryLabKey };
}

/** A ReorderInput of one sub-order of SV01 with these images. */
export function reorderInput(codes: string[], imageIds: string[], paymentMethod: "COUNTER" | "GATEWAY", over: Record<string, unknown> = {}) {
  return {
    accessCodes: codes,
    subOrders: [{ serviceId: "SV01", sheets: imageIds.length, items: imageIds.map((imageId) => ({ imageId })) }],
    fulfilment: { method: "DELIVERY", address: ADDRESS },
    paymentMethod,
    ...over,
  };
}

/** placeReorder's payload (a GraphQL error fails the test). */
export async function placeReorder(c: TestCenter, bearer: string, input: Record<string, unknown>, key?: string): Promise<any> {
  const r = await c.gql(PLACE_REORDER, { input, key: key ?? null }, bearer);
  expect(r.errors).toBeUndefined();
  return r.data!.placeReorder;
}

/** A gateway event about an order, as the contract shows it. */
export function gatewayEvent(id: string, type: string, orderId: string, amount: number, currency: string): string {
  return JSON.stringify({ id, type, data: { object: { id: `pi_${id}`, amount, currency, metadata: { orderId } } } });
}

/** The Stripe-Signature header of `body` at `t` (unix seconds), signed with `secret`. */
export function signature(body: string, t: number, secret = WEBHOOK_SECRET): string {
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
}

/** POST /payments/webhook with the raw body and the header given (none: no header). */
export async function postWebhook(c: TestCenter, body: string, header: string | null): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (header !== null) headers["stripe-signature"] = header;
  const res = await fetch(`${c.url}/payments/webhook`, { method: "POST", headers, body });
  return { status: res.status, json: await res.json().catch(() => null) };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
