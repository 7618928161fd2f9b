/**
 * Reorders (seed 002) end to end on the real center: a customer reorders images their access codes
 * show, the order waits AWAITING_PAYMENT with nothing queued, and is settled at the counter (or
 * refunded) by a shop admin; a settled reorder goes to a lab that delivers other than the shoot's
 * first-print lab. Codes that show nothing, or other images, and shoots of different shops are
 * refused with nothing written; who may place, record and refund is the matrix at the end.
 */
import { In } from "typeorm";
import { OrderEntity } from "../../src/orders/order.entity";
import { PaymentEntity } from "../../src/payments/payment.entity";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { AccessCodeEntity } from "../../src/shoots/access-code.entity";
import { ShootEntity } from "../../src/shoots/shoot.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { authzMatrix, graphqlAttempt, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import {
  newAccessCode,
  ORDER,
  placeReorder,
  RECORD_COUNTER,
  REFUND,
  reorderInput,
  reorderWorld,
  shootWithImages,
  WEBHOOK_SECRET,
  type ReorderWorld,
} from "../support/reorders";

const CLAIM = `mutation($id: ID!) { claimPrintJob(jobId: $id) { job { id status } errors { code } } }`;

let c: TestCenter;
let t: Record<string, string>;
let w: ReorderWorld;

beforeAll(async () => {
  c = await startCenter({ env: { PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET, ACCESS_CODE_RATE_LIMIT: "1000" } });
  t = await loginPeople(c);
  w = await reorderWorld(c, t);
});
afterAll(async () => {
  await c?.stop();
});

const counts = async () => ({
  orders: await c.ds.getRepository(OrderEntity).count(),
  payments: await c.ds.getRepository(PaymentEntity).count(),
  jobs: await c.ds.getRepository(PrintJobEntity).count(),
});
const jobsOf = (orderId: string) => c.ds.getRepository(PrintJobEntity).find({ where: { orderId } });
const paymentOf = (orderId: string) => c.ds.getRepository(PaymentEntity).findOneByOrFail({ orderId });
const orderRow = (id: string) => c.ds.getRepository(OrderEntity).findOneByOrFail({ id });
const noticesOf = async (login: string, kind: string) => {
  const user = await c.ds.query("SELECT id FROM users WHERE login = ?", [login]);
  return c.ds.getRepository(NotificationEntity).find({ where: { userId: user[0].id, kind } });
};

async function counterReorder(images = w.a1): Promise<any> {
  const p = await placeReorder(c, t.customer, reorderInput([w.codeA1], images, "COUNTER"));
  expect(p.errors).toEqual([]);
  return p;
}

