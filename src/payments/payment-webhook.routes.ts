/**
 * The contract's `POST /payments/webhook`: the payment gateway's events, signed with
 * PAYMENT_WEBHOOK_SECRET (`Stripe-Signature: t=<unix s>,v1=<hex>`, over the raw body). A bad,
 * missing or stale signature answers 400 and changes nothing; an event already processed answers
 * 200 and changes nothing; any verified event answers 200 (the gateway stops retrying), whatever it
 * came to. Without PAYMENT_WEBHOOK_SECRET gateway payments are off and the route answers 404.
 */
import express, { type Express } from "express";
import { answeringRefusals, HttpRefusal } from "../core/http-refusal";
import { systemContext, type AppContext, type RequestContext } from "../core/request-context";
import { BadSignature, type GatewayEvent, type GatewayProvider } from "./providers/gateway.provider";

/** The largest webhook body read (the gateway's events are a few kilobytes). */
const WEBHOOK_BODY_LIMIT = "256kb";

export interface PaymentWebhookOptions {
  gateway: GatewayProvider;
  /** What a verified event does (the reorders settle, fail or refund); its answer is logged and returned. */
  handle(ctx: RequestContext, event: GatewayEvent): Promise<string>;
}

export function mountPaymentWebhook(app: Express, appContext: AppContext, { gateway, handle }: PaymentWebhookOptions): void {
  app.post(
    "/payments/webhook",
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    answeringRefusals(appContext.logger, async (req, res) => {
      if (!gateway.available()) throw new HttpRefusal(404, "NOT_FOUND", "Gateway payments are off on this center");
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let event: GatewayEvent;
      try {
        event = gateway.verify(body, req.header("stripe-signature"));
      } catch (e) {
        if (!(e instanceof BadSignature)) throw e;
        appContext.logger.warn({ reason: e.message, requestId: res.locals.requestId }, "payment webhook refused");
        throw new HttpRefusal(400, "BAD_SIGNATURE", "The Stripe-Signature header is missing, malformed, stale or does not match");
      }
      const outcome = await handle(systemContext(appContext, String(res.locals.requestId)), event);
      appContext.logger.info({ eventId: event.id, type: event.type, outcome }, "payment webhook");
      res.status(200).json({ received: true, outcome });
    }),
  );
}
