/**
 * Settling a reorder (seed 002): when its payment is settled (a shop admin records the money at the
 * counter, the gateway's signed webhook says it succeeded, or the reconciliation sweep learns it from
 * the provider), in the same transaction the payment is SETTLED, the order CONFIRMED and assigned by
 * the normal rules among its shop's labs that deliver (never the shoots' first-print lab unless it is
 * the only capable one), and its print job queued through dispatch; the order's update, the lab's
 * ring and the customer's notice go out after commit. A settled reorder no lab has started may be
 * refunded: the payment REFUNDED, the job withdrawn, the order CANCELLED.
 */
import { forbidden, RollbackWithErrors, userError } from "../common/errors";
import type { RequestContext } from "../core/request-context";
import { inTransaction, type Outcome, type Tx } from "../core/unit-of-work";
import { isUniqueViolation } from "../db/transaction";
import { OrderEntity } from "../orders/order.entity";
import { nextStatus } from "../orders/order-state";
import type { OrdersService } from "../orders/orders.service";
import type { PrintJobsService } from "../dispatch/print-jobs.service";
import type { AssignmentService } from "../assignment/assignment.service";
import type { QuoteView } from "../pricing/pricing.service";
import type { PaymentEntity } from "../payments/payment.entity";
import type { PaymentsService, Settlement } from "../payments/payments.service";
import type { GatewayEvent } from "../payments/payments.service";
import type { OrderNoticesService } from "../orders/order-notices.service";
import { leaveOutFirstPrintLabs, reorderAssignment, type ReorderRequest } from "./reorder-rules";
import type { Reorder } from "./reorder-placing.service";

/** What a webhook's event came to: done, or already processed (a replay). */
export type EventOutcome = "PROCESSED" | "REPLAY" | "IGNORED";

/** Longest refund reason kept. */
const MAX_REASON = 500;

export class ReorderSettlementService implements Settlement {
  constructor(
    private readonly orders: OrdersService,
    private readonly printJobs: PrintJobsService,
    private readonly assignment: AssignmentService,
    private readonly payments: PaymentsService,
    private readonly orderNotices: OrderNoticesService,
  ) {}

  /** A shop admin (or a group or center admin in scope) records the money received at the counter. */
  async recordCounterPayment(ctx: RequestContext, orderId: string, amount: number): Promise<Outcome<Reorder>> {
    return inTransaction(ctx, async (tx) => {
      const { order, payment } = await this.reorderInScope(ctx, tx, orderId);
      if (payment.method !== "COUNTER") {
        throw new RollbackWithErrors([userError("WRONG_PAYMENT_METHOD", `Order ${orderId} is paid through the ${payment.method.toLowerCase()}`, ["orderId"])]);
      }
      if (payment.status !== "PENDING") {
        throw new RollbackWithErrors([
          userError("ILLEGAL_PAYMENT_TRANSITION", `The payment of order ${orderId} is ${payment.status}, not PENDING`, ["orderId"]),
        ]);
      }
      if (amount !== payment.amount) {
        throw new RollbackWithErrors([userError("WRONG_AMOUNT", `The order's total is ${payment.amount} ${payment.currency}, not ${amount}`, ["amount"])]);
      }
      await this.settle(ctx, tx, order, payment, "recorded at the counter");
      return { order, payment };
    });
  }

  /**
   * Refunds a settled reorder that no lab has started printing: the payment REFUNDED, the queued job
   * withdrawn (its lab told), the order CANCELLED and the customer told. Once printing started:
   * PRINTING_STARTED, nothing changed.
   */
  async refund(ctx: RequestContext, orderId: string, reason: string): Promise<Outcome<Reorder>> {
    return inTransaction(ctx, async (tx) => {
      const why = reason.trim();
      if (why.length === 0 || why.length > MAX_REASON) {
        throw new RollbackWithErrors([userError("INVALID_REASON", `reason must be 1 to ${MAX_REASON} characters`, ["reason"])]);
      }
      const { order, payment } = await this.reorderInScope(ctx, tx, orderId);
      await this.refundIn(ctx, tx, order, payment, why);
      return { order, payment };
    });
  }

  /**
   * The caller's own reorder's gateway payment while it waits for the money: what the gateway's
   * test mode pays (through the webhook). Another's order or none: NOT_FOUND; a counter payment:
   * WRONG_PAYMENT_METHOD; a payment no longer PENDING: ILLEGAL_PAYMENT_TRANSITION. Changes nothing.
   */
  async pendingGatewayPayment(ctx: RequestContext, orderId: string): Promise<Outcome<PaymentEntity>> {
    const em = ctx.app.ds.manager;
    const order = await em.findOne(OrderEntity, { where: { id: orderId } });
    const payment = order ? await this.payments.forOrder(em, order.id) : null;
    if (!order || !payment || ctx.auth.kind !== "user" || order.customerUserId !== ctx.auth.user.id) {
      return { value: null, errors: [userError("NOT_FOUND", `No reorder ${orderId} of yours`, ["orderId"])] };
    }
    if (payment.method !== "GATEWAY") {
      return { value: null, errors: [userError("WRONG_PAYMENT_METHOD", `Order ${orderId} is paid at the counter`, ["orderId"])] };
    }
    if (payment.status !== "PENDING") {
      return {
        value: null,
        errors: [userError("ILLEGAL_PAYMENT_TRANSITION", `The payment of order ${orderId} is ${payment.status}, not PENDING`, ["orderId"])],
      };
    }
    return { value: payment, errors: [] };
  }

