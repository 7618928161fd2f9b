/**
 * The payment gateway: on only with PAYMENT_WEBHOOK_SECRET. Its webhooks are signed as the gateway
 * signs them (`Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, several v1
 * allowed); the signature is checked with the gateway's own library, offline, over the raw body. The
 * center does not call the gateway: `lookUp` answers "unknown" (a deployment that can ask the
 * gateway about a payment intent would do it here).
 */
import Stripe from "stripe";
import type { PaymentProvider, ProviderAnswer } from "./payment-provider";

/** How far `t` may be from now, either way, in seconds. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** A gateway event as the webhook carries it (only what the center reads). */
export interface GatewayEvent {
  id: string;
  type: string;
  /** The payment intent (or charge) id. */
  objectId: string | null;
  amount: number | null;
  currency: string | null;
  orderId: string | null;
}

export class BadSignature extends Error {}

export class GatewayProvider implements PaymentProvider {
  readonly method = "GATEWAY" as const;

  constructor(private readonly secret: string | null) {}

  available(): boolean {
    return this.secret !== null;
  }

  lookUp(): Promise<ProviderAnswer> {
    return Promise.resolve("unknown");
  }

  /**
   * The event of a signed webhook; BadSignature for a missing, malformed, wrong or stale (more than
   * SIGNATURE_TOLERANCE_SECONDS from now, either way) signature, or a body that is no event.
   */
  verify(rawBody: Buffer, header: string | undefined, nowSeconds = Math.floor(Date.now() / 1000)): GatewayEvent {
    if (this.secret === null) throw new BadSignature("gateway payments are off");
    if (!header) throw new BadSignature("no Stripe-Signature header");
    // The library refuses a timestamp too far in the past; one too far in the future is refused here.
    const t = /(?:^|,)\s*t=(\d{1,12})(?:,|$)/.exec(header);
    if (!t || Number(t[1]) > nowSeconds + SIGNATURE_TOLERANCE_SECONDS) throw new BadSignature("bad or future timestamp");
    let event: unknown;
    try {
      event = Stripe.webhooks.constructEvent(rawBody, header, this.secret, SIGNATURE_TOLERANCE_SECONDS, undefined, nowSeconds * 1000);
    } catch (e) {
      throw new BadSignature(e instanceof Error ? e.message : "signature does not match");
    }
    return readEvent(event);
  }
}

function readEvent(raw: unknown): GatewayEvent {
  const e = raw as { id?: unknown; type?: unknown; data?: { object?: Record<string, unknown> } };
  if (typeof e?.id !== "string" || e.id.length === 0 || e.id.length > 255 || typeof e.type !== "string") throw new BadSignature("not an event");
  const o = e.data?.object ?? {};
  const metadata = (o.metadata ?? {}) as Record<string, unknown>;
  const amount = typeof o.amount === "number" && Number.isSafeInteger(o.amount) ? o.amount : null;
  return {
    id: e.id,
    type: e.type.slice(0, 100),
    objectId: typeof o.id === "string" ? o.id.slice(0, 255) : null,
    amount,
    currency: typeof o.currency === "string" ? o.currency : null,
    orderId: typeof metadata.orderId === "string" ? metadata.orderId : null,
  };
}
