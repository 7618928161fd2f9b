/**
 * The payment gateway's webhook (contract: POST /payments/webhook) end to end on the real center:
 * a signed event settles a reorder, which then goes to a delivering lab other than the shoot's
 * first-print lab; forged, unsigned, stale and replayed events change nothing (payment and order
 * re-read); an amount or currency that is not the order's settles nothing, fails the payment and
 * tells the shop's admins. Without PAYMENT_WEBHOOK_SECRET gateway payments are off. Payments left
 * PENDING are reported once by the reconciliation sweep.
 */
import Stripe from "stripe";
import { OrderEntity } from "../../src/orders/order.entity";
import { PaymentEntity } from "../../src/payments/payment.entity";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { systemContext } from "../../src/core/request-context";
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import {
  gatewayEvent,
  nowSeconds,
  ORDER,
  placeReorder,
  postWebhook,
  reorderInput,
  reorderWorld,
  signature,
  WEBHOOK_SECRET,
  type ReorderWorld,
} from "../support/reorders";

let c: TestCenter;
let t: Record<string, string>;
let w: ReorderWorld;
let events = 0;

beforeAll(async () => {
  c = await startCenter({ env: { PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET, PAYMENT_RECONCILE_MINUTES: "30", ACCESS_CODE_RATE_LIMIT: "1000" } });
  t = await loginPeople(c);
  w = await reorderWorld(c, t);
});
afterAll(async () => {
  await c?.stop();
});

const state = async (orderId: string) => {
  const o = await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId });
  const p = await c.ds.getRepository(PaymentEntity).findOneByOrFail({ orderId });
  const jobs = await c.ds.getRepository(PrintJobEntity).find({ where: { orderId } });
  return { order: [o.status, o.labId, o.version], payment: [p.status, p.version], jobs: jobs.map((j) => [j.labId, j.status]) };
};
const noticesOf = async (login: string, kind: string) => {
  const user = await c.ds.query("SELECT id FROM users WHERE login = ?", [login]);
  return c.ds.getRepository(NotificationEntity).find({ where: { userId: user[0].id, kind } });
};

async function gatewayReorder(): Promise<{ orderId: string; total: number }> {
  const p = await placeReorder(c, t.customer, reorderInput([w.codeA1], w.a1, "GATEWAY"));
  expect(p.errors).toEqual([]);
  expect(p.payment).toMatchObject({ method: "GATEWAY", status: "PENDING", amount: p.order.total });
  return { orderId: p.order.id, total: p.order.total };
}

const eventId = () => `evt_${++events}_${Date.now()}`;

describe("a signed payment_intent.succeeded", () => {
  it("settles the reorder: assigned to a delivering lab other than the first-print lab, queued there, the customer told", async () => {
    const { orderId, total } = await gatewayReorder();
    expect(await state(orderId)).toEqual({ order: ["AWAITING_PAYMENT", null, 0], payment: ["PENDING", 0], jobs: [] });
    const body = gatewayEvent(eventId(), "payment_intent.succeeded", orderId, total, "jpy");
    const r = await postWebhook(c, body, signature(body, nowSeconds()));
    expect(r.status).toBe(200);
    const after = await state(orderId);
    expect(after.order.slice(0, 2)).toEqual(["ASSIGNED", w.deliveryLab]);
    expect(after.payment[0]).toBe("SETTLED");
    expect(after.jobs).toEqual([[w.deliveryLab, "QUEUED"]]);
    const read = (await c.gql(ORDER, { id: orderId }, t.center)).data!.order;
    expect(read.payment.status).toBe("SETTLED");
    expect(read.assignment.rejected.find((x: any) => x.labId === "LAB01").reasons.join(" ")).toContain("first-print lab of the reorder's shoot");
    expect((await noticesOf("customer", "PAYMENT_SETTLED")).some((n) => n.message.includes(orderId))).toBe(true);

    // The same event again: 200, nothing changes.
    const replay = await postWebhook(c, body, signature(body, nowSeconds()));
    expect(replay.status).toBe(200);
    expect(await state(orderId)).toEqual(after);
  });

  it("a header made by the gateway package's own test helper is accepted", async () => {
    const { orderId, total } = await gatewayReorder();
    const body = gatewayEvent(eventId(), "payment_intent.succeeded", orderId, total, "jpy");
    const r = await postWebhook(c, body, Stripe.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET }));
    expect(r.status).toBe(200);
    expect((await state(orderId)).payment[0]).toBe("SETTLED");
  });

  it("several v1 signatures: one that matches suffices", async () => {
    const { orderId, total } = await gatewayReorder();
    const body = gatewayEvent(eventId(), "payment_intent.succeeded", orderId, total, "JPY");
    const ts = nowSeconds();
    const good = signature(body, ts).split(",v1=")[1];
    const r = await postWebhook(c, body, `t=${ts},v1=${"0".repeat(64)},v1=${good}`);
    expect(r.status).toBe(200);
    expect((await state(orderId)).payment[0]).toBe("SETTLED");
  });
});

