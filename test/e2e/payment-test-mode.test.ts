/**
 * The payment gateway's test mode (PAYMENT_TEST_MODE, development only): POST
 * /payments/test-mode/pay completes the customer's own pending gateway payment by having the center
 * send itself the gateway's signed `payment_intent.succeeded`, through the real webhook and its
 * verification (the event's id is stored by the webhook's handling). Nobody else's order, no counter payment, no second
 * payment. Off in production: the configuration refuses to turn it on, the route answers 404 and
 * the terminal page has no button; nothing changes.
 *
 * The centers here set NODE_ENV themselves (development, production), whatever the suite's pass.
 */
import { ConfigError, loadConfig } from "../../src/config";
import { OrderEntity } from "../../src/orders/order.entity";
import { PaymentEntity, PaymentEventEntity } from "../../src/payments/payment.entity";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import { placeReorder, reorderInput, reorderWorld, WEBHOOK_SECRET, type ReorderWorld } from "../support/reorders";

const PAY_PATH = "/payments/test-mode/pay";

/** The route's answer: `{ eventId, outcome }`, or `{ error: { code, message } }`. */
interface PayAnswer {
  eventId?: string;
  outcome?: string | null;
  error?: { code: string; message: string };
}

async function pay(c: TestCenter, orderId: unknown, bearer: string | null): Promise<{ status: number; json: PayAnswer }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const res = await fetch(`${c.url}${PAY_PATH}`, { method: "POST", headers, body: JSON.stringify({ orderId }) });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as PayAnswer };
}

const stateOf = async (c: TestCenter, orderId: string) => {
  const o = await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId });
  const p = await c.ds.getRepository(PaymentEntity).findOneByOrFail({ orderId });
  const jobs = await c.ds.getRepository(PrintJobEntity).find({ where: { orderId } });
  return { order: [o.status, o.labId, o.version], payment: [p.status, p.version, p.providerRef], jobs: jobs.map((j) => [j.labId, j.status]) };
};

const BASE_ENV = { PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET, ACCESS_CODE_RATE_LIMIT: "1000" };

