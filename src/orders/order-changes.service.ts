/**
 * Confirming, cancelling and moving orders: confirmed when the customer accepts the total (the lab
 * chosen and the print job queued in the same transaction, the lab rung after commit), cancelled
 * before printing, moved by an admin to another lab. Print jobs are created and withdrawn by
 * dispatch (its service), never here.
 */
import type { EntityManager } from "typeorm";
import { LRUCache } from "lru-cache";
import { forbidden, RollbackWithErrors, userError } from "../common/errors";
import { LabEntity } from "../labs/lab.entity";
import { inTransaction, type Outcome, type Tx } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import type { UserEntity } from "../identity/user.entity";
import type { QuoteView } from "../pricing/pricing.service";
import type { AssignmentDecision } from "../assignment/lab-ranking";
import { nextStatus } from "./order-state";
import { OrderEntity, SubOrderEntity } from "./order.entity";
import type { OrderInput } from "./order.input";
import { adminManagesShop, orderInScope, person } from "./order-access";
import { assignmentRequest, illegal, stored, transitionPatch, type StoredAssignment } from "./order-rules";
import type { ConfirmPlan } from "../dispatch/print-jobs.service";
import type { PrintJobsService } from "../dispatch/print-jobs.service";
import type { AssignmentService } from "../assignment/assignment.service";
import type { OrdersService } from "./orders.service";
import type { OrderNoticesService } from "./order-notices.service";

/**
 * How much of the orders it placed a process remembers until they are confirmed (the characters of
 * their JSON columns, about their bytes): confirming one of them reads nothing (see `confirm`).
 */
const REMEMBERED_QUOTES_SIZE = 16 * 1024 * 1024;

/** Rounds a confirmation is tried when the order keeps changing under it (each round reads it again). */
const CONFIRM_ROUNDS = 3;

/**
 * What else a cancellation closes, in its transaction: a reorder's payment still waiting for the
 * money (payments). Given by the composition root, so that orders import no payment code.
 */
export interface OrderCancellationStep {
  orderCancelled(tx: Tx, orderId: string): Promise<void>;
}

export class OrderChangesService {
  constructor(
    private readonly printJobs: PrintJobsService,
    private readonly assignment: AssignmentService,
    private readonly orders: OrdersService,
    private readonly cancellation: OrderCancellationStep,
    private readonly notices: OrderNoticesService,
  ) {}

  /**
   * The orders placed through this process and not yet confirmed, as committed, forgotten once
   * their quote expires. The UPDATE that confirms one requires its version to be the one
   * remembered; every change to an order raises it (see OrdersService.transition and order.rows).
   */
  private readonly quoted = new LRUCache<string, OrderEntity>({
    maxSize: REMEMBERED_QUOTES_SIZE,
    sizeCalculation: (o) => 512 + o.requestJson.length + (o.quoteJson?.length ?? 0) + (o.assignmentJson?.length ?? 0),
  });

  /** An order this process just placed, as committed: its confirmation may start from it. */
  rememberPlaced(ctx: RequestContext, order: OrderEntity): void {
    // A copy: the answer's entity is the request's.
    this.quoted.set(order.id, Object.assign(new OrderEntity(), order), { ttl: ctx.app.config.quoteTtlSeconds * 1000 });
  }

  // ---------------------------------------------------------------- confirming

  /**
   * Confirms the order: the lab chosen, the order ASSIGNED and its print job queued, all or nothing;
   * the lab rung after commit.
   *
   * The order is read, checked and planned, then written with an UPDATE that requires the version
   * read: if it changed meanwhile (another confirmation, a cancellation, another process), nothing is
   * written and it is read again. On MySQL/MariaDB the UPDATE and the job's INSERT (made only when
   * the UPDATE changed the order) go in one round trip; on SQLite they run in a transaction with the
   * read. An order this process placed is remembered as committed and not read again: it is planned
   * from memory, and only a write is trusted from there (the version check catches anything that
   * changed since); any other answer (a refusal) is given from the order read again.
   */
  async confirm(ctx: RequestContext, orderId: string, acceptedTotal: number): Promise<Outcome<OrderEntity>> {
    const user = person(ctx);
    const remembered = this.quoted.get(orderId);
    // Once this runs the memory is behind the database, whatever the outcome.
    this.quoted.delete(orderId);
    let known = remembered ? Object.assign(new OrderEntity(), remembered) : null;
    for (let round = 1; ; round++) {
      let queued: { labId: string; sheets: number } | null = null;
      const r = await this.printJobs.confirmWithJob(ctx, orderId, known, async (em, order) => {
        const plan = await this.planConfirm(ctx, em, user, orderId, order, acceptedTotal);
        queued = "labId" in plan && plan.labId !== undefined ? { labId: plan.labId, sheets: sheetsOf(plan.order) } : null;
        return plan;
      });
      if (r !== "READ_AGAIN") {
        // Committed with its job: the next order ranks with it (see AssignmentService.noteQueued).
        const q = queued as { labId: string; sheets: number } | null;
        if (q !== null && r.errors.length === 0 && r.value?.labId === q.labId) this.assignment.noteQueued(q.labId, q.sheets);
        return r;
      }
      known = null;
      if (round === CONFIRM_ROUNDS) return { value: null, errors: [userError("CONCURRENT_CHANGE", "The order changed meanwhile; read it again", ["orderId"])] };
    }
  }

