/**
 * Placing a reorder (seed 002): a logged-in customer orders prints of images their access codes
 * show (several codes, one shop's shoots), delivered to an address. It is priced by the normal
 * rules at the shoots' shop and stored AWAITING_PAYMENT with a PENDING payment of its total, in one
 * transaction; nothing is assigned, queued or printed before the payment is settled
 * (reorder-settlement.service). The same idempotency key from the same customer answers the same
 * reorder, as placeOrder does.
 */
import { orderOfIdempotencyKey } from "../orders/order-placing.service";
import { randomUUID } from "node:crypto";
import { forbidden, userError, type UserErrorData } from "../common/errors";
import { FulfilmentMethod } from "../catalog/fulfilment";
import type { RequestContext } from "../core/request-context";
import { inTransaction, type Outcome } from "../core/unit-of-work";
import { isUniqueViolation } from "../db/transaction";
import { OrderEntity, OrderItemEntity, SubOrderEntity } from "../orders/order.entity";
import type { OrderInput } from "../orders/order.input";
import type { OrdersService } from "../orders/orders.service";
import type { OrderStatus } from "../orders/order-state";
import type { PricingService } from "../pricing/pricing.service";
import type { AssignmentService } from "../assignment/assignment.service";
import type { DesignTemplatesService } from "../design-templates/design-templates.service";
import type { AccessCodesService } from "../shoots/access-codes.service";
import type { ShootEntity } from "../shoots/shoot.entity";
import type { PaymentEntity } from "../payments/payment.entity";
import type { PaymentsService } from "../payments/payments.service";
import type { ReorderInput } from "./reorders.types";
import { reorderAssignment, type ReorderRequest } from "./reorder-rules";

export interface Reorder {
  order: OrderEntity;
  payment: PaymentEntity | null;
}

export class ReorderPlacingService {
  constructor(
    private readonly orders: OrdersService,
    private readonly pricing: PricingService,
    private readonly assignment: AssignmentService,
    private readonly designTemplates: DesignTemplatesService,
    private readonly accessCodes: AccessCodesService,
    private readonly payments: PaymentsService,
  ) {}

  async place(ctx: RequestContext, input: ReorderInput, idempotencyKey: string | null): Promise<Outcome<Reorder>> {
    if (ctx.auth.kind !== "user") throw forbidden("Reorders are placed by customers");
    const user = ctx.auth.user;
    if (idempotencyKey !== null && (idempotencyKey.length === 0 || idempotencyKey.length > 100)) {
      return { value: null, errors: [userError("INVALID_IDEMPOTENCY_KEY", "idempotencyKey must be 1 to 100 characters", ["idempotencyKey"])] };
    }
    const requestHash = this.orders.requestHash({ reorder: input });
    if (idempotencyKey !== null) {
      const again = await this.replay(ctx, user.id, idempotencyKey, requestHash);
      if (again) return again;
    }
    const asOrder = { shopId: null, labId: null, fulfilment: input.fulfilment, subOrders: input.subOrders } as unknown as OrderInput;
    const errors: UserErrorData[] = [...this.pricing.checkBounds(asOrder), ...this.checkDelivery(ctx, input)];
    const opened = await this.checkCodes(ctx, input, errors);
    errors.push(...(await this.designTemplates.checkDesignTemplates(ctx, asOrder)));
    if (errors.length > 0 || opened.length === 0) return { value: null, errors };

    const shopId = opened[0]!.shopId;
    const now = new Date();
    const priced = await this.pricing.quoteAt(shopId, { ...asOrder, shopId } as OrderInput, now);
    if (!priced.quote) return { value: null, errors: priced.errors };
    const quote = priced.quote;
    const delivery = { method: FulfilmentMethod.DELIVERY, speed: input.fulfilment.speed, address: input.fulfilment.address ?? null };
    // A lab of the shop must be able to deliver it, or the customer would pay for nothing.
    const decision = await this.assignment.decide(reorderAssignment(shopId, input.subOrders, delivery));
    if (!decision.ok) return { value: null, errors: [userError(decision.code, decision.message, ["input", "fulfilment"])] };
    const context = await this.pricing.books.contextFor(shopId);
    if (!context) return { value: null, errors: [userError("UNKNOWN_SHOP", `No shop ${shopId}`, ["input", "accessCodes"])] };

    const request: ReorderRequest = {
      shopId,
      labId: null,
      fulfilment: delivery,
      reorder: { shootIds: [...new Set(opened.map((s) => s.id))], firstPrintLabIds: [...new Set(opened.map((s) => s.firstPrintLabId))] },
    };
    const order = Object.assign(new OrderEntity(), {
      id: randomUUID(),
      customerUserId: user.id,
      status: "AWAITING_PAYMENT" as OrderStatus,
      shopId,
      shopGroupId: context.shopGroupId,
      labId: null,
      shootId: opened[0]!.id,
      requestJson: JSON.stringify(request),
      quoteJson: JSON.stringify(quote),
      quoteTotal: quote.total,
      currency: quote.currency,
      assignmentJson: null,
      idempotencyKey,
      requestHash,
      placedAt: now,
      quotedAt: now,
      confirmedAt: null,
      updatedAt: now,
      version: 0,
    });
    const subs = input.subOrders.map((s, i) =>
      Object.assign(new SubOrderEntity(), { orderId: order.id, seq: i + 1, serviceId: s.serviceId, sheets: s.sheets }),
    );
    const items = input.subOrders.flatMap((s, i) =>
      s.items.map((it, position) =>
        Object.assign(new OrderItemEntity(), {
          id: randomUUID(),
          orderId: order.id,
          subOrderSeq: i + 1,
          position,
          imageId: it.imageId,
          designTemplateId: it.designTemplateId ?? null,
          layoutJson: it.layout ? JSON.stringify(it.layout) : null,
        }),
      ),
    );
    try {
      return await inTransaction(ctx, async (tx) => {
        await this.orders.insertPlaced(tx.em, order, subs, items);
        const payment = await this.payments.create(tx.em, {
          orderId: order.id,
          shopId,
          method: input.paymentMethod,
          amount: quote.total,
          currency: quote.currency,
        });
        if (input.paymentMethod === "COUNTER") {
          await this.payments.tellShopAdmins(
            ctx,
            tx,
            shopId,
            "REORDER_AWAITING_PAYMENT",
            `Reorder ${order.id} (${quote.total} ${quote.currency}) waits for its payment at the counter of shop ${shopId}`,
          );
        }
        return { order, payment };
      });
    } catch (e) {
      // The key was used meanwhile (two requests with it raced): the unique index let one order in.
      if (idempotencyKey !== null && isUniqueViolation(e)) {
        const again = await this.replay(ctx, user.id, idempotencyKey, requestHash);
        if (again) return again;
      }
      throw e;
    }
  }

