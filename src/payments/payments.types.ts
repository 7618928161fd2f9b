/** GraphQL edge of payments (contract part "events"): the Payment type and its enums. */
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { MoneyScalar } from "../graphql/scalars";
import type { PaymentMethod, PaymentStatus } from "./payment-state";

export const PaymentMethodEnum = { COUNTER: "COUNTER", GATEWAY: "GATEWAY" } as const satisfies { [K in PaymentMethod]: K };
registerEnumType(PaymentMethodEnum, {
  name: "PaymentMethod",
  description: "How a reorder is paid.",
  valuesConfig: {
    COUNTER: { description: "Paid at the shop's counter; a shop admin records it." },
    GATEWAY: { description: "Paid through the payment gateway; settled by its signed webhook." },
  },
});

export const PaymentStatusEnum = { PENDING: "PENDING", SETTLED: "SETTLED", FAILED: "FAILED", REFUNDED: "REFUNDED" } as const satisfies {
  [K in PaymentStatus]: K;
};
registerEnumType(PaymentStatusEnum, {
  name: "PaymentStatus",
  description: "Where a payment is: PENDING until settled or failed; a settled payment may be refunded before printing starts.",
  valuesConfig: {
    PENDING: { description: "Waiting for the money (the counter or the gateway)." },
    SETTLED: { description: "The money arrived: the order went to a lab." },
    FAILED: { description: "The gateway reported a failure, or an amount or currency that is not the order's; nothing was settled." },
    REFUNDED: { description: "Paid back before printing started; the order is cancelled." },
  },
});

@ObjectType("Payment", { description: "A reorder's payment: its method, status and amount (always the order's quoted total)." })
export class PaymentType {
  @Field(() => ID, { description: "The payment's id." })
  id!: string;

  @Field(() => ID, { description: "The order it pays." })
  orderId!: string;

  @Field(() => PaymentMethodEnum, { description: "How it is paid." })
  method!: PaymentMethod;

  @Field(() => PaymentStatusEnum, { description: "Where it is." })
  status!: PaymentStatus;

  @Field(() => MoneyScalar, { description: "Always the order's quoted total." })
  amount!: number;

  @Field(() => String, { description: "ISO 4217 currency code of the amount (the order's)." })
  currency!: string;
}
