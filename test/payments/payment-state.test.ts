/** The payment lifecycle's transition table, case by case. */
import { nextPaymentStatus, PAYMENT_EVENTS, PAYMENT_STATUSES, type PaymentEvent, type PaymentStatus } from "../../src/payments/payment-state";

/** Every move the table allows; every other (state, event) pair is refused. */
const ALLOWED: Array<[PaymentStatus, PaymentEvent, PaymentStatus]> = [
  ["PENDING", "SETTLE", "SETTLED"],
  ["PENDING", "FAIL", "FAILED"],
  ["SETTLED", "REFUND", "REFUNDED"],
];

describe("nextPaymentStatus", () => {
  it.each(ALLOWED)("%s --%s--> %s", (from, event, to) => {
    expect(nextPaymentStatus(from, event)).toBe(to);
  });

  const refused = PAYMENT_STATUSES.flatMap((s) => PAYMENT_EVENTS.map((e) => [s, e] as [PaymentStatus, PaymentEvent])).filter(
    ([s, e]) => !ALLOWED.some(([from, event]) => from === s && event === e),
  );

  it("refuses the other 9 pairs", () => {
    expect(PAYMENT_STATUSES).toEqual(["PENDING", "SETTLED", "FAILED", "REFUNDED"]);
    expect(refused).toHaveLength(9);
  });

  it.each(refused)("%s cannot %s", (from, event) => {
    expect(nextPaymentStatus(from, event)).toBeNull();
  });
});
