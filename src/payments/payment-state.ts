/**
 * The payment lifecycle as an explicit transition table, like the orders' and the print jobs'.
 * A payment is made PENDING with its reorder; the counter or the gateway settles or fails it; a
 * settled payment may be refunded before printing starts. Every change goes through
 * `nextPaymentStatus`: a move the table does not allow is refused, never forced. Pure.
 */
export type PaymentStatus = "PENDING" | "SETTLED" | "FAILED" | "REFUNDED";

export type PaymentEvent =
  | "SETTLE" // the money arrived (counter recorded, or the gateway's succeeded event)
  | "FAIL" // the gateway's failed event, or an amount or currency that is not the order's
  | "REFUND"; // paid back before printing started

export const PAYMENT_TRANSITIONS: Readonly<Record<PaymentStatus, Partial<Record<PaymentEvent, PaymentStatus>>>> = {
  PENDING: { SETTLE: "SETTLED", FAIL: "FAILED" },
  SETTLED: { REFUND: "REFUNDED" },
  FAILED: {},
  REFUNDED: {},
};

export const PAYMENT_STATUSES = Object.keys(PAYMENT_TRANSITIONS) as PaymentStatus[];
export const PAYMENT_EVENTS: readonly PaymentEvent[] = ["SETTLE", "FAIL", "REFUND"];

/** The state after `event`, or null when the table does not allow it. */
export function nextPaymentStatus(from: PaymentStatus, event: PaymentEvent): PaymentStatus | null {
  return PAYMENT_TRANSITIONS[from][event] ?? null;
}

export type PaymentMethod = "COUNTER" | "GATEWAY";
export const PAYMENT_METHODS: readonly PaymentMethod[] = ["COUNTER", "GATEWAY"];