describe("refused webhooks change nothing", () => {
  it("forged, unsigned, stale, future and malformed signatures: 400, payment and order as they were", async () => {
    const { orderId, total } = await gatewayReorder();
    const before = await state(orderId);
    const body = gatewayEvent(eventId(), "payment_intent.succeeded", orderId, total, "jpy");
    const cases: Array<[string, string | null]> = [
      ["no header", null],
      ["another secret", signature(body, nowSeconds(), "whsec_someone_else")],
      ["another body", signature(body.replace(String(total), String(total + 1)), nowSeconds())],
      ["stale (301 s old)", signature(body, nowSeconds() - 301)],
      ["from the future (more than 300 s ahead)", signature(body, nowSeconds() + 305)],
      ["malformed", "v1=abc"],
    ];
    for (const [what, header] of cases) {
      const r = await postWebhook(c, body, header);
      expect([what, r.status, r.json?.error?.code]).toEqual([what, 400, "BAD_SIGNATURE"]);
      expect(await state(orderId)).toEqual(before);
    }
    // The event was not remembered: signed properly, it still settles.
    const ok = await postWebhook(c, body, signature(body, nowSeconds() - 290));
    expect(ok.status).toBe(200);
    expect((await state(orderId)).payment[0]).toBe("SETTLED");
  });

  it("a wrong amount or currency: 200, nothing settled, the payment FAILED and the shop's admins told", async () => {
    for (const [amountDelta, currency] of [
      [1, "jpy"],
      [0, "eur"],
    ] as const) {
      const { orderId, total } = await gatewayReorder();
      const body = gatewayEvent(eventId(), "payment_intent.succeeded", orderId, total + amountDelta, currency);
      const r = await postWebhook(c, body, signature(body, nowSeconds()));
      expect(r.status).toBe(200);
      expect(await state(orderId)).toEqual({ order: ["AWAITING_PAYMENT", null, 0], payment: ["FAILED", 1], jobs: [] });
      expect((await noticesOf("shop-1", "PAYMENT_MISMATCH")).some((n) => n.message.includes(orderId))).toBe(true);
      expect((await noticesOf("group-a", "PAYMENT_MISMATCH")).some((n) => n.message.includes(orderId))).toBe(true);
    }
  });

  it("payment_intent.payment_failed fails the payment and tells the admins; nothing is queued", async () => {
    const { orderId, total } = await gatewayReorder();
    const body = gatewayEvent(eventId(), "payment_intent.payment_failed", orderId, total, "jpy");
    expect((await postWebhook(c, body, signature(body, nowSeconds()))).status).toBe(200);
    expect(await state(orderId)).toEqual({ order: ["AWAITING_PAYMENT", null, 0], payment: ["FAILED", 1], jobs: [] });
    expect((await noticesOf("shop-1", "PAYMENT_FAILED")).some((n) => n.message.includes(orderId))).toBe(true);
  });

  it("charge.refunded before printing refunds the reorder and cancels it", async () => {
    const { orderId, total } = await gatewayReorder();
    const paid = gatewayEvent(eventId(), "payment_intent.succeeded", orderId, total, "jpy");
    await postWebhook(c, paid, signature(paid, nowSeconds()));
    const refunded = gatewayEvent(eventId(), "charge.refunded", orderId, total, "jpy");
    expect((await postWebhook(c, refunded, signature(refunded, nowSeconds()))).status).toBe(200);
    const s = await state(orderId);
    expect([s.order[0], s.payment[0], s.jobs]).toEqual(["CANCELLED", "REFUNDED", [[w.deliveryLab, "FAILED"]]]);
  });
});