  /** Settles a payment the reconciliation sweep found settled at its provider. */
  async settleFound(ctx: RequestContext, paymentId: string): Promise<void> {
    await inTransaction(ctx, async (tx) => {
      const payment = await this.payments.byId(tx.em, paymentId);
      const order = payment ? await tx.em.findOne(OrderEntity, { where: { id: payment.orderId } }) : null;
      if (!payment || !order || payment.status !== "PENDING") return;
      await this.settle(ctx, tx, order, payment, "found settled by reconciliation");
    });
  }

  /**
   * A verified gateway event, processed once: its id is remembered in the same transaction as what
   * it changes, so a replay (or a second delivery racing the first) changes nothing. Succeeded:
   * settles, when amount and currency are the payment's; otherwise the payment FAILED and the shop's
   * admins told. Failed: the payment FAILED, the admins told. Refunded: as refundPayment.
   */
  async gatewayEvent(ctx: RequestContext, event: GatewayEvent): Promise<EventOutcome> {
    try {
      const r = await inTransaction(ctx, async (tx): Promise<EventOutcome> => {
        if (await this.payments.eventSeen(tx.em, event.id)) return "REPLAY";
        const payment = event.orderId ? await this.payments.forOrder(tx.em, event.orderId) : null;
        await this.payments.rememberEvent(tx.em, event.id, event.type, payment?.id ?? null);
        const order = payment ? await tx.em.findOne(OrderEntity, { where: { id: payment.orderId } }) : null;
        if (!payment || !order || payment.method !== "GATEWAY") return "IGNORED";
        return this.applyGatewayEvent(ctx, tx, event, order, payment);
      });
      // A refusal here is a change that raced this event (CONCURRENT_CHANGE): nothing was kept, not
      // even the event's id, and a 500 makes the gateway send it again.
      if (r.value === null) throw new Error(`payment event ${event.id} not applied: ${r.errors.map((x) => x.code).join(", ")}`);
      return r.value;
    } catch (e) {
      if (isUniqueViolation(e)) return "REPLAY";
      throw e;
    }
  }

  private async applyGatewayEvent(ctx: RequestContext, tx: Tx, event: GatewayEvent, order: OrderEntity, payment: PaymentEntity): Promise<EventOutcome> {
    const ref = event.objectId ? { providerRef: event.objectId } : {};
    switch (event.type) {
      case "payment_intent.succeeded": {
        if (payment.status === "SETTLED" || payment.status === "REFUNDED") return "IGNORED";
        // A cancelled order's payment was FAILED with it: money arriving for it still needs a refund.
        if (order.status !== "AWAITING_PAYMENT") {
          // Paid for an order no longer waiting (cancelled meanwhile): nothing to print; an admin refunds it.
          await this.payments.tellShopAdmins(
            ctx,
            tx,
            payment.shopId,
            "PAYMENT_FOR_CLOSED_ORDER",
            `The gateway reports reorder ${order.id} paid, but the order is ${order.status}: refund it through the gateway`,
          );
          return "PROCESSED";
        }
        if (payment.status !== "PENDING") return "IGNORED";
        const sameCurrency = (event.currency ?? "").toUpperCase() === payment.currency.toUpperCase();
        if (event.amount !== payment.amount || !sameCurrency) {
          const note = `the gateway reported ${event.amount ?? "no amount"} ${event.currency ?? "(no currency)"}, the order's total is ${payment.amount} ${payment.currency}`;
          await this.payments.move(tx.em, payment, "FAIL", { ...ref, note });
          await this.payments.tellShopAdmins(
            ctx,
            tx,
            payment.shopId,
            "PAYMENT_MISMATCH",
            `The gateway payment of reorder ${order.id} was not settled: ${note}`,
          );
          return "PROCESSED";
        }
        Object.assign(payment, ref);
        await this.settle(ctx, tx, order, payment, "settled by the payment gateway");
        return "PROCESSED";
      }
      case "payment_intent.payment_failed": {
        if (payment.status !== "PENDING") return "IGNORED";
        await this.payments.move(tx.em, payment, "FAIL", { ...ref, note: "the gateway reported the payment failed" });
        await this.payments.tellShopAdmins(ctx, tx, payment.shopId, "PAYMENT_FAILED", `The gateway payment of reorder ${order.id} failed`);
        return "PROCESSED";
      }
      case "charge.refunded": {
        if (payment.status !== "SETTLED" || nextStatus(order.status, "CANCEL") === null) {
          await this.payments.tellShopAdmins(
            ctx,
            tx,
            payment.shopId,
            "PAYMENT_REFUND_UNMATCHED",
            `The gateway refunded reorder ${order.id}, which is ${order.status} with its payment ${payment.status}: check it`,
          );
          return "PROCESSED";
        }
        await this.refundIn(ctx, tx, order, payment, "refunded through the payment gateway");
        return "PROCESSED";
      }
      default:
        return "IGNORED";
    }
  }