describe("in development, with PAYMENT_TEST_MODE=1", () => {
  let c: TestCenter;
  let t: Record<string, string>;
  let w: ReorderWorld;
  beforeAll(async () => {
    c = await startCenter({ env: { ...BASE_ENV, NODE_ENV: "development", PAYMENT_TEST_MODE: "1" } });
    t = await loginPeople(c, ["center", "shop1", "customer"]);
    w = await reorderWorld(c, t);
  });
  afterAll(async () => {
    await c?.stop();
  });

  const gatewayReorder = async (): Promise<{ orderId: string; total: number }> => {
    const p = await placeReorder(c, t.customer, reorderInput([w.codeA1], w.a1, "GATEWAY"));
    expect(p.errors).toEqual([]);
    return { orderId: p.order.id, total: p.order.total };
  };

  it("settles the customer's gateway payment through the center's own signed webhook", async () => {
    const { orderId, total } = await gatewayReorder();
    expect(await stateOf(c, orderId)).toEqual({ order: ["AWAITING_PAYMENT", null, 0], payment: ["PENDING", 0, null], jobs: [] });
    const r = await pay(c, orderId, t.customer);
    expect(r).toEqual({ status: 200, json: { eventId: expect.stringMatching(/^evt_test_[0-9a-f]{32}$/), outcome: "PROCESSED" } });
    // The webhook's handling stored the event (it is the only writer of these rows), naming the payment.
    const payment = await c.ds.getRepository(PaymentEntity).findOneByOrFail({ orderId });
    const event = await c.ds.getRepository(PaymentEventEntity).findOneByOrFail({ id: r.json.eventId });
    expect([event.type, event.paymentId]).toEqual(["payment_intent.succeeded", payment.id]);
    const s = await stateOf(c, orderId);
    expect(s).toEqual({
      order: ["ASSIGNED", w.deliveryLab, expect.any(Number)],
      payment: ["SETTLED", 1, `pi_test_${payment.id.replace(/-/g, "")}`],
      jobs: [[w.deliveryLab, "QUEUED"]],
    });
    expect(payment.amount).toBe(total);
    // A second time: the payment is no longer pending; nothing changes.
    const again = await pay(c, orderId, t.customer);
    expect([again.status, again.json.error?.code]).toEqual([409, "ILLEGAL_PAYMENT_TRANSITION"]);
    expect(await stateOf(c, orderId)).toEqual(s);
  });

  it("only the order's customer, only a pending gateway payment: everything else is refused and changes nothing", async () => {
    const { orderId } = await gatewayReorder();
    const counter = await placeReorder(c, t.customer, reorderInput([w.codeA1], w.a1, "COUNTER"));
    const before = [await stateOf(c, orderId), await stateOf(c, counter.order.id)];
    const events = await c.ds.getRepository(PaymentEventEntity).count();

    const anonymous = await pay(c, orderId, null);
    expect([anonymous.status, anonymous.json.error?.code]).toEqual([401, "UNAUTHENTICATED"]);
    const badToken = await pay(c, orderId, "not-a-token");
    expect([badToken.status, badToken.json.error?.code]).toEqual([401, "UNAUTHENTICATED"]);
    const admin = await pay(c, orderId, t.shop1);
    expect([admin.status, admin.json.error?.code]).toEqual([404, "NOT_FOUND"]);
    const other = await c.gql(
      `mutation { registerCustomer(login: "test-mode-other", name: "Other", password: "a quiet harbour at noon") { token errors { code } } }`,
    );
    expect(other.data!.registerCustomer.errors).toEqual([]);
    const stranger = await pay(c, orderId, other.data!.registerCustomer.token);
    expect([stranger.status, stranger.json.error?.code]).toEqual([404, "NOT_FOUND"]);
    const unknown = await pay(c, "no-such-order", t.customer);
    expect([unknown.status, unknown.json.error?.code]).toEqual([404, "NOT_FOUND"]);
    const malformed = await pay(c, 42, t.customer);
    expect([malformed.status, malformed.json.error?.code]).toEqual([400, "BAD_REQUEST"]);
    const atCounter = await pay(c, counter.order.id, t.customer);
    expect([atCounter.status, atCounter.json.error?.code]).toEqual([409, "WRONG_PAYMENT_METHOD"]);

    expect([await stateOf(c, orderId), await stateOf(c, counter.order.id)]).toEqual(before);
    expect(await c.ds.getRepository(PaymentEventEntity).count()).toBe(events);
  });
});

describe("in production", () => {
  it("the configuration refuses PAYMENT_TEST_MODE=1 without PAYMENT_WEBHOOK_SECRET too (it signs with it), in any mode", () => {
    expect(() => loadConfig({ NODE_ENV: "development", PAYMENT_TEST_MODE: "1", JWT_SECRET: "x".repeat(48) })).toThrow(
      /PAYMENT_TEST_MODE needs PAYMENT_WEBHOOK_SECRET/,
    );
  });

  it("the configuration refuses PAYMENT_TEST_MODE=1", () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: "production", PAYMENT_TEST_MODE: "1", PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET, JWT_SECRET: "x".repeat(48) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).faults).toEqual([
      "PAYMENT_TEST_MODE completes gateway payments without the gateway: it cannot be on with NODE_ENV=production",
    ]);
  });

  it("the route answers 404, the page has no test button, and nothing changes", async () => {
    const c = await startCenter({ env: { ...BASE_ENV, NODE_ENV: "production" } });
    try {
      expect(c.config.paymentTestMode).toBe(false);
      const t = await loginPeople(c, ["center", "shop1", "customer"]);
      const w = await reorderWorld(c, t);
      const p = await placeReorder(c, t.customer, reorderInput([w.codeA1], w.a1, "GATEWAY"));
      expect(p.errors).toEqual([]);
      const before = await stateOf(c, p.order.id);
      const r = await pay(c, p.order.id, t.customer);
      expect(r.status).toBe(404);
      expect(await stateOf(c, p.order.id)).toEqual(before);
      expect(before.payment[0]).toBe("PENDING");
      expect(await c.ds.getRepository(PaymentEventEntity).count()).toBe(0);
      const page = await fetch(`${c.url}/reorder`);
      const html = await page.text();
      expect([page.status, html.includes('data-test-mode="0"'), html.includes("test-pay-button"), html.includes('id="pay-gateway"')]).toEqual([
        200,
        true,
        false,
        true,
      ]);
    } finally {
      await c.stop();
    }
  });
});