describe("a payment for an order no longer waiting", () => {
  it("the customer cancelled the reorder meanwhile: 200, nothing queued, the shop's admins told", async () => {
    const { orderId, total } = await gatewayReorder();
    const cancel = await c.gql(`mutation($id: ID!) { cancelOrder(orderId: $id) { order { status } errors { code } } }`, { id: orderId }, t.customer);
    expect(cancel.data!.cancelOrder).toEqual({ order: { status: "CANCELLED" }, errors: [] });
    // The cancellation failed the payment that was waiting.
    expect((await state(orderId)).payment).toEqual(["FAILED", 1]);
    const body = gatewayEvent(eventId(), "payment_intent.succeeded", orderId, total, "jpy");
    expect((await postWebhook(c, body, signature(body, nowSeconds()))).json).toEqual({ received: true, outcome: "PROCESSED" });
    const s = await state(orderId);
    expect([s.order[0], s.payment, s.jobs]).toEqual(["CANCELLED", ["FAILED", 1], []]);
    expect((await noticesOf("shop-1", "PAYMENT_FOR_CLOSED_ORDER")).some((n) => n.message.includes(orderId))).toBe(true);
  });
});

describe("reconciliation", () => {
  it("a payment PENDING past PAYMENT_RECONCILE_MINUTES is reported to the shop's admins once", async () => {
    const { orderId } = await gatewayReorder();
    const payment = await c.ds.getRepository(PaymentEntity).findOneByOrFail({ orderId });
    const services = c.server.services;
    const ctx = systemContext(c.server.app, "test-reconcile");
    // Not yet due: nothing reported.
    expect(await services.payments.reconcile(ctx, services.reorderSettlement, new Date(Date.now() + 29 * 60_000))).not.toContain(payment.id);
    const later = new Date(Date.now() + 31 * 60_000);
    expect(await services.payments.reconcile(ctx, services.reorderSettlement, later)).toContain(payment.id);
    const notices = (await noticesOf("shop-1", "PAYMENT_OVERDUE")).filter((n) => n.message.includes(orderId));
    expect(notices.length).toBe(1);
    // A second sweep reports it no more; the order is unchanged.
    expect(await services.payments.reconcile(ctx, services.reorderSettlement, later)).not.toContain(payment.id);
    expect((await noticesOf("shop-1", "PAYMENT_OVERDUE")).filter((n) => n.message.includes(orderId)).length).toBe(1);
    expect(await state(orderId)).toEqual({ order: ["AWAITING_PAYMENT", null, 0], payment: ["PENDING", 0], jobs: [] });
  });
});

describe("without PAYMENT_WEBHOOK_SECRET", () => {
  it("gateway payments are off: placeReorder answers PAYMENT_METHOD_UNAVAILABLE and the webhook 404", async () => {
    const off = await startCenter({ env: { ACCESS_CODE_RATE_LIMIT: "1000" } });
    try {
      const people = await loginPeople(off, ["shop1", "center", "customer"]);
      const world = await reorderWorld(off, people);
      const p = await placeReorder(off, people.customer, reorderInput([world.codeA1], world.a1, "GATEWAY"));
      expect(p).toEqual({ order: null, payment: null, errors: [{ code: "PAYMENT_METHOD_UNAVAILABLE", field: ["input", "paymentMethod"] }] });
      const body = gatewayEvent("evt_off", "payment_intent.succeeded", "none", 1, "jpy");
      expect((await postWebhook(off, body, signature(body, nowSeconds()))).status).toBe(404);
      // The counter still works.
      expect((await placeReorder(off, people.customer, reorderInput([world.codeA1], world.a1, "COUNTER"))).errors).toEqual([]);
    } finally {
      await off.stop();
    }
  });
});
