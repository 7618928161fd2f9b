/**
 * GraphQL edge of reorders (contract part "events"): the input and the payload. Only the shape is
 * checked here (bounded sizes); the rules are the reorder services', as payload errors.
 */
import { ArrayMaxSize, ArrayMinSize, MaxLength, ValidateNested } from "class-validator";
import { Field, InputType, ObjectType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { FulfilmentInput, MAX_SUB_ORDERS, SubOrderInput } from "../orders/order.input";
import { OrderType } from "../orders/orders.types";
import { PaymentMethodEnum, PaymentType } from "../payments/payments.types";
import type { PaymentMethod } from "../payments/payment-state";

/** Access codes one reorder may name. */
export const MAX_REORDER_CODES = 20;

@InputType("ReorderInput", { description: "Prints of images the customer's access codes show, delivered to an address and paid before printing." })
export class ReorderInput {
  @Field(() => [String], { description: "The access codes that show the images ordered (several shoots of one shop at most)." })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REORDER_CODES)
  @MaxLength(100, { each: true })
  accessCodes!: string[];

  @Field(() => [SubOrderInput], { description: "One per service, as in an order; every image must be shown by one of the codes." })
  @ArrayMaxSize(MAX_SUB_ORDERS * 5)
  @ValidateNested({ each: true })
  subOrders!: SubOrderInput[];

  @Field(() => FulfilmentInput, { description: "method DELIVERY with an address: a reorder is printed at a lab the center picks and shipped." })
  @ValidateNested()
  fulfilment!: FulfilmentInput;

  @Field(() => PaymentMethodEnum, { description: "How the customer pays: at the shop's counter or through the gateway." })
  paymentMethod!: PaymentMethod;
}

@ObjectType("ReorderPayload", { description: "A reorder and its payment as they now stand, or errors." })
export class ReorderPayload {
  @Field(() => OrderType, { nullable: true, description: "The reorder." })
  order?: OrderType | null;

  @Field(() => PaymentType, { nullable: true, description: "Its payment." })
  payment?: PaymentType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}