  /**
   * What confirming `order` (as read, or remembered) comes to: refusals; the order as it is, when
   * it was confirmed before (a second confirm answers like the first: no second job); or the
   * changes to make, checked against the transition table, and the lab.
   */
  private async planConfirm(
    ctx: RequestContext,
    em: EntityManager,
    user: UserEntity,
    orderId: string,
    order: OrderEntity | null,
    acceptedTotal: number,
  ): Promise<ConfirmPlan> {
    // Someone else's order reads as unknown: a customer learns nothing of others' orders.
    if (!order || order.customerUserId !== user.id) return { errors: [userError("NOT_FOUND", `No order ${orderId} of yours`, ["orderId"])] };
    if (order.quoteTotal !== acceptedTotal) {
      return { errors: [userError("QUOTE_MISMATCH", `The accepted total ${acceptedTotal} is not the quoted total ${order.quoteTotal}`, ["acceptedTotal"])] };
    }
    if (order.confirmedAt !== null && order.status !== "CANCELLED") return { already: order };
    if (order.status !== "QUOTED") return { errors: [illegal(order.status, "CONFIRM", ["orderId"])] };
    if (Date.now() - order.quotedAt.getTime() > ctx.app.config.quoteTtlSeconds * 1000) {
      return {
        errors: [
          userError("QUOTE_EXPIRED", `The quote is older than ${ctx.app.config.quoteTtlSeconds} s: place the order again for a fresh quote`, ["orderId"]),
        ],
      };
    }
    const decision = await this.assignAtShop(ctx, em, order);
    if (!decision.ok) return { errors: [userError(decision.code, decision.message, ["orderId"])] };
    const now = new Date();
    // The placement's ranking is the fuller picture (it chose the shop); the lab is the one chosen now.
    const placed = JSON.parse(order.assignmentJson ?? "null") as StoredAssignment | null;
    const record: StoredAssignment = placed
      ? {
          ...placed,
          chosenLabId: decision.chosen.labId,
          decidedAt: now.toISOString(),
          notes: [
            ...placed.notes,
            ...(placed.chosenLabId !== decision.chosen.labId
              ? [`on confirmation lab ${decision.chosen.labId} ranked first among shop ${order.shopId}'s labs`]
              : []),
          ],
        }
      : { ...stored(decision, []), decidedAt: now.toISOString() };
    const move = transitionPatch(order, ["CONFIRM", "ASSIGN"], { labId: decision.chosen.labId, confirmedAt: now, assignmentJson: JSON.stringify(record) }, now);
    if ("errors" in move) return move;
    // The shop hears of it with the confirmation: written in its batch, rung after its commit.
    const notice = this.notices.received(ctx, order, decision.chosen.labId) ?? undefined;
    return { order, patch: move.patch, labId: decision.chosen.labId, notice };
  }

  /**
   * Picks the lab among the order's shop's labs (or the named lab), as things stand now. Confirming
   * ranks the cached lab list; moving an order (labId given, rare) reads the labs in its transaction.
   */
  private async assignAtShop(ctx: RequestContext, em: EntityManager, order: OrderEntity, labId?: string): Promise<AssignmentDecision> {
    const request = JSON.parse(order.requestJson) as Pick<OrderInput, "labId" | "fulfilment"> & { designTemplateIds?: string[]; homeLabId?: string };
    const subOrders = await this.servicesOf(em, order);
    const input = {
      subOrders: subOrders.map((s) => ({ ...s, items: [] })),
      labId: labId ?? request.labId ?? null,
      fulfilment: request.fulfilment ?? null,
    } as unknown as OrderInput;
    // Moving to a named lab: that lab's own shop (an admin may move an order between shops' labs).
    const shopId = labId ? ((await em.findOne(LabEntity, { where: { id: labId } }))?.shopId ?? null) : order.shopId;
    const kept = { designTemplateIds: request.designTemplateIds ?? [], homeLabId: labId ? null : (request.homeLabId ?? null) };
    return this.assignment.decide(assignmentRequest(input, shopId, "NAMED", kept), labId ? em : undefined);
  }