describe("placing a reorder", () => {
  it("waits AWAITING_PAYMENT with a PENDING payment of its total, and nothing is queued or assigned", async () => {
    const before = await counts();
    const p = await placeReorder(c, t.customer, reorderInput([w.codeA1], w.a1, "COUNTER"));
    expect(p.errors).toEqual([]);
    expect(p.order).toMatchObject({ status: "AWAITING_PAYMENT", labId: null, shopId: "SP01", shootId: w.shootId, currency: "JPY" });
    expect(p.order.total).toBeGreaterThan(0);
    expect(p.payment).toEqual({ id: p.payment.id, orderId: p.order.id, method: "COUNTER", status: "PENDING", amount: p.order.total, currency: "JPY" });
    expect(p.order.payment).toEqual(p.payment);
    // Re-read: the order, its payment, and no print job at all.
    expect((await orderRow(p.order.id)).status).toBe("AWAITING_PAYMENT");
    expect((await paymentOf(p.order.id)).status).toBe("PENDING");
    expect(await jobsOf(p.order.id)).toEqual([]);
    expect(await counts()).toEqual({ orders: before.orders + 1, payments: before.payments + 1, jobs: before.jobs });
    // The shop's admins hear that a reorder waits for its counter payment.
    expect((await noticesOf("shop-1", "REORDER_AWAITING_PAYMENT")).some((n) => n.message.includes(p.order.id))).toBe(true);
  });

  it("the same idempotency key answers the same reorder; another input with it is refused", async () => {
    const input = reorderInput([w.codeA1], [w.a1[0]!], "COUNTER");
    const first = await placeReorder(c, t.customer, input, "reorder-key-1");
    const again = await placeReorder(c, t.customer, input, "reorder-key-1");
    expect(again.order.id).toBe(first.order.id);
    expect(again.payment.id).toBe(first.payment.id);
    const other = await placeReorder(c, t.customer, reorderInput([w.codeA1], w.a1, "COUNTER"), "reorder-key-1");
    expect(other.errors).toEqual([{ code: "IDEMPOTENCY_KEY_REUSED", field: ["idempotencyKey"] }]);
  });

  it("a code shows only its own images: another subject's image and an unknown code are refused, nothing written", async () => {
    const before = await counts();
    const p = await placeReorder(c, t.customer, reorderInput([w.codeA1, "AAAA-BBBB-CCCC"], [w.a1[0]!, w.b2], "COUNTER"));
    expect(p.order).toBeNull();
    expect(p.errors).toEqual([
      { code: "INVALID_ACCESS_CODE", field: ["input", "accessCodes", "1"] },
      { code: "NOT_IN_ACCESS_CODE", field: ["input", "subOrders", "0", "items", "1", "imageId"] },
    ]);
    expect(await counts()).toEqual(before);
  });

  it("an expired code, a retired shoot's code and codes of two shops' shoots are refused", async () => {
    const expiring = await newAccessCode(c, t.shop1, { shootId: w.shootId, subject: "B2", expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    await c.ds.getRepository(AccessCodeEntity).update({ shootId: w.shootId, subject: "B2" }, { expiresAt: new Date(Date.now() - 1000) });
    const retired = await shootWithImages(c, t.shop1, "SP01", ["C3"]);
    const retiredCode = await newAccessCode(c, t.shop1, { shootId: retired.shootId });
    await c.ds.getRepository(ShootEntity).update({ id: retired.shootId }, { retiredAt: new Date() });
    const other = await shootWithImages(c, t.shop2, "SP02", ["D4"]);
    const otherCode = await newAccessCode(c, t.shop2, { shootId: other.shootId });
    const before = await counts();

    const expired = await placeReorder(c, t.customer, reorderInput([w.codeA1, expiring], [w.a1[0]!], "COUNTER"));
    expect(expired.errors).toEqual([{ code: "ACCESS_CODE_EXPIRED", field: ["input", "accessCodes", "1"] }]);
    const gone = await placeReorder(c, t.customer, reorderInput([retiredCode], retired.images, "COUNTER"));
    expect(gone.errors).toEqual([
      { code: "IMAGES_RETIRED", field: ["input", "accessCodes", "0"] },
      { code: "IMAGES_RETIRED", field: ["input", "subOrders", "0", "items", "0", "imageId"] },
    ]);
    const mixed = await placeReorder(c, t.customer, reorderInput([w.codeA1, otherCode], [w.a1[0]!], "COUNTER"));
    expect(mixed.errors).toEqual([{ code: "MIXED_SHOPS", field: ["input", "accessCodes", "1"] }]);
    const pickup = await placeReorder(c, t.customer, reorderInput([w.codeA1], [w.a1[0]!], "COUNTER", { fulfilment: { method: "PICKUP" } }));
    expect(pickup.errors).toEqual([{ code: "DELIVERY_ONLY", field: ["input", "fulfilment", "method"] }]);
    expect(await counts()).toEqual(before);
  });
});

describe("the counter", () => {
  it("a wrong amount settles nothing; the exact amount settles and assigns a delivering lab other than the first-print lab", async () => {
    const p = await counterReorder();
    const orderId = p.order.id;
    const wrong = (await c.gql(RECORD_COUNTER, { orderId, amount: p.order.total + 1 }, t.shop1)).data!.recordCounterPayment;
    expect(wrong).toEqual({ order: null, payment: null, errors: [{ code: "WRONG_AMOUNT", field: ["amount"] }] });
    expect((await paymentOf(orderId)).status).toBe("PENDING");
    expect((await orderRow(orderId)).status).toBe("AWAITING_PAYMENT");
    expect(await jobsOf(orderId)).toEqual([]);

    const paid = (await c.gql(RECORD_COUNTER, { orderId, amount: p.order.total }, t.shop1)).data!.recordCounterPayment;
    expect(paid.errors).toEqual([]);
    expect(paid.payment.status).toBe("SETTLED");
    expect(paid.order).toMatchObject({ status: "ASSIGNED", labId: w.deliveryLab });
    const jobs = await jobsOf(orderId);
    expect(jobs.map((j) => [j.labId, j.status])).toEqual([[w.deliveryLab, "QUEUED"]]);
    // The assignment record says why LAB01 (the shoot's first-print lab) was left out.
    const read = (await c.gql(ORDER, { id: orderId }, t.center)).data!.order;
    expect(read.assignment.chosenLabId).toBe(w.deliveryLab);
    const lab01 = read.assignment.rejected.find((r: any) => r.labId === "LAB01");
    expect(lab01.reasons.some((s: string) => s.startsWith("first-print lab of the reorder's shoot"))).toBe(true);
    expect((await noticesOf("customer", "PAYMENT_SETTLED")).some((n) => n.message.includes(orderId))).toBe(true);
    // Recorded twice: refused, nothing changes.
    const twice = (await c.gql(RECORD_COUNTER, { orderId, amount: p.order.total }, t.shop1)).data!.recordCounterPayment;
    expect(twice.errors).toEqual([{ code: "ILLEGAL_PAYMENT_TRANSITION", field: ["orderId"] }]);
    expect((await jobsOf(orderId)).length).toBe(1);
  });
});

describe("cancelling an unpaid reorder", () => {
  const CANCEL = `mutation($id: ID!) { cancelOrder(orderId: $id) { order { id status payment { status } } errors { code } } }`;

  it("fails its PENDING payment with it: nothing waits for the money, the counter can no longer record it", async () => {
    const p = await counterReorder();
    const orderId = p.order.id;
    const before = await paymentOf(orderId);
    const r = (await c.gql(CANCEL, { id: orderId }, t.customer)).data!.cancelOrder;
    expect(r).toEqual({ order: { id: orderId, status: "CANCELLED", payment: { status: "FAILED" } }, errors: [] });
    const after = await paymentOf(orderId);
    expect([after.status, after.version, after.note, after.amount]).toEqual([
      "FAILED",
      before.version + 1,
      "the order was cancelled before it was paid",
      p.order.total,
    ]);
    expect((await orderRow(orderId)).status).toBe("CANCELLED");
    const record = (await c.gql(RECORD_COUNTER, { orderId, amount: p.order.total }, t.shop1)).data!.recordCounterPayment;
    expect(record).toEqual({ order: null, payment: null, errors: [{ code: "ILLEGAL_PAYMENT_TRANSITION", field: ["orderId"] }] });
    expect([(await paymentOf(orderId)).status, (await orderRow(orderId)).status, await jobsOf(orderId)]).toEqual(["FAILED", "CANCELLED", []]);
  });

  it("a reorder that cannot be cancelled keeps its payment as it was", async () => {
    const p = await counterReorder();
    const orderId = p.order.id;
    await c.gql(RECORD_COUNTER, { orderId, amount: p.order.total }, t.shop1);
    const [job] = await jobsOf(orderId);
    expect((await c.gql(CLAIM, { id: job!.id }, w.deliveryLabKey)).data!.claimPrintJob.errors).toEqual([]);
    const settled = await paymentOf(orderId);
    const r = (await c.gql(CANCEL, { id: orderId }, t.customer)).data!.cancelOrder;
    expect(r).toEqual({ order: null, errors: [{ code: "ILLEGAL_TRANSITION" }] });
    const after = await paymentOf(orderId);
    expect([after.status, after.version]).toEqual(["SETTLED", settled.version]);
    expect((await orderRow(orderId)).status).toBe("PRINTING");
  });
});

describe("refunds", () => {
  it("before printing: payment REFUNDED, order CANCELLED, job withdrawn, customer told", async () => {
    const p = await counterReorder();
    const orderId = p.order.id;
    await c.gql(RECORD_COUNTER, { orderId, amount: p.order.total }, t.shop1);
    const r = (await c.gql(REFUND, { orderId, reason: "customer changed their mind" }, t.shop1)).data!.refundPayment;
    expect(r.errors).toEqual([]);
    expect(r.payment.status).toBe("REFUNDED");
    expect(r.order.status).toBe("CANCELLED");
    expect((await paymentOf(orderId)).status).toBe("REFUNDED");
    expect((await orderRow(orderId)).status).toBe("CANCELLED");
    expect((await jobsOf(orderId)).map((j) => j.status)).toEqual(["FAILED"]);
    expect((await noticesOf("customer", "PAYMENT_REFUNDED")).some((n) => n.message.includes(orderId))).toBe(true);
  });

  it("after the lab started printing: PRINTING_STARTED, nothing changed", async () => {
    const p = await counterReorder();
    const orderId = p.order.id;
    await c.gql(RECORD_COUNTER, { orderId, amount: p.order.total }, t.shop1);
    const [job] = await jobsOf(orderId);
    const claim = (await c.gql(CLAIM, { id: job!.id }, w.deliveryLabKey)).data!.claimPrintJob;
    expect(claim.errors).toEqual([]);
    expect((await orderRow(orderId)).status).toBe("PRINTING");
    const r = (await c.gql(REFUND, { orderId, reason: "too late" }, t.shop1)).data!.refundPayment;
    expect(r).toEqual({ order: null, payment: null, errors: [{ code: "PRINTING_STARTED", field: ["orderId"] }] });
    expect((await paymentOf(orderId)).status).toBe("SETTLED");
    expect((await orderRow(orderId)).status).toBe("PRINTING");
    expect((await jobsOf(orderId)).map((j) => j.status)).toEqual(["LEASED"]);
  });
});

describe("who may place, record and refund", () => {
  type Op = MatrixOperation<{ orderId: string; total: number }>;
  const snapshot = async () => {
    const rows = await c.ds.getRepository(PaymentEntity).find({ order: { id: "ASC" } });
    const orders = await c.ds.getRepository(OrderEntity).find({ where: { id: In(rows.map((r) => r.orderId)) }, order: { id: "ASC" } });
    return {
      payments: rows.map((r) => [r.id, r.status, r.version]),
      orders: orders.map((o) => [o.id, o.status, o.version]),
      jobs: await c.ds.getRepository(PrintJobEntity).count(),
    };
  };
  const pending = async () => {
    const p = await counterReorder([w.a1[0]!]);
    return { orderId: p.order.id as string, total: p.order.total as number };
  };
  const settled = async () => {
    const v = await pending();
    const r = await c.gql(RECORD_COUNTER, { orderId: v.orderId, amount: v.total }, t.center);
    expect(r.data!.recordCounterPayment.errors).toEqual([]);
    return v;
  };
  const operations: Op[] = [
    {
      op: "placeReorder",
      prepare: () => ({ orderId: "", total: 0 }),
      send: (_v, bearer) => graphqlAttempt(c, PLACE_REORDER_Q, "placeReorder", { input: reorderInput([w.codeA1], [w.a1[1]!], "COUNTER") }, bearer),
    },
    {
      op: "recordCounterPayment",
      prepare: pending,
      send: (v, bearer) => graphqlAttempt(c, RECORD_COUNTER, "recordCounterPayment", { orderId: v.orderId, amount: v.total }, bearer),
      applied: async (v) => (await paymentOf(v.orderId)).status === "SETTLED",
    },
    {
      op: "refundPayment",
      prepare: settled,
      send: (v, bearer) => graphqlAttempt(c, REFUND, "refundPayment", { orderId: v.orderId, reason: "matrix" }, bearer),
      applied: async (v) => (await paymentOf(v.orderId)).status === "REFUNDED",
    },
  ];
  const place = (o: Op, admin: string) => (o.op === "placeReorder" ? "FORBIDDEN" : admin);
  const callers: Array<MatrixCaller<Op>> = [
    ["anonymous", () => null, "UNAUTHENTICATED"],
    ["a lab key", () => w.deliveryLabKey, "FORBIDDEN"],
    ["the customer", () => t.customer, (o) => (o.op === "placeReorder" ? "allowed" : "FORBIDDEN")],
    ["SP01's shop admin", () => t.shop1, (o) => place(o, "allowed")],
    ["SP02's shop admin", () => t.shop2, (o) => place(o, "FORBIDDEN")],
    ["SG01's group admin", () => t.groupA, (o) => place(o, "allowed")],
    ["SG02's group admin", () => t.groupB, (o) => place(o, "FORBIDDEN")],
    ["the center admin", () => t.center, (o) => place(o, "allowed")],
  ];
  for (const cell of authzMatrix({ operations, callers, snapshot })) it(cell.title, cell.run);
  it("a refusal leaves payments, orders and jobs as they were", async () => {
    const v = await settled();
    const before = await snapshot();
    for (const bearer of [t.shop2, t.groupB, t.customer, w.deliveryLabKey]) {
      expect((await graphqlAttempt(c, REFUND, "refundPayment", { orderId: v.orderId, reason: "x" }, bearer)).code).toBe("FORBIDDEN");
    }
    expect(await snapshot()).toEqual(before);
  });
});

const PLACE_REORDER_Q = `mutation($input: ReorderInput!) { placeReorder(input: $input) { order { id status } payment { status } errors { code field } } }`;
