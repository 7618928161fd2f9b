/**
 * Orders (seed 003 Fig. 18 and 22; seed 000): placed and quoted (the quote frozen with the order),
 * confirmed when the customer accepts the total (the lab chosen and the print job queued in the
 * same transaction, the lab rung after commit), cancelled before printing, moved by an admin to
 * another lab. Pricing follows the chosen lab's shop: the shop is fixed when the order is placed
 * (named, the customer's home shop, the named lab's, or the best lab's) and the lab is picked among
 * that shop's labs when it is confirmed.
 */
import { createHash, randomUUID } from "node:crypto";
import { Brackets, In, type EntityManager } from "typeorm";
import { badInput, forbidden, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { LabEntity } from "../labs/lab.entity";
import { ShopEntity } from "../catalog/shop.entity";
import { FulfilmentMethod, FulfilmentSpeed } from "../catalog/fulfilment";
import { inTransaction, type Outcome, type Tx } from "../db/unit-of-work";
import type { RequestContext } from "../graphql/context";
import { Role } from "../identity/role";
import { adminGroupId, adminShopId, isCenterAdmin } from "../identity/scope";
import { UserEntity } from "../identity/user.entity";
import { PrintJobEntity } from "../labs/print-job.entity";
import type { QuoteView } from "../pricing/pricing.service";
import type { AssignmentDecision, AssignmentRequest, Candidate, Rejected } from "../assignment/lab-ranking";
import { movesOf, nextStatus, type OrderEvent, type OrderStatus } from "./order-state";
import { OrderEntity, OrderItemEntity, SubOrderEntity } from "./order.entity";
import type { OrderInput } from "./order.input";
import { batchesSupported, runBatch } from "../db/statement-batch";
import { isUniqueViolation, placeholders, runSql, withTransaction } from "../db/transaction";
import { insertJob, insertJobAfterOneRowStatement } from "../labs/print-job.rows";
import { insertOrderRows, orderRowStatements, readOrder, readOrderAlone, updateOrderAt, updateOrderStatement } from "./order.rows";
import { LRUCache } from "lru-cache";

/** The decision stored with an order: the ranking's answer plus why the pricing shop was chosen. */
export interface StoredAssignment {
  rule: string;
  decidedAt: string;
  chosenLabId: string | null;
  notes: string[];
  candidates: Candidate[];
  /** Candidates ranked but not stored (absent in records made before the bound: 0). */
  candidatesOmitted?: number;
  rejected: Rejected[];
  rejectedOmitted?: number;
}

/** How many candidates and rejections an order's stored decision keeps. */
export const STORED_CANDIDATES = 10;
export const STORED_REJECTIONS = 20;
/** labCandidates answers at most this many labs (default DEFAULT_LAB_CANDIDATES). */
export const MAX_LAB_CANDIDATES = 100;
export const DEFAULT_LAB_CANDIDATES = 20;

export interface OrderPage {
  orders: OrderEntity[];
  hasNextPage: boolean;
}

const MAX_PAGE = 100;
/** Request memo key: the sub-orders and items of the orders this request placed. */
const PLACED_HERE = "orders:placed-here";

/** The sub-orders and items of the orders this request placed, by order id. */
function placedHere(ctx: RequestContext): Map<string, { subs: SubOrderEntity[]; items: OrderItemEntity[] }> {
  let m = ctx.memo.get(PLACED_HERE) as Map<string, { subs: SubOrderEntity[]; items: OrderItemEntity[] }> | undefined;
  if (!m) ctx.memo.set(PLACED_HERE, (m = new Map()));
  return m;
}

/**
 * How much of the orders it placed a process remembers until they are confirmed (the characters of
 * their JSON columns, about their bytes): confirming one of them reads nothing (see `confirm`).
 */
const REMEMBERED_QUOTES_SIZE = 16 * 1024 * 1024;

export class OrdersService {
  /**
   * The orders placed through this process and not yet confirmed, as committed, forgotten once
   * their quote expires. The UPDATE that confirms one requires its version to be the one
   * remembered; every change to an order raises it (see `transition` and order.rows).
   */
  private readonly quoted = new LRUCache<string, OrderEntity>({
    maxSize: REMEMBERED_QUOTES_SIZE,
    sizeCalculation: (o) => 512 + o.requestJson.length + (o.quoteJson?.length ?? 0) + (o.assignmentJson?.length ?? 0),
  });

  // ---------------------------------------------------------------- placing

  async place(ctx: RequestContext, input: OrderInput, idempotencyKey: string | null): Promise<Outcome<OrderEntity>> {
    const user = this.person(ctx);
    const requestHash = hashInput(input);
    if (idempotencyKey !== null) {
      if (idempotencyKey.length === 0 || idempotencyKey.length > 100) {
        return { value: null, errors: [userError("INVALID_IDEMPOTENCY_KEY", "idempotencyKey must be 1 to 100 characters", ["idempotencyKey"])] };
      }
    }
    // A repeated key is found by the unique index when the order is inserted (no read up front);
    // a request that fails before that is checked against a stored order first, so that a replay
    // answers with the order even when, say, one of its images has been deleted since.
    const refuse = async (errors: UserErrorData[]): Promise<Outcome<OrderEntity>> =>
      (idempotencyKey !== null ? await this.replay(ctx, user.id, idempotencyKey, requestHash) : null) ?? { value: null, errors };

    const errors: UserErrorData[] = [...ctx.app.services.pricing.checkBounds(input)];
    errors.push(...this.checkFulfilment(input));
    errors.push(...(await this.checkImages(ctx, user.id, input)));
    errors.push(...(await ctx.app.services.designTemplates.checkDesignTemplates(ctx, input)));
    if (errors.length > 0) return refuse(errors);

    // The pricing shop, and the record of how it was chosen.
    const chosen = await this.pricingShop(ctx, user, input);
    if ("errors" in chosen) return refuse(chosen.errors);
    const quote = chosen.quote;

    const now = new Date();
    const order = Object.assign(new OrderEntity(), {
      id: randomUUID(),
      customerUserId: user.id,
      status: "QUOTED" as OrderStatus,
      shopId: chosen.shopId,
      shopGroupId: chosen.shopGroupId,
      labId: null,
      requestJson: JSON.stringify({ shopId: input.shopId ?? null, labId: input.labId ?? null, fulfilment: input.fulfilment ?? null }),
      quoteJson: JSON.stringify(quote),
      quoteTotal: quote.total,
      currency: quote.currency,
      assignmentJson: JSON.stringify(chosen.record),
      idempotencyKey,
      requestHash,
      placedAt: now,
      quotedAt: now,
      confirmedAt: null,
      updatedAt: now,
      version: 0,
    });
    const subs = input.subOrders.map((s, i) => Object.assign(new SubOrderEntity(), { orderId: order.id, seq: i + 1, serviceId: s.serviceId, sheets: s.sheets }));
    const items = input.subOrders.flatMap((s, i) =>
      s.items.map((it, position) => Object.assign(new OrderItemEntity(), {
        id: randomUUID(),
        orderId: order.id,
        subOrderSeq: i + 1,
        position,
        imageId: it.imageId,
        designTemplateId: (it as { designTemplateId?: string | null }).designTemplateId ?? null,
        layoutJson: it.layout ? JSON.stringify(it.layout) : null,
      })),
    );
    try {
      // One round trip on MySQL/MariaDB; a transaction on SQLite (in-process, no round trips).
      if (batchesSupported(ctx.app.ds)) await runBatch(ctx.app.ds, orderRowStatements(order, subs, items));
      else await withTransaction(ctx.app.ds, (em) => insertOrderRows(em, order, subs, items));
    } catch (e) {
      // The key was used before (or two requests with it raced): the unique index let one order in.
      if (idempotencyKey !== null && isUniqueViolation(e)) {
        const again = await this.replay(ctx, user.id, idempotencyKey, requestHash);
        if (again) return again;
      }
      throw e;
    }
    // The answer's sub-orders and items are these: the request need not read them back.
    placedHere(ctx).set(order.id, { subs, items });
    // Committed: its confirmation may start from it (a copy: the answer's entity is the request's).
    this.quoted.set(order.id, Object.assign(new OrderEntity(), order), { ttl: ctx.app.config.quoteTtlSeconds * 1000 });
    return { value: order, errors: [] };
  }

  private async replay(ctx: RequestContext, userId: string, key: string, hash: string): Promise<Outcome<OrderEntity> | null> {
    const existing = await ctx.app.ds.getRepository(OrderEntity).findOne({ where: { customerUserId: userId, idempotencyKey: key } });
    if (!existing) return null;
    if (existing.requestHash !== hash) {
      return { value: null, errors: [userError("IDEMPOTENCY_KEY_REUSED", "This idempotencyKey was used for a different order", ["idempotencyKey"])] };
    }
    return { value: existing, errors: [] };
  }

  private person(ctx: RequestContext): UserEntity {
    if (ctx.auth.kind !== "user") throw forbidden("Orders are placed by people");
    return ctx.auth.user;
  }

  private checkFulfilment(input: OrderInput): UserErrorData[] {
    const f = input.fulfilment;
    if (f?.method === FulfilmentMethod.DELIVERY && !f.address) {
      return [userError("DELIVERY_NEEDS_ADDRESS", "A delivery needs an address", ["input", "fulfilment", "address"])];
    }
    return [];
  }

  private async checkImages(ctx: RequestContext, userId: string, input: OrderInput): Promise<UserErrorData[]> {
    const ids = [...new Set(input.subOrders.flatMap((s) => s.items.map((i) => i.imageId)))];
    if (ids.length === 0) return [];
    const r = await ctx.app.services.images.assertUsable(userId, ids);
    if (r.ok) return [];
    const errors: UserErrorData[] = [];
    input.subOrders.forEach((s, si) =>
      s.items.forEach((it, ii) => {
        const field = ["input", "subOrders", si, "items", ii, "imageId"];
        if (r.unknown.includes(it.imageId)) errors.push(userError("UNKNOWN_IMAGE", `No image ${it.imageId}`, field));
        else if (r.foreign.includes(it.imageId)) errors.push(userError("FOREIGN_IMAGE", `Image ${it.imageId} is not yours`, field));
      }),
    );
    return errors;
  }

  /**
   * Which shop prices the order: the named shop, the named lab's, the customer's home shop, or the
   * best lab's. A shop named up front prices first (so an unknown service reads SERVICE_NOT_OFFERED),
   * then the ranking checks that a lab there can print it.
   */
  private async pricingShop(
    ctx: RequestContext,
    user: UserEntity,
    input: OrderInput,
  ): Promise<{ shopId: string; shopGroupId: string; quote: QuoteView; record: StoredAssignment } | { errors: UserErrorData[] }> {
    const req = this.assignmentRequest(input, input.shopId ?? null, "NAMED");
    const notes: string[] = [];
    if (input.shopId) {
      notes.push(`the customer named shop ${input.shopId}`);
    } else if (input.labId) {
      const lab = await ctx.app.ds.getRepository(LabEntity).findOne({ where: { id: input.labId } });
      if (!lab) return { errors: [userError("UNKNOWN_LAB", `No lab ${input.labId}`, ["input", "labId"])] };
      req.shopId = lab.shopId; // the named lab's shop prices the order (and is where a pickup happens)
      notes.push(`the customer named lab ${input.labId} of shop ${lab.shopId}`);
    } else if (user.homeShopId) {
      req.shopId = user.homeShopId;
      req.shopReason = "HOME_SHOP";
      notes.push(`the customer's home shop ${user.homeShopId}`);
    }
    const now = new Date();
    let early: QuoteView | null = null;
    // A named lab answers first for itself (LAB_CANNOT_PRINT says why); a named shop prices first.
    if (req.shopId && !input.labId) {
      const priced = await ctx.app.services.pricing.quoteAt(req.shopId, input, now);
      if (!priced.quote) return { errors: priced.errors };
      early = priced.quote;
    }
    const decision = await ctx.app.services.assignment.decide(req);
    if (!decision.ok) return { errors: [userError(decision.code, decision.message, decision.field)] };
    const shopId = req.shopId ?? decision.chosen.shopId;
    if (!req.shopId) notes.push(`the best lab for the order is ${decision.chosen.labId} of shop ${shopId}`);
    let quote = early;
    if (!quote) {
      const priced = await ctx.app.services.pricing.quoteAt(shopId, input, now);
      if (!priced.quote) return { errors: priced.errors };
      quote = priced.quote;
    }
    // The shop's group, from the price book the quote was made with (no read of its own).
    const pricing = await ctx.app.services.pricing.books.contextFor(shopId);
    if (!pricing) return { errors: [userError("UNKNOWN_SHOP", `No shop ${shopId}`, ["input", "shopId"])] };
    return { shopId, shopGroupId: pricing.shopGroupId, quote, record: stored(decision, notes) };
  }

  assignmentRequest(input: OrderInput, shopId: string | null, reason: "NAMED" | "HOME_SHOP"): AssignmentRequest {
    return {
      serviceIds: [...new Set(input.subOrders.map((s) => s.serviceId))],
      sheets: input.subOrders.reduce((n, s) => n + s.sheets, 0),
      shopId,
      shopReason: reason,
      labId: input.labId ?? null,
      fulfilment: input.fulfilment
        ? {
            method: input.fulfilment.method,
            speed: input.fulfilment.speed ?? FulfilmentSpeed.STANDARD,
            address: input.fulfilment.address
              ? {
                  country: input.fulfilment.address.country,
                  postalCode: input.fulfilment.address.postalCode,
                  region: input.fulfilment.address.region ?? null,
                  location: input.fulfilment.address.location ?? null,
                }
              : null,
          }
        : null,
    };
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
    const user = this.person(ctx);
    const remembered = this.quoted.get(orderId);
    // Once this runs the memory is behind the database, whatever the outcome.
    this.quoted.delete(orderId);
    let known = remembered ? Object.assign(new OrderEntity(), remembered) : null;
    for (let round = 1; ; round++) {
      const r = batchesSupported(ctx.app.ds) ? await this.confirmBatched(ctx, user, orderId, acceptedTotal, known) : await this.confirmInTransaction(ctx, user, orderId, acceptedTotal, known);
      if (r !== READ_AGAIN) return r;
      known = null;
      if (round === CONFIRM_ROUNDS) return { value: null, errors: [userError("CONCURRENT_CHANGE", "The order changed meanwhile; read it again", ["orderId"])] };
    }
  }

  /** MySQL/MariaDB: read (unless known), plan, then the order's UPDATE and the job's INSERT in one round trip. */
  private async confirmBatched(ctx: RequestContext, user: UserEntity, orderId: string, acceptedTotal: number, known: OrderEntity | null): Promise<Outcome<OrderEntity> | typeof READ_AGAIN> {
    const ds = ctx.app.ds;
    const order = known ?? (await readOrderAlone(ds, orderId));
    const plan = await this.planConfirm(ctx, ds.manager, user, orderId, order, acceptedTotal);
    if (!("patch" in plan)) {
      if (known) return READ_AGAIN;
      return "errors" in plan ? { value: null, errors: plan.errors } : { value: plan.already, errors: [] };
    }
    const job = newJob(plan.order.id, plan.labId);
    const [moved, queued] = await runBatch(ds, [updateOrderStatement(plan.order.id, plan.order.version, plan.patch), insertJobAfterOneRowStatement(job)]);
    if (moved.affected !== 1) return READ_AGAIN; // and the INSERT inserted nothing
    if (queued.affected !== 1) throw new Error(`confirming order ${plan.order.id} queued ${queued.affected} print jobs`);
    Object.assign(plan.order, plan.patch);
    ctx.app.events.publish("printJob", job.labId, { jobId: job.id });
    return { value: plan.order, errors: [] };
  }

  /** SQLite: read (unless known), plan and write in one transaction. */
  private async confirmInTransaction(ctx: RequestContext, user: UserEntity, orderId: string, acceptedTotal: number, known: OrderEntity | null): Promise<Outcome<OrderEntity> | typeof READ_AGAIN> {
    try {
      return await inTransaction(ctx, async (tx) => {
        const order = known ?? (await readOrder(tx.em, orderId));
        const plan = await this.planConfirm(ctx, tx.em, user, orderId, order, acceptedTotal);
        if (!("patch" in plan)) {
          if (known) throw new ReadAgain();
          if ("errors" in plan) throw new RollbackWithErrors(plan.errors);
          return plan.already;
        }
        if (!(await updateOrderAt(tx.em, plan.order.id, plan.order.version, plan.patch))) throw new ReadAgain();
        Object.assign(plan.order, plan.patch);
        await this.queueJob(tx, plan.order.id, plan.labId);
        return plan.order;
      });
    } catch (e) {
      if (e instanceof ReadAgain) return READ_AGAIN;
      throw e;
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
  ): Promise<{ errors: UserErrorData[] } | { already: OrderEntity } | { order: OrderEntity; patch: Partial<OrderEntity>; labId: string }> {
    // Someone else's order reads as unknown: a customer learns nothing of others' orders.
    if (!order || order.customerUserId !== user.id) return { errors: [userError("NOT_FOUND", `No order ${orderId} of yours`, ["orderId"])] };
    if (order.quoteTotal !== acceptedTotal) {
      return { errors: [userError("QUOTE_MISMATCH", `The accepted total ${acceptedTotal} is not the quoted total ${order.quoteTotal}`, ["acceptedTotal"])] };
    }
    if (order.confirmedAt !== null && order.status !== "CANCELLED") return { already: order };
    if (order.status !== "QUOTED") return { errors: [illegal(order.status, "CONFIRM", ["orderId"])] };
    if (Date.now() - order.quotedAt.getTime() > ctx.app.config.quoteTtlSeconds * 1000) {
      return { errors: [userError("QUOTE_EXPIRED", `The quote is older than ${ctx.app.config.quoteTtlSeconds} s: place the order again for a fresh quote`, ["orderId"])] };
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
          notes: [...placed.notes, ...(placed.chosenLabId !== decision.chosen.labId ? [`on confirmation lab ${decision.chosen.labId} ranked first among shop ${order.shopId}'s labs`] : [])],
        }
      : { ...stored(decision, []), decidedAt: now.toISOString() };
    const move = transitionPatch(order, ["CONFIRM", "ASSIGN"], { labId: decision.chosen.labId, confirmedAt: now, assignmentJson: JSON.stringify(record) }, now);
    if ("errors" in move) return move;
    return { order, patch: move.patch, labId: decision.chosen.labId };
  }

  /**
   * Picks the lab among the order's shop's labs (or the named lab), as things stand now. Confirming
   * ranks the cached lab list; moving an order (labId given, rare) reads the labs in its transaction.
   */
  private async assignAtShop(ctx: RequestContext, em: EntityManager, order: OrderEntity, labId?: string): Promise<AssignmentDecision> {
    const request = JSON.parse(order.requestJson) as Pick<OrderInput, "labId" | "fulfilment">;
    const subOrders = await this.servicesOf(em, order);
    const input = { subOrders: subOrders.map((s) => ({ ...s, items: [] })), labId: labId ?? request.labId ?? null, fulfilment: request.fulfilment ?? null } as unknown as OrderInput;
    // Moving to a named lab: that lab's own shop (an admin may move an order between shops' labs).
    const shopId = labId ? ((await em.findOne(LabEntity, { where: { id: labId } }))?.shopId ?? null) : order.shopId;
    return ctx.app.services.assignment.decide(this.assignmentRequest(input, shopId, "NAMED"), labId ? em : undefined);
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

  /** A print job for the order at the lab, in the transaction; the lab rung after commit. */
  private async queueJob(tx: Tx, orderId: string, labId: string): Promise<void> {
    const job = newJob(orderId, labId);
    await insertJob(tx.em, job);
    tx.emit("printJob", labId, { jobId: job.id });
  }

  /**
   * Moves an order through the transition table with a conditional update on its version: if
   * anyone changed it meanwhile, nothing is written and the caller's transaction rolls back.
   */
  async transition(em: EntityManager, order: OrderEntity, events: OrderEvent[], changes: Partial<OrderEntity> = {}): Promise<void> {
    const move = transitionPatch(order, events, changes, new Date());
    if ("errors" in move) throw new RollbackWithErrors(move.errors);
    if (!(await updateOrderAt(em, order.id, order.version, move.patch))) {
      throw new RollbackWithErrors([userError("CONCURRENT_CHANGE", "The order changed meanwhile; read it again", ["orderId"])]);
    }
    Object.assign(order, move.patch);
  }

  /**
   * Moves an order by id without reading it first: one conditional UPDATE from every state the
   * transition table lets `event` leave (all of which must lead to the same state). When the order
   * is in none of them, it is read to say why, and the caller's transaction rolls back.
   */
  async transitionById(em: EntityManager, orderId: string, event: OrderEvent): Promise<void> {
    const moves = movesOf(event);
    // Hand-written: it runs with every claim and completion of a print job.
    const r = await runSql(
      em,
      `UPDATE orders SET status = ?, version = version + 1, updated_at = ? WHERE id = ? AND status IN (${placeholders(moves.from.length)})`,
      [moves.to, Date.now(), orderId, ...moves.from],
    );
    if (r.affected === 1) return;
    const order = await em.findOne(OrderEntity, { where: { id: orderId }, select: { id: true, status: true } });
    if (!order) throw new Error(`order ${orderId} of a print job is missing`);
    throw new RollbackWithErrors([illegal(order.status, event, ["orderId"])]);
  }

  // ---------------------------------------------------------------- cancelling and moving

  async cancel(ctx: RequestContext, orderId: string): Promise<Outcome<OrderEntity>> {
    return inTransaction(ctx, async (tx) => {
      const order = await this.orderInScope(ctx, tx.em, orderId, true);
      if (nextStatus(order.status, "CANCEL") === null) throw new RollbackWithErrors([illegal(order.status, "CANCEL", ["orderId"])]);
      // The queued job is withdrawn with a conditional update: if the lab claimed it meanwhile, it is printing.
      const jobs = await tx.em.find(PrintJobEntity, { where: { orderId, status: In(["QUEUED", "LEASED"]) } });
      for (const job of jobs) {
        const r = await tx.em.update(PrintJobEntity, { id: job.id, status: "QUEUED" }, { status: "FAILED", lastError: "order cancelled", updatedAt: new Date() });
        if (r.affected !== 1) throw new RollbackWithErrors([illegal("PRINTING", "CANCEL", ["orderId"])]);
        tx.emit("printJob", job.labId, { jobId: job.id });
      }
      await this.transition(tx.em, order, ["CANCEL"]);
      return order;
    });
  }

  async reassign(ctx: RequestContext, orderId: string, labId: string): Promise<Outcome<OrderEntity>> {
    return inTransaction(ctx, async (tx) => {
      const order = await this.orderInScope(ctx, tx.em, orderId, false);
      if (order.status !== "ASSIGNED") throw new RollbackWithErrors([illegal(order.status, "REASSIGN", ["orderId"])]);
      if (order.labId === labId) throw new RollbackWithErrors([userError("SAME_LAB", `The order is at lab ${labId} already`, ["labId"])]);
      const decision = await this.assignAtShop(ctx, tx.em, order, labId);
      if (!decision.ok) throw new RollbackWithErrors([userError(decision.code, decision.message, ["labId"])]);
      if (!(await this.adminManagesShop(ctx, tx.em, decision.chosen.shopId))) throw forbidden(`Lab ${labId} is outside your scope`);
      const old = await tx.em.findOne(PrintJobEntity, { where: { orderId, status: "QUEUED" } });
      if (!old) throw new RollbackWithErrors([illegal("PRINTING", "REASSIGN", ["orderId"])]);
      // The old job is withdrawn (its lab is told), a new one is queued at the new lab.
      const r = await tx.em.update(PrintJobEntity, { id: old.id, status: "QUEUED" }, { status: "FAILED", lastError: `reassigned to lab ${labId}`, updatedAt: new Date() });
      if (r.affected !== 1) throw new RollbackWithErrors([illegal("PRINTING", "REASSIGN", ["orderId"])]);
      tx.emit("printJob", old.labId, { jobId: old.id });
      const prior = JSON.parse(order.assignmentJson ?? "{}") as StoredAssignment;
      const record: StoredAssignment = {
        ...stored(decision, [...(prior.notes ?? []), `moved from lab ${old.labId} to lab ${labId} by ${ctx.auth.kind === "user" ? ctx.auth.user.login : "the center"}`]),
        rule: "REASSIGNED",
      };
      await this.transition(tx.em, order, ["REASSIGN"], { labId, assignmentJson: JSON.stringify(record) });
      await this.queueJob(tx, order.id, labId);
      return order;
    });
  }

  /** The order if the caller may act on it: its customer (when allowed) or an admin in scope. */
  private async orderInScope(ctx: RequestContext, em: EntityManager, orderId: string, customerMay: boolean): Promise<OrderEntity> {
    const order = await em.findOne(OrderEntity, { where: { id: orderId } });
    if (!order) throw new RollbackWithErrors([userError("NOT_FOUND", `No order ${orderId}`, ["orderId"])]);
    if (ctx.auth.kind === "user" && ctx.auth.user.role === Role.GENERAL_USER) {
      if (customerMay && order.customerUserId === ctx.auth.user.id) return order;
      if (order.customerUserId !== ctx.auth.user.id) throw new RollbackWithErrors([userError("NOT_FOUND", `No order ${orderId}`, ["orderId"])]);
      throw forbidden("Only admins move orders between labs");
    }
    if (order.shopId && (await this.adminManagesShop(ctx, em, order.shopId))) return order;
    throw forbidden(`Order ${orderId} is outside your scope`);
  }

  private async adminManagesShop(ctx: RequestContext, em: EntityManager, shopId: string): Promise<boolean> {
    if (isCenterAdmin(ctx)) return true;
    if (adminShopId(ctx) !== null) return adminShopId(ctx) === shopId;
    const group = adminGroupId(ctx);
    if (group === null) return false;
    const shop = await em.findOne(ShopEntity, { where: { id: shopId } });
    return shop?.shopGroupId === group;
  }

  // ---------------------------------------------------------------- home shop

  async setHomeShop(ctx: RequestContext, shopId: string | null): Promise<Outcome<UserEntity>> {
    const user = this.person(ctx);
    return inTransaction(ctx, async ({ em, emit }) => {
      emit("invalidate", { kind: "users", key: user.id });
      if (shopId !== null && !(await em.findOne(ShopEntity, { where: { id: shopId } }))) {
        throw new RollbackWithErrors([userError("UNKNOWN_SHOP", `No shop ${shopId}`, ["shopId"])]);
      }
      await em.update(UserEntity, { id: user.id }, { homeShopId: shopId, updatedAt: new Date() });
      user.homeShopId = shopId;
      return user;
    });
  }

  // ---------------------------------------------------------------- reading

  /**
   * The order of a lab's withdrawn print job (the order was moved to another lab): what the lab
   * needs to drop the job (its id, status and sheet counts), with no lab named; the order's items
   * are not shown to a lab the order is not at (see OrdersResolver.subOrders).
   */
  async withdrawnFromLab(ctx: RequestContext, orderId: string): Promise<OrderEntity | null> {
    const order = await ctx.app.ds.getRepository(OrderEntity).findOne({ where: { id: orderId } });
    return order ? Object.assign(order, { labId: null }) : null;
  }

  /** Whether an order the calling admin administers holds this image (a center admin: any order). */
  async imageInAdminScope(ctx: RequestContext, imageId: string): Promise<boolean> {
    if (isCenterAdmin(ctx)) return true;
    const shop = adminShopId(ctx);
    const group = adminGroupId(ctx);
    if (shop === null && group === null) return false;
    const qb = ctx.app.ds.getRepository(OrderItemEntity).createQueryBuilder("i").innerJoin(OrderEntity, "o", "o.id = i.order_id").where("i.image_id = :img", { img: imageId });
    if (shop !== null) qb.andWhere("o.shop_id = :myShop", { myShop: shop });
    else qb.andWhere("o.shop_group_id = :myGroup", { myGroup: group });
    return (await qb.select("i.order_id", "orderId").limit(1).getRawOne()) !== undefined;
  }

  /** One order, if the caller may see it (else null, as if it did not exist). */
  async get(ctx: RequestContext, id: string): Promise<OrderEntity | null> {
    const page = await this.list(ctx, { first: 1, after: null, filter: {}, ids: [id] });
    return page.orders[0] ?? null;
  }

  /** A page of the orders the caller may see, newest first. One query, whatever the page size. */
  async list(
    ctx: RequestContext,
    args: { first: number; after: string | null; filter: { status?: OrderStatus[] | null; shopId?: string | null; labId?: string | null; placedFrom?: Date | null; placedBefore?: Date | null }; ids?: string[] },
  ): Promise<OrderPage> {
    const qb = ctx.app.ds.getRepository(OrderEntity).createQueryBuilder("o");
    const a = ctx.auth;
    if (a.kind === "anonymous") return { orders: [], hasNextPage: false };
    if (a.kind === "lab") {
      // A lab reads an order while it is at that lab: not once it was moved elsewhere.
      qb.andWhere("o.lab_id = :myLab", { myLab: a.labId });
    } else if (a.user.role === Role.GENERAL_USER) {
      qb.andWhere("o.customer_user_id = :me", { me: a.user.id });
    } else if (a.user.role === Role.SHOP_ADMIN) {
      qb.andWhere("o.shop_id = :myShop", { myShop: a.user.shopId ?? "" });
    } else if (a.user.role === Role.SHOP_GROUP_ADMIN) {
      qb.andWhere("o.shop_group_id = :myGroup", { myGroup: a.user.shopGroupId ?? "" });
    }
    if (args.ids) qb.andWhere("o.id IN (:...ids)", { ids: args.ids });
    const f = args.filter;
    if (f.status && f.status.length > 0) qb.andWhere("o.status IN (:...st)", { st: f.status });
    if (f.shopId) qb.andWhere("o.shop_id = :fs", { fs: f.shopId });
    if (f.labId) qb.andWhere("o.lab_id = :fl", { fl: f.labId });
    if (f.placedFrom) qb.andWhere("o.placed_at >= :pf", { pf: f.placedFrom.getTime() });
    if (f.placedBefore) qb.andWhere("o.placed_at < :pb", { pb: f.placedBefore.getTime() });
    if (args.after) {
      const c = decodeCursor(args.after);
      if (!c) throw badInput("The cursor is not one this server made", ["after"]);
      qb.andWhere(new Brackets((w) => w.where("o.placed_at < :ct", { ct: c.t }).orWhere("o.placed_at = :ct AND o.id < :cid", { ct: c.t, cid: c.id })));
    }
    const first = Math.min(Math.max(args.first, 1), MAX_PAGE);
    const rows = await qb.orderBy("o.placed_at", "DESC").addOrderBy("o.id", "DESC").take(first + 1).getMany();
    return { orders: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /**
   * Sub-orders and items of many orders in two queries (the per-request loader's batch). Those of an
   * order this request has just placed are known already and not read back.
   */
  async subOrdersOf(ctx: RequestContext, orderIds: readonly string[]): Promise<Map<string, Array<SubOrderEntity & { items: OrderItemEntity[] }>>> {
    const out = new Map<string, Array<SubOrderEntity & { items: OrderItemEntity[] }>>();
    const known = placedHere(ctx);
    const toRead = orderIds.filter((id) => !known.has(id));
    const [subs, items] =
      toRead.length === 0
        ? [[], []]
        : await Promise.all([
            ctx.app.ds.getRepository(SubOrderEntity).find({ where: { orderId: In(toRead) }, order: { orderId: "ASC", seq: "ASC" } }),
            ctx.app.ds.getRepository(OrderItemEntity).find({ where: { orderId: In(toRead) }, order: { orderId: "ASC", subOrderSeq: "ASC", position: "ASC" } }),
          ]);
    for (const id of orderIds) {
      const placed = known.get(id);
      if (placed) {
        subs.push(...placed.subs);
        items.push(...placed.items);
      }
    }
    const itemsOf = new Map<string, OrderItemEntity[]>();
    for (const it of items) {
      const key = `${it.orderId}/${it.subOrderSeq}`;
      const list = itemsOf.get(key) ?? [];
      list.push(it);
      itemsOf.set(key, list);
    }
    for (const s of subs) {
      const list = out.get(s.orderId) ?? [];
      list.push(Object.assign(s, { items: itemsOf.get(`${s.orderId}/${s.seq}`) ?? [] }));
      out.set(s.orderId, list);
    }
    return out;
  }

  /** Whether the caller may read an order's assignment decision: admins in scope. */
  async mayReadAssignment(ctx: RequestContext, order: OrderEntity): Promise<boolean> {
    if (ctx.auth.kind !== "user" || ctx.auth.user.role === Role.GENERAL_USER || !order.shopId) return false;
    return this.adminManagesShop(ctx, ctx.app.ds.manager, order.shopId);
  }

  /** Ids of (at most 11) orders that name a shop, a shop group or a service: what deleting them would orphan. */
  async idsUsing(em: EntityManager, what: { shopId?: string; shopGroupId?: string; serviceId?: string }): Promise<string[]> {
    if (what.serviceId) {
      const subs = await em.find(SubOrderEntity, { where: { serviceId: what.serviceId }, select: { orderId: true }, take: 11 });
      return [...new Set(subs.map((s) => s.orderId))];
    }
    const where = what.shopId ? { shopId: what.shopId } : { shopGroupId: what.shopGroupId };
    return (await em.find(OrderEntity, { where, select: { id: true }, take: 11 })).map((o) => o.id);
  }

  // ---------------------------------------------------------------- two-phase pick

  /** The labs that could print this order, best first, each with its quote (seed 000, claim 7). */
  async candidates(
    ctx: RequestContext,
    input: OrderInput,
    first = DEFAULT_LAB_CANDIDATES,
  ): Promise<{ candidates: Candidate[]; quotes: Map<string, QuoteView | null> } | { errors: UserErrorData[] }> {
    const errors = [...ctx.app.services.pricing.checkBounds(input), ...this.checkFulfilment(input)];
    if (!Number.isInteger(first) || first < 1 || first > MAX_LAB_CANDIDATES) {
      errors.push(userError("INVALID_FIRST", `first must be 1 to ${MAX_LAB_CANDIDATES}, got ${first}`, ["first"]));
    }
    if (errors.length > 0) return { errors };
    // The customer is choosing: every capable lab is a candidate (a named shop still restricts).
    const req = this.assignmentRequest({ ...input, labId: null } as OrderInput, input.shopId ?? null, "NAMED");
    const decision = await ctx.app.services.assignment.decide(req);
    if (!decision.ok) return { errors: [userError(decision.code, decision.message, decision.field)] };
    const candidates = decision.candidates.slice(0, first);
    const quotes = new Map<string, QuoteView | null>();
    const now = new Date();
    for (const c of candidates) {
      if (!quotes.has(c.shopId)) quotes.set(c.shopId, (await ctx.app.services.pricing.quoteAt(c.shopId, input, now)).quote);
    }
    return { candidates, quotes };
  }
}

/**
 * The decision as stored with the order: the best candidates and the first rejections (by lab id),
 * with how many more there were. A network of a thousand labs would otherwise store a thousand
 * entries with every order. The chosen lab is always among the stored candidates.
 */
export function stored(decision: Extract<AssignmentDecision, { ok: true }>, notes: string[]): StoredAssignment {
  const top = decision.candidates.slice(0, STORED_CANDIDATES);
  if (!top.includes(decision.chosen)) top[top.length - 1] = decision.chosen;
  return {
    rule: decision.rule,
    decidedAt: decision.at,
    chosenLabId: decision.chosen.labId,
    notes,
    candidates: top,
    candidatesOmitted: decision.candidates.length - top.length,
    rejected: decision.rejected.slice(0, STORED_REJECTIONS),
    rejectedOmitted: Math.max(0, decision.rejected.length - STORED_REJECTIONS),
  };
}

function illegal(from: OrderStatus, event: OrderEvent, field: string[]): UserErrorData {
  return userError("ILLEGAL_TRANSITION", `An order that is ${from} cannot ${event.toLowerCase().replace("_", " ")}`, field);
}

/** A stable digest of the order input: the same input, the same hash, whatever the key order. */
export function hashInput(input: unknown): string {
  return createHash("sha256").update(stableJson(input)).digest("hex");
}

function stableJson(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && x !== null);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export function encodeCursor(o: OrderEntity): string {
  return Buffer.from(`${o.placedAt.getTime()}:${o.id}`).toString("base64url");
}

function decodeCursor(s: string): { t: number; id: string } | null {
  const m = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(Buffer.from(s, "base64url").toString());
  return m ? { t: Number(m[1]), id: m[2] } : null;
}

/**
 * A confirmation to run again from the order as stored: its version-checked UPDATE missed (the
 * order changed meanwhile), or the remembered order would not be confirmed as it is.
 */
const READ_AGAIN = "READ_AGAIN";
/** READ_AGAIN thrown inside a transaction, to roll it back. */
class ReadAgain extends Error {}

/** Rounds a confirmation is tried when the order keeps changing under it (each round reads it again). */
const CONFIRM_ROUNDS = 3;

/** The changes that move `order` through `events` (the transition table decides), its version raised. */
function transitionPatch(order: OrderEntity, events: OrderEvent[], changes: Partial<OrderEntity>, now: Date): { patch: Partial<OrderEntity> } | { errors: UserErrorData[] } {
  let status = order.status;
  for (const e of events) {
    const next = nextStatus(status, e);
    if (next === null) return { errors: [illegal(status, e, ["orderId"])] };
    status = next;
  }
  return { patch: { ...changes, status, version: order.version + 1, updatedAt: now } };
}

/** A print job for the order at the lab, queued and due now. */
function newJob(orderId: string, labId: string): PrintJobEntity {
  const now = new Date();
  return Object.assign(new PrintJobEntity(), {
    id: randomUUID(),
    orderId,
    labId,
    status: "QUEUED",
    attempts: 0,
    availableAt: now,
    leaseToken: null,
    leaseExpiresAt: null,
    claimKey: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  });
}