  /** The order's services and sheets: from the quote frozen with it, else from its sub-orders. */
  private async servicesOf(em: EntityManager, order: OrderEntity): Promise<Array<{ serviceId: string; sheets: number }>> {
    const quote = order.quoteJson ? (JSON.parse(order.quoteJson) as Partial<QuoteView>) : null;
    if (Array.isArray(quote?.subOrders) && quote.subOrders.every((s) => typeof s.serviceId === "string" && Number.isInteger(s.sheets))) {
      return quote.subOrders.map((s) => ({ serviceId: s.serviceId, sheets: s.sheets }));
    }
    const subs = await em.find(SubOrderEntity, { where: { orderId: order.id }, order: { seq: "ASC" } });
    return subs.map((s) => ({ serviceId: s.serviceId, sheets: s.sheets }));
  }

  /**
   * An order placed in the caller's transaction (`tx`) confirmed at once at a lab fixed beforehand
   * (first prints at their shoot's first-print lab): CONFIRM and ASSIGN through the transition
   * table, its print job queued; the lab rung and the customer told after commit.
   */
  async confirmPlacedAt(ctx: RequestContext, tx: Tx, order: OrderEntity, labId: string, record: StoredAssignment): Promise<void> {
    await this.orders.transition(tx.em, order, ["CONFIRM", "ASSIGN"], { labId, confirmedAt: new Date(), assignmentJson: JSON.stringify(record) });
    await this.printJobs.queue(tx, order.id, labId);
    await this.notices.tellReceived(ctx, tx, order, labId);
    tx.emit("orderUpdate", order.customerUserId, { orderId: order.id, status: order.status });
  }

  // ---------------------------------------------------------------- cancelling and moving

  async cancel(ctx: RequestContext, orderId: string): Promise<Outcome<OrderEntity>> {
    return inTransaction(ctx, async (tx) => {
      const order = await orderInScope(ctx, tx.em, orderId, true);
      if (nextStatus(order.status, "CANCEL") === null) throw new RollbackWithErrors([illegal(order.status, "CANCEL", ["orderId"])]);
      // The queued job is withdrawn with a conditional update: if the lab claimed it meanwhile, it is printing.
      if (!(await this.printJobs.withdraw(tx, orderId, "order cancelled"))) throw new RollbackWithErrors([illegal("PRINTING", "CANCEL", ["orderId"])]);
      const unpaid = order.status === "AWAITING_PAYMENT";
      await this.orders.transition(tx.em, order, ["CANCEL"]);
      // An unpaid reorder's PENDING payment must not stay open for money that will never be asked
      // (only an order awaiting payment has one: other orders cost no look-up).
      if (unpaid) await this.cancellation.orderCancelled(tx, order.id);
      tx.emit("orderUpdate", order.customerUserId, { orderId: order.id, status: order.status });
      return order;
    });
  }

  async reassign(ctx: RequestContext, orderId: string, labId: string): Promise<Outcome<OrderEntity>> {
    return inTransaction(ctx, async (tx) => {
      const order = await orderInScope(ctx, tx.em, orderId, false);
      if (order.status !== "ASSIGNED") throw new RollbackWithErrors([illegal(order.status, "REASSIGN", ["orderId"])]);
      if (order.labId === labId) throw new RollbackWithErrors([userError("SAME_LAB", `The order is at lab ${labId} already`, ["labId"])]);
      const decision = await this.assignAtShop(ctx, tx.em, order, labId);
      if (!decision.ok) throw new RollbackWithErrors([userError(decision.code, decision.message, ["labId"])]);
      if (!(await adminManagesShop(ctx, tx.em, decision.chosen.shopId))) throw forbidden(`Lab ${labId} is outside your scope`);
      // The old job is withdrawn (its lab is told), a new one is queued at the new lab.
      const old = await this.printJobs.moveToLab(tx, orderId, labId);
      if (!old) throw new RollbackWithErrors([illegal("PRINTING", "REASSIGN", ["orderId"])]);
      const prior = JSON.parse(order.assignmentJson ?? "{}") as StoredAssignment;
      const record: StoredAssignment = {
        ...stored(decision, [
          ...(prior.notes ?? []),
          `moved from lab ${old.labId} to lab ${labId} by ${ctx.auth.kind === "user" ? ctx.auth.user.login : "the center"}`,
        ]),
        rule: "REASSIGNED",
      };
      await this.orders.transition(tx.em, order, ["REASSIGN"], { labId, assignmentJson: JSON.stringify(record) });
      return order;
    });
  }
}

/** The order's sheets, from the quote frozen with it (0 when it cannot be read: only the ranking's estimate uses it). */
function sheetsOf(order: OrderEntity): number {
  try {
    const quote = order.quoteJson ? (JSON.parse(order.quoteJson) as Partial<QuoteView>) : null;
    return Array.isArray(quote?.subOrders) ? quote.subOrders.reduce((n, s) => n + (Number.isInteger(s.sheets) ? s.sheets : 0), 0) : 0;
  } catch {
    return 0;
  }
}
