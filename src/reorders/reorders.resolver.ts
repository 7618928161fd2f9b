import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { batchLoader } from "../core/loaders";
import type { RequestContext } from "../core/request-context";
import { MoneyScalar } from "../graphql/scalars";
import { ADMIN_ROLES, Role } from "../identity/role";
import type { OrderEntity } from "../orders/order.entity";
import { OrderType } from "../orders/orders.types";
import type { PaymentEntity } from "../payments/payment.entity";
import { PaymentsService } from "../payments/payments.service";
import { PaymentType } from "../payments/payments.types";
import { ReorderPlacingService, type Reorder } from "./reorder-placing.service";
import { ReorderSettlementService } from "./reorder-settlement.service";
import { ReorderInput, ReorderPayload } from "./reorders.types";
import type { Outcome } from "../core/unit-of-work";

const payload = (r: Outcome<Reorder>): ReorderPayload => ({
  order: (r.value?.order ?? null) as unknown as OrderType | null,
  payment: (r.value?.payment ?? null) as PaymentType | null,
  errors: r.errors,
});

/**
 * Reorders and their payments (contract part "events"): a customer places one; a shop admin of its
 * shop (or a group or center admin in scope) records a counter payment or refunds it. Scopes are the
 * services'. An order's payment is read here, the payments of a page in one batch.
 */
@Resolver(() => OrderType)
export class ReordersResolver {
  constructor(
    private readonly placing: ReorderPlacingService,
    private readonly settlement: ReorderSettlementService,
    private readonly payments: PaymentsService,
  ) {}

  @Authorized(Role.GENERAL_USER)
  @Mutation(() => ReorderPayload, {
    description:
      "A customer reorders prints of images their access codes show; the order waits in AWAITING_PAYMENT. Codes: INVALID_ACCESS_CODE, ACCESS_CODE_EXPIRED, IMAGES_RETIRED, MIXED_SHOPS, NOT_IN_ACCESS_CODE, DELIVERY_ONLY, DELIVERY_NEEDS_ADDRESS, PAYMENT_METHOD_UNAVAILABLE, NO_CAPABLE_LAB, IDEMPOTENCY_KEY_REUSED, and the pricing codes of placeOrder.",
  })
  async placeReorder(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => ReorderInput, { description: "The codes, the prints, the delivery and the payment method." }) input: ReorderInput,
    @Arg("idempotencyKey", () => String, {
      nullable: true,
      description: "A key of the client's choosing: the same key from the same customer returns the same reorder instead of a second one.",
    })
    idempotencyKey?: string | null,
  ): Promise<ReorderPayload> {
    return payload(await this.placing.place(ctx, input, idempotencyKey ?? null));
  }

  @Authorized(...ADMIN_ROLES)
  @Mutation(() => ReorderPayload, {
    description:
      "A shop admin of the reorder's shop (or a center admin) records the payment received at the counter: the reorder is settled and goes to a lab. Codes: WRONG_AMOUNT, WRONG_PAYMENT_METHOD, ILLEGAL_PAYMENT_TRANSITION, NOT_A_REORDER, NOT_FOUND.",
  })
  async recordCounterPayment(
    @Ctx() ctx: RequestContext,
    @Arg("orderId", () => ID, { description: "The reorder." }) orderId: string,
    @Arg("amount", () => MoneyScalar, { description: "The amount received, in minor units: exactly the order's total." }) amount: number,
  ): Promise<ReorderPayload> {
    return payload(await this.settlement.recordCounterPayment(ctx, orderId, amount));
  }

  @Authorized(...ADMIN_ROLES)
  @Mutation(() => ReorderPayload, {
    description:
      "Refunds a settled reorder that no lab has started printing; the order is cancelled. Codes: PRINTING_STARTED, ILLEGAL_PAYMENT_TRANSITION, INVALID_REASON, NOT_A_REORDER, NOT_FOUND.",
  })
  async refundPayment(
    @Ctx() ctx: RequestContext,
    @Arg("orderId", () => ID, { description: "The reorder." }) orderId: string,
    @Arg("reason", () => String, { description: "Why (1 to 500 characters); the customer is told." }) reason: string,
  ): Promise<ReorderPayload> {
    return payload(await this.settlement.refund(ctx, orderId, reason));
  }

  @FieldResolver(() => PaymentType, { nullable: true, description: "A reorder's payment; null for other orders." })
  payment(@Root() order: OrderEntity, @Ctx() ctx: RequestContext): Promise<PaymentEntity | null> {
    return batchLoader<string, PaymentEntity>(ctx, "payments:of-order", (ids) => this.payments.ofOrders(ctx.app.ds.manager, ids)).load(order.id);
  }
}