  // ---------------------------------------------------------------- the moves

  /**
   * The payment SETTLED, the order CONFIRMED and assigned among its shop's delivering labs (the
   * shoots' first-print labs left out unless the only capable ones), its job queued; all in `tx`.
   * With no capable lab left, the order stays CONFIRMED and the shop's admins are told.
   */
  private async settle(ctx: RequestContext, tx: Tx, order: OrderEntity, payment: PaymentEntity, how: string): Promise<void> {
    if (order.status !== "AWAITING_PAYMENT") {
      throw new RollbackWithErrors([userError("ILLEGAL_TRANSITION", `Order ${order.id} is ${order.status}, not AWAITING_PAYMENT`, ["orderId"])]);
    }
    await this.payments.move(tx.em, payment, "SETTLE", { providerRef: payment.providerRef });
    const request = JSON.parse(order.requestJson) as ReorderRequest;
    const quote = JSON.parse(order.quoteJson ?? "{}") as Partial<QuoteView>;
    const services = (quote.subOrders ?? []).map((s) => ({ serviceId: s.serviceId, sheets: s.sheets }));
    const now = new Date();
    const decided = await this.assignment.decide(reorderAssignment(order.shopId!, services, request.fulfilment), tx.em);
    if (!decided.ok) {
      await this.orders.transition(tx.em, order, ["CONFIRM"], { confirmedAt: now });
      await this.payments.tellShopAdmins(
        ctx,
        tx,
        payment.shopId,
        "REORDER_UNASSIGNED",
        `Reorder ${order.id} is paid but no lab can deliver it: ${decided.message}`,
      );
    } else {
      const { decision, notes } = leaveOutFirstPrintLabs(decided, request.reorder?.firstPrintLabIds ?? []);
      const record = this.orders.assignmentRecord(decision, [
        `a reorder of shoot ${request.reorder?.shootIds.join(", ") ?? order.shootId}, paid (${how})`,
        ...notes,
      ]);
      await this.orders.transition(tx.em, order, ["CONFIRM", "ASSIGN"], { labId: decision.chosen.labId, confirmedAt: now, assignmentJson: record });
      await this.printJobs.queue(tx, order.id, decision.chosen.labId);
    }
    await this.orderNotices.tellReceived(ctx, tx, order, order.labId);
    tx.emit("orderUpdate", order.customerUserId, { orderId: order.id, status: order.status });
    await this.payments.tellCustomer(
      ctx,
      tx,
      order.customerUserId,
      "PAYMENT_SETTLED",
      `Your payment of ${payment.amount} ${payment.currency} for order ${order.id} is received: it goes to print`,
    );
  }

  private async refundIn(ctx: RequestContext, tx: Tx, order: OrderEntity, payment: PaymentEntity, reason: string): Promise<void> {
    if (payment.status !== "SETTLED") {
      throw new RollbackWithErrors([
        userError("ILLEGAL_PAYMENT_TRANSITION", `The payment of order ${order.id} is ${payment.status}, not SETTLED`, ["orderId"]),
      ]);
    }
    const started = () =>
      new RollbackWithErrors([userError("PRINTING_STARTED", `A lab has started printing order ${order.id}: it can no longer be refunded here`, ["orderId"])]);
    if (nextStatus(order.status, "CANCEL") === null) throw started();
    // Conditional: if the lab claimed the job meanwhile, it is printing, and nothing changes.
    if (!(await this.printJobs.withdraw(tx, order.id, `order refunded: ${reason}`))) throw started();
    await this.payments.move(tx.em, payment, "REFUND", { note: reason.slice(0, 500) });
    await this.orders.transition(tx.em, order, ["CANCEL"]);
    tx.emit("orderUpdate", order.customerUserId, { orderId: order.id, status: order.status });
    await this.payments.tellCustomer(
      ctx,
      tx,
      order.customerUserId,
      "PAYMENT_REFUNDED",
      `Your payment of ${payment.amount} ${payment.currency} for order ${order.id} is refunded: ${reason}`,
    );
  }

  /** The reorder and its payment, if the caller administers its shop (a customer's own: FORBIDDEN; others': NOT_FOUND). */
  private async reorderInScope(ctx: RequestContext, tx: Tx, orderId: string): Promise<{ order: OrderEntity; payment: PaymentEntity }> {
    if (ctx.auth.kind !== "user") throw forbidden("Payments are recorded by admins");
    const order = await this.orders.inScope(ctx, tx.em, orderId, false);
    const payment = await this.payments.forOrder(tx.em, order.id);
    if (!payment) throw new RollbackWithErrors([userError("NOT_A_REORDER", `Order ${orderId} has no payment to settle or refund`, ["orderId"])]);
    return { order, payment };
  }
}
