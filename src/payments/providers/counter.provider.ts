/**
 * Paying at the shop's counter: a shop admin records the money received (recordCounterPayment).
 * There is nobody to ask about a payment: the sweep's look-up knows nothing.
 */
import type { PaymentProvider, ProviderAnswer } from "./payment-provider";

export class CounterProvider implements PaymentProvider {
  readonly method = "COUNTER" as const;

  available(): boolean {
    return true;
  }

  lookUp(): Promise<ProviderAnswer> {
    return Promise.resolve("unknown");
  }
}
