/**
 * The gateway's test mode (PAYMENT_TEST_MODE, never in production): `POST /payments/test-mode/pay`
 * with `{ "orderId": "..." }` and the customer's bearer token completes the pending gateway payment
 * of their reorder the way the gateway would, so that the whole flow can be walked without it. The
 * center builds the event the gateway sends (`payment_intent.succeeded`, the payment's amount and
 * currency, the order in its metadata), signs it with PAYMENT_WEBHOOK_SECRET through the gateway
 * library's own test-header helper, and POSTs it to its own `/payments/webhook`: the payment is
 * settled only by the normal verification and handling. The route is not mounted unless the setting
 * is on (404), and the configuration refuses the setting with NODE_ENV=production.
 */
import { randomUUID } from "node:crypto";
import express, { type Express } from "express";
import Stripe from "stripe";
import { INVALID_CREDENTIAL, type Authenticate } from "../core/credentials";
import { answeringRefusals, HttpRefusal } from "../core/http-refusal";
import { requestContext, type AppContext, type RequestContext } from "../core/request-context";
import type { Outcome } from "../core/unit-of-work";
import type { PaymentEntity } from "./payment.entity";

export const TEST_MODE_PAY_PATH = "/payments/test-mode/pay";

export interface GatewayTestModeOptions {
  /** PAYMENT_WEBHOOK_SECRET (test mode is on only with it). */
  secret: string;
  authenticate: Authenticate;
  /** The caller's reorder's gateway payment, still PENDING, or why it cannot be paid (the reorders decide). */
  payable(ctx: RequestContext, orderId: string): Promise<Outcome<PaymentEntity>>;
  /** The center's own base URL, where its webhook listens (known once the server listens). */
  selfUrl(): string;
}

/** The event the gateway sends when a payment intent succeeded, as the webhook reads it. */
export function succeededEvent(payment: PaymentEntity, nowSeconds = Math.floor(Date.now() / 1000)): { id: string; body: string } {
  const id = `evt_test_${randomUUID().replace(/-/g, "")}`;
  const body = JSON.stringify({
    id,
    object: "event",
    type: "payment_intent.succeeded",
    created: nowSeconds,
    livemode: false,
    data: {
      object: {
        id: payment.providerRef ?? `pi_test_${payment.id.replace(/-/g, "")}`,
        object: "payment_intent",
        amount: payment.amount,
        currency: payment.currency.toLowerCase(),
        status: "succeeded",
        metadata: { orderId: payment.orderId },
      },
    },
  });
  return { id, body };
}

export function mountGatewayTestMode(app: Express, appContext: AppContext, opts: GatewayTestModeOptions): void {
  const { logger } = appContext;
  app.post(
    TEST_MODE_PAY_PATH,
    express.json({ limit: "4kb" }),
    answeringRefusals(logger, async (req, res) => {
      const address = req.ip ?? req.socket.remoteAddress ?? "unknown";
      const auth = await opts.authenticate(req.header("authorization"), undefined, address);
      if (auth === INVALID_CREDENTIAL || auth.kind !== "user") {
        throw new HttpRefusal(401, "UNAUTHENTICATED", "Log in: the reorder's customer pays it");
      }
      const body = req.body as { orderId?: unknown } | undefined;
      const orderId = typeof body?.orderId === "string" && body.orderId.length <= 64 ? body.orderId : null;
      if (orderId === null) throw new HttpRefusal(400, "BAD_REQUEST", 'The body must be {"orderId": "<the reorder\'s id>"}');
      const ctx = requestContext(appContext, auth, String(res.locals.requestId ?? randomUUID()), address);
      const found = await opts.payable(ctx, orderId);
      if (found.value === null) {
        const e = found.errors[0];
        throw new HttpRefusal(e?.code === "NOT_FOUND" ? 404 : 409, e?.code ?? "NOT_FOUND", e?.message ?? `Order ${orderId} cannot be paid here`);
      }
      const event = succeededEvent(found.value);
      const header = Stripe.webhooks.generateTestHeaderString({ payload: event.body, secret: opts.secret });
      // Through the real webhook, its verification included: test mode settles nothing by itself.
      const answer = await fetch(`${opts.selfUrl()}/payments/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": header },
        body: event.body,
      });
      const answered = (await answer.json().catch(() => null)) as { outcome?: string } | null;
      if (!answer.ok) throw new HttpRefusal(502, "WEBHOOK_REFUSED", `The center's own webhook answered ${answer.status}`);
      logger.warn({ orderId, eventId: event.id, outcome: answered?.outcome }, "payment test mode: a gateway payment completed without the gateway");
      res.status(200).json({ eventId: event.id, outcome: answered?.outcome ?? null });
    }),
  );
}