  private async replay(ctx: RequestContext, userId: string, key: string, hash: string): Promise<Outcome<Reorder> | null> {
    const found = await orderOfIdempotencyKey(ctx, userId, key, hash);
    if (!found || found.value === null) return found as Outcome<Reorder> | null;
    return { value: { order: found.value, payment: await this.payments.forOrder(ctx.app.ds.manager, found.value.id) }, errors: [] };
  }

  private checkDelivery(ctx: RequestContext, input: ReorderInput): UserErrorData[] {
    const errors: UserErrorData[] = [];
    if (input.fulfilment.method !== FulfilmentMethod.DELIVERY) {
      errors.push(userError("DELIVERY_ONLY", "A reorder is delivered: fulfilment.method must be DELIVERY", ["input", "fulfilment", "method"]));
    } else if (!input.fulfilment.address) {
      errors.push(userError("DELIVERY_NEEDS_ADDRESS", "A delivery needs an address", ["input", "fulfilment", "address"]));
    }
    if (!this.payments.provider(input.paymentMethod).available()) {
      errors.push(userError("PAYMENT_METHOD_UNAVAILABLE", `Payment by ${input.paymentMethod} is not available on this center`, ["input", "paymentMethod"]));
    }
    return errors;
  }

  /**
   * The shoots the codes open (in the codes' order), with every code and item refused that must be:
   * unknown (INVALID_ACCESS_CODE), expired (ACCESS_CODE_EXPIRED), a closed or retired shoot
   * (IMAGES_RETIRED), shoots of different shops (MIXED_SHOPS), images no code shows (NOT_IN_ACCESS_CODE).
   */
  private async checkCodes(ctx: RequestContext, input: ReorderInput, errors: UserErrorData[]): Promise<ShootEntity[]> {
    const imageIds = input.subOrders.flatMap((s) => s.items.map((it) => it.imageId));
    const { codes, shownBy } = await this.accessCodes.forReorder(ctx, input.accessCodes, imageIds);
    const shoots: ShootEntity[] = [];
    codes.forEach((c, i) => {
      const field = ["input", "accessCodes", i];
      if (c.ok) {
        if (shoots.length > 0 && c.shoot.shopId !== shoots[0]!.shopId) {
          errors.push(userError("MIXED_SHOPS", `Access code ${i + 1} is of shop ${c.shoot.shopId}'s shoot; a reorder is of one shop's shoots`, field));
        } else shoots.push(c.shoot);
      } else if (c.reason === "UNKNOWN") errors.push(userError("INVALID_ACCESS_CODE", `Access code ${i + 1} is not known`, field));
      else if (c.reason === "EXPIRED") errors.push(userError("ACCESS_CODE_EXPIRED", `Access code ${i + 1} has expired`, field));
      else if (c.reason === "CLOSED")
        errors.push(userError("IMAGES_RETIRED", `The images of access code ${i + 1} can no longer be reordered (shoot ${c.shoot.id} is closed)`, field));
    });
    input.subOrders.forEach((s, si) =>
      s.items.forEach((it, ii) => {
        const field = ["input", "subOrders", si, "items", ii, "imageId"];
        const by = shownBy.get(it.imageId);
        const code = by === undefined ? null : codes[by]!;
        if (code === null) errors.push(userError("NOT_IN_ACCESS_CODE", `No access code given shows image ${it.imageId}`, field));
        else if (!code.ok && code.reason === "CLOSED") errors.push(userError("IMAGES_RETIRED", `Image ${it.imageId} can no longer be reordered`, field));
      }),
    );
    return shoots;
  }
}
