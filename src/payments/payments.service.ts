/**
 * Payment records (seed 002): one per reorder, made PENDING with it, its amount the order's quoted
 * total. Every change of status is planned by payment-state.ts and written with a conditional
 * UPDATE on the record's version, in the caller's transaction. The gateway's events are remembered
 * by id (a unique key), so that a replayed event changes nothing. The reconciliation sweep asks each
 * payment's provider about payments left PENDING past PAYMENT_RECONCILE_MINUTES and reports each
 * one, once, to its shop's admins.
 *
 * What a payment's settlement does to its order belongs to the reorders (they are given to the
 * sweep as a {@link Settlement}), so that payments know no order rules.
 */
import { randomUUID } from "node:crypto";
import { In, IsNull, LessThanOrEqual, type EntityManager } from "typeorm";
import { RollbackWithErrors, userError } from "../common/errors";
import { systemContext, type RequestContext } from "../core/request-context";
import { inTransaction, type Tx } from "../core/unit-of-work";
import type { NotificationsService } from "../notifications/notifications.service";
import { PaymentEntity, PaymentEventEntity } from "./payment.entity";
import { nextPaymentStatus, type PaymentEvent, type PaymentMethod } from "./payment-state";
import type { PaymentProvider } from "./providers/payment-provider";
import { CounterProvider } from "./providers/counter.provider";
import { GatewayProvider } from "./providers/gateway.provider";

/** What a verified gateway webhook carries (part of this service's surface, for the reorders that act on it). */
export type { GatewayEvent } from "./providers/gateway.provider";

/** What settling or failing a payment found by the sweep does (the reorders do it). */
export interface Settlement {
  /** The provider says the payment was settled: settle it as a webhook would. */
  settleFound(ctx: RequestContext, paymentId: string): Promise<void>;
}

export interface NewPayment {
  orderId: string;
  shopId: string;
  method: PaymentMethod;
  amount: number;
  currency: string;
}

/** Payments one sweep looks at, oldest first (the next sweep takes the rest). */
const SWEEP_BATCH = 200;

export class PaymentsService {
  readonly counter = new CounterProvider();
  readonly gateway: GatewayProvider;

  constructor(
    ctx: { config: { paymentWebhookSecret: string | null } },
    private readonly notifications: NotificationsService,
  ) {
    this.gateway = new GatewayProvider(ctx.config.paymentWebhookSecret);
  }

  provider(method: PaymentMethod): PaymentProvider {
    return method === "COUNTER" ? this.counter : this.gateway;
  }

  /** A PENDING payment for the order, in the caller's transaction. */
  async create(em: EntityManager, p: NewPayment): Promise<PaymentEntity> {
    const now = new Date();
    const payment = Object.assign(new PaymentEntity(), {
      id: randomUUID(),
      ...p,
      status: "PENDING" as const,
      providerRef: null,
      note: null,
      version: 0,
      createdAt: now,
      updatedAt: now,
      overdueNoticedAt: null,
    });
    await em.insert(PaymentEntity, payment);
    return payment;
  }

  forOrder(em: EntityManager, orderId: string): Promise<PaymentEntity | null> {
    return em.findOne(PaymentEntity, { where: { orderId } });
  }

  byId(em: EntityManager, id: string): Promise<PaymentEntity | null> {
    return em.findOne(PaymentEntity, { where: { id } });
  }

  /** The payments of these orders, by order id (one query). */
  async ofOrders(em: EntityManager, orderIds: readonly string[]): Promise<Map<string, PaymentEntity>> {
    const rows = orderIds.length === 0 ? [] : await em.find(PaymentEntity, { where: { orderId: In([...orderIds]) } });
    return new Map(rows.map((p) => [p.orderId, p]));
  }

  /**
   * Moves the payment through the table with a conditional UPDATE on its version, in the caller's
   * transaction: a move the table refuses, or a payment changed meanwhile, rolls the caller back.
   */
  async move(
    em: EntityManager,
    payment: PaymentEntity,
    event: PaymentEvent,
    changes: Partial<Pick<PaymentEntity, "providerRef" | "note">> = {},
  ): Promise<void> {
    const status = nextPaymentStatus(payment.status, event);
    if (status === null) {
      throw new RollbackWithErrors([userError("ILLEGAL_PAYMENT_TRANSITION", `A payment that is ${payment.status} cannot ${event.toLowerCase()}`, ["orderId"])]);
    }
    const patch = { ...changes, status, version: payment.version + 1, updatedAt: new Date() };
    const r = await em.update(PaymentEntity, { id: payment.id, version: payment.version }, patch);
    if (r.affected !== 1) throw new RollbackWithErrors([userError("CONCURRENT_CHANGE", "The payment changed meanwhile; read it again", ["orderId"])]);
    Object.assign(payment, patch);
  }

