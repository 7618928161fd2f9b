/**
 * How the center meets a way of paying. Each method (the shop's counter, the payment gateway) is a
 * provider: whether it can be used now, and what it knows of a payment when asked (the
 * reconciliation sweep asks about payments left PENDING, so that a lost webhook does not leave a
 * paid order stuck).
 */
import type { PaymentEntity } from "../payment.entity";
import type { PaymentMethod } from "../payment-state";

/** What a provider says of a payment: settled or failed on its side, or nothing it knows. */
export type ProviderAnswer = "SETTLED" | "FAILED" | "unknown";

export interface PaymentProvider {
  readonly method: PaymentMethod;
  /** Whether customers may choose this method now. */
  available(): boolean;
  /** What the provider knows of the payment now (no change is made here). */
  lookUp(payment: PaymentEntity): Promise<ProviderAnswer>;
}