  /**
   * Its order was cancelled (in `tx`): a payment still PENDING is FAILED, so that nothing waits for
   * money that will not be asked for (the sweep no longer reports it; a gateway payment arriving
   * later is reported to the shop's admins to refund). Other payments are left as they are.
   */
  async orderCancelled(tx: Tx, orderId: string): Promise<void> {
    const payment = await this.forOrder(tx.em, orderId);
    if (payment?.status !== "PENDING") return;
    await this.move(tx.em, payment, "FAIL", { note: "the order was cancelled before it was paid" });
  }

  /**
   * Remembers a gateway event as processed, first thing in the caller's transaction: a second
   * delivery of the same id fails on the unique key (the caller answers it as a replay).
   */
  async rememberEvent(em: EntityManager, eventId: string, type: string, paymentId: string | null): Promise<void> {
    await em.insert(PaymentEventEntity, Object.assign(new PaymentEventEntity(), { id: eventId, type, paymentId, receivedAt: new Date() }));
  }

  eventSeen(em: EntityManager, eventId: string): Promise<boolean> {
    return em.exists(PaymentEventEntity, { where: { id: eventId } });
  }

  /** The shop's admins and its group's, who hear about its payments. */
  async shopAdmins(ctx: RequestContext, em: EntityManager, shopId: string): Promise<string[]> {
    // As the center would report a change of the shop: its shop admins and its group's admins.
    return this.notifications.recipients(systemContext(ctx.app), em, { kind: "SHOP", shopId });
  }

  /** Tells the shop's admins, in the caller's transaction (rung after commit). */
  async tellShopAdmins(ctx: RequestContext, tx: Tx, shopId: string, kind: string, message: string): Promise<void> {
    await this.notifications.send(ctx, tx, await this.shopAdmins(ctx, tx.em, shopId), kind, message);
  }

  /** Tells the customer, in the caller's transaction (rung after commit). */
  async tellCustomer(ctx: RequestContext, tx: Tx, userId: string, kind: string, message: string): Promise<void> {
    await this.notifications.send(ctx, tx, [userId], kind, message);
  }

  // ---------------------------------------------------------------- reconciliation

  /**
   * One reconciliation sweep: every payment PENDING for longer than PAYMENT_RECONCILE_MINUTES and
   * not yet reported is looked up with its provider; one the provider knows as settled is settled
   * (`settlement`), any other is reported to its shop's admins once (PAYMENT_OVERDUE). Returns the
   * ids of the payments reported.
   */
  async reconcile(ctx: RequestContext, settlement: Settlement, now = new Date()): Promise<string[]> {
    const before = new Date(now.getTime() - ctx.app.config.paymentReconcileMinutes * 60_000);
    const due = await ctx.app.ds.getRepository(PaymentEntity).find({
      where: { status: "PENDING", overdueNoticedAt: IsNull(), createdAt: LessThanOrEqual(before) as never },
      order: { createdAt: "ASC", id: "ASC" },
      take: SWEEP_BATCH,
    });
    const reported: string[] = [];
    for (const p of due) {
      const answer = await this.provider(p.method).lookUp(p);
      if (answer === "SETTLED") {
        await settlement.settleFound(ctx, p.id);
        continue;
      }
      const r = await inTransaction(ctx, async (tx) => {
        // Only the sweep that marks it reports it (two processes may sweep at once).
        const marked = await tx.em.update(PaymentEntity, { id: p.id, status: "PENDING", overdueNoticedAt: IsNull() }, { overdueNoticedAt: now });
        if (marked.affected !== 1) return false;
        const minutes = Math.floor((now.getTime() - p.createdAt.getTime()) / 60_000);
        await this.tellShopAdmins(
          ctx,
          tx,
          p.shopId,
          "PAYMENT_OVERDUE",
          `The ${p.method.toLowerCase()} payment of order ${p.orderId} (${p.amount} ${p.currency}) is still pending after ${minutes} min: check it with the payer or the gateway`,
        );
        return true;
      });
      if (r.value) reported.push(p.id);
    }
    return reported;
  }

  /** Runs `reconcile` every minute until stopped. */
  startReconciliation(ctx: RequestContext, settlement: Settlement): { stop(): Promise<void> } {
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = this.reconcile(ctx, settlement).catch((e: unknown) => ctx.app.logger.warn({ err: e }, "payment reconciliation failed"));
    }, 60_000);
    timer.unref();
    return {
      async stop() {
        clearInterval(timer);
        await running;
      },
    };
  }
}
