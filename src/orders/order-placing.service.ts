/**
 * Quoting and placing orders (seed 003 Fig. 18 and 22; seed 000): an order is placed and quoted
 * (the quote frozen with the order). Pricing follows the chosen lab's shop: the shop is fixed when
 * the order is placed (named, the customer's home shop, the named lab's, or the best lab's) and
 * the lab is picked among that shop's labs when it is confirmed (order-changes.service). The
 * two-phase pick answers the labs that could print an order, each with its quote.
 */
import { randomUUID } from "node:crypto";
import { RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { LabEntity } from "../labs/lab.entity";
import { FulfilmentMethod } from "../catalog/fulfilment";
import type { Outcome, Tx } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import type { UserEntity } from "../identity/user.entity";
import type { QuoteView } from "../pricing/pricing.service";
import type { AssignmentRequest, Candidate } from "../assignment/lab-ranking";
import type { OrderStatus } from "./order-state";
import { OrderEntity, OrderItemEntity, SubOrderEntity } from "./order.entity";
import { MAX_CUSTOMER_REFERENCE, type OrderInput } from "./order.input";
import { batchesSupported, runBatch } from "../db/statement-batch";
import { isUniqueViolation, withTransaction } from "../db/transaction";
import { insertOrderRows, orderRowStatements } from "./order.rows";
import { person, placedHere } from "./order-access";
import { assignmentRequest, DEFAULT_LAB_CANDIDATES, designTemplatesOf, hashInput, MAX_LAB_CANDIDATES, stored, type StoredAssignment } from "./order-rules";
import type { PricingService } from "../pricing/pricing.service";
import type { DesignTemplatesService } from "../design-templates/design-templates.service";
import type { OrderChangesService } from "./order-changes.service";
import type { ImagesService } from "../images/images.service";
import type { AssignmentService } from "../assignment/assignment.service";

/** The customer's reference, trimmed (null when none); a fault is added to errors. */
function checkCustomerReference(raw: string | null | undefined, errors: UserErrorData[]): string | null {
  if (raw === undefined || raw === null) return null;
  const ref = raw.trim();
  // eslint-disable-next-line no-control-regex
  if (ref.length === 0 || ref.length > MAX_CUSTOMER_REFERENCE || /[\u0000-\u001f\u007f]/.test(ref)) {
    errors.push(
      userError("INVALID_CUSTOMER_REFERENCE", `customerReference must be 1 to ${MAX_CUSTOMER_REFERENCE} characters without control characters`, [
        "input",
        "customerReference",
      ]),
    );
    return null;
  }
  return ref;
}

export class OrderPlacingService {
  constructor(
    private readonly pricing: PricingService,
    private readonly designTemplates: DesignTemplatesService,
    private readonly orderChanges: OrderChangesService,
    private readonly images: ImagesService,
    private readonly assignment: AssignmentService,
  ) {}

  async place(ctx: RequestContext, input: OrderInput, idempotencyKey: string | null): Promise<Outcome<OrderEntity>> {
    const user = person(ctx);
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

    const errors: UserErrorData[] = [...this.pricing.checkBounds(input)];
    errors.push(...this.checkFulfilment(input));
    const customerReference = checkCustomerReference(input.customerReference, errors);
    errors.push(...(await this.checkImages(ctx, user.id, input)));
    errors.push(...(await this.designTemplates.checkDesignTemplates(ctx, input)));
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
      shootId: null,
      requestJson: JSON.stringify(placedRequest(input, chosen.homeLabId, customerReference)),
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
    const { subs, items } = orderParts(order.id, input);
    try {
      // One round trip on MySQL/MariaDB; a transaction on SQLite (in-process, no round trips).
      // Repeatable: its rows have fixed primary keys, so a second run after a COMMIT whose answer
      // was lost inserts nothing twice (it fails on the key, and a request with an idempotency
      // key then replays the order).
      if (batchesSupported(ctx.app.ds)) await runBatch(ctx.app.ds, orderRowStatements(order, subs, items), { repeatable: true });
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
    this.orderChanges.rememberPlaced(ctx, order);
    return { value: order, errors: [] };
  }

  /**
   * An order placed and confirmed at once in the caller's transaction, at a lab fixed beforehand
   * (first prints: the shoot's first-print lab, even where the ranking would pick another). It is
   * priced at the lab's shop by the normal rules and checked like any order, except its images: the
   * caller has checked them (a shoot's images belong to no one). Refusals roll the transaction back
   * (RollbackWithErrors), their fields relative to the sub-orders (`["subOrders", i, ...]`); a lab
   * that cannot print it is named at `labField`.
   */
  async placeConfirmedAt(ctx: RequestContext, tx: Tx, spec: FixedPlacement): Promise<OrderEntity> {
    const user = person(ctx);
    const input = { shopId: spec.shopId, labId: spec.labId, fulfilment: null, subOrders: spec.subOrders } as unknown as OrderInput;
    const errors = [...this.pricing.checkBounds(input), ...(await this.designTemplates.checkDesignTemplates(ctx, input))];
    if (errors.length > 0) throw new RollbackWithErrors(errors.map(outsideInput));
    // The lab's capability as the transaction sees it (a lab disabled a moment ago is refused).
    const decision = await this.assignment.decide(assignmentRequest(input, spec.shopId, "NAMED"), tx.em);
    if (!decision.ok) throw new RollbackWithErrors([userError(decision.code, decision.message, spec.labField)]);
    const now = new Date();
    const priced = await this.pricing.quoteAt(spec.shopId, input, now);
    if (!priced.quote) throw new RollbackWithErrors(priced.errors.map(outsideInput));
    const pricing = await this.pricing.books.contextFor(spec.shopId);
    if (!pricing) throw new RollbackWithErrors([userError("UNKNOWN_SHOP", `No shop ${spec.shopId}`, spec.labField)]);
    const quote = priced.quote;
    const order = Object.assign(new OrderEntity(), {
      id: randomUUID(),
      customerUserId: user.id,
      status: "QUOTED" as OrderStatus,
      shopId: spec.shopId,
      shopGroupId: pricing.shopGroupId,
      labId: null,
      shootId: spec.shootId,
      requestJson: JSON.stringify({ shopId: spec.shopId, labId: spec.labId, fulfilment: null, shootId: spec.shootId }),
      quoteJson: JSON.stringify(quote),
      quoteTotal: quote.total,
      currency: quote.currency,
      assignmentJson: null,
      idempotencyKey: null,
      requestHash: hashInput({ shootId: spec.shootId, subOrders: spec.subOrders }),
      placedAt: now,
      quotedAt: now,
      confirmedAt: null,
      updatedAt: now,
      version: 0,
    });
    const { subs, items } = orderParts(order.id, input);
    await insertOrderRows(tx.em, order, subs, items);
    await this.orderChanges.confirmPlacedAt(ctx, tx, order, spec.labId, stored(decision, spec.notes));
    placedHere(ctx).set(order.id, { subs, items });
    return order;
  }

  private replay(ctx: RequestContext, userId: string, key: string, hash: string): Promise<Outcome<OrderEntity> | null> {
    return orderOfIdempotencyKey(ctx, userId, key, hash);
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
    const r = await this.images.assertUsable(userId, ids);
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
  ): Promise<{ shopId: string; shopGroupId: string; quote: QuoteView; record: StoredAssignment; homeLabId: string | null } | { errors: UserErrorData[] }> {
    const req = assignmentRequest(input, input.shopId ?? null, "NAMED");
    const notes: string[] = [];
    if (!input.shopId && !input.labId && user.homeLabId) {
      const home = await this.atHomeLab(user.homeLabId, input, req);
      if ("errors" in home) return home;
      if (home.chosen) return home.chosen;
      notes.push(home.note);
      req.homeLabId = user.homeLabId; // the chosen lab's reasons say why the home lab was passed over
    }
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
      const priced = await this.pricing.quoteAt(req.shopId, input, now);
      if (!priced.quote) return { errors: priced.errors };
      early = priced.quote;
    }
    const decision = await this.assignment.decide(req);
    if (!decision.ok) return { errors: [userError(decision.code, decision.message, decision.field)] };
    const shopId = req.shopId ?? decision.chosen.shopId;
    if (!req.shopId) notes.push(`the best lab for the order is ${decision.chosen.labId} of shop ${shopId}`);
    let quote = early;
    if (!quote) {
      const priced = await this.pricing.quoteAt(shopId, input, now);
      if (!priced.quote) return { errors: priced.errors };
      quote = priced.quote;
    }
    // The shop's group, from the price book the quote was made with (no read of its own).
    const pricing = await this.pricing.books.contextFor(shopId);
    if (!pricing) return { errors: [userError("UNKNOWN_SHOP", `No shop ${shopId}`, ["input", "shopId"])] };
    return { shopId, shopGroupId: pricing.shopGroupId, quote, record: stored(decision, notes), homeLabId: null };
  }

  /**
   * The customer's home lab (seed 001, claim 3), for an order that names neither shop nor lab: the
   * order goes there, priced at its shop, when the lab can print it (every hard rule passes);
   * otherwise `note` says why not and the order is placed as if there were no home lab.
   */
  private async atHomeLab(
    homeLabId: string,
    input: OrderInput,
    req: AssignmentRequest,
  ): Promise<
    | { chosen: { shopId: string; shopGroupId: string; quote: QuoteView; record: StoredAssignment; homeLabId: string }; note?: undefined }
    | { chosen?: undefined; note: string }
    | { errors: UserErrorData[] }
  > {
    const home = (await this.assignment.labs()).find((l) => l.id === homeLabId);
    if (!home) return { note: `the customer's home lab ${homeLabId} is not a lab any more` };
    const decision = await this.assignment.decide({ ...req, shopId: home.shopId, shopReason: "HOME_LAB", homeLabId });
    if (!decision.ok || decision.rule !== "HOME_LAB") {
      const own = decision.rejected.find((r) => r.labId === homeLabId);
      if (own) return { note: `the customer's home lab ${homeLabId} cannot print this order: ${own.reasons.join("; ")}` };
      return { note: `the customer's home lab ${homeLabId} was passed over (${decision.ok ? decision.chosen.reasons[0] : decision.message})` };
    }
    const priced = await this.pricing.quoteAt(home.shopId, input, new Date());
    if (!priced.quote) return { errors: priced.errors };
    const pricing = await this.pricing.books.contextFor(home.shopId);
    if (!pricing) return { errors: [userError("UNKNOWN_SHOP", `No shop ${home.shopId}`, ["input", "shopId"])] };
    const notes = [`the customer's home lab ${homeLabId} of shop ${home.shopId}`];
    return { chosen: { shopId: home.shopId, shopGroupId: pricing.shopGroupId, quote: priced.quote, record: stored(decision, notes), homeLabId } };
  }

  /** The labs that could print this order, best first, each with its quote (seed 000, claim 7). */
  async candidates(
    ctx: RequestContext,
    input: OrderInput,
    first = DEFAULT_LAB_CANDIDATES,
  ): Promise<{ candidates: Candidate[]; quotes: Map<string, QuoteView | null> } | { errors: UserErrorData[] }> {
    const errors = [...this.pricing.checkBounds(input), ...this.checkFulfilment(input)];
    if (!Number.isInteger(first) || first < 1 || first > MAX_LAB_CANDIDATES) {
      errors.push(userError("INVALID_FIRST", `first must be 1 to ${MAX_LAB_CANDIDATES}, got ${first}`, ["first"]));
    }
    if (errors.length > 0) return { errors };
    // The customer is choosing: every capable lab is a candidate (a named shop still restricts).
    const req = assignmentRequest({ ...input, labId: null } as OrderInput, input.shopId ?? null, "NAMED");
    const decision = await this.assignment.decide(req);
    if (!decision.ok) return { errors: [userError(decision.code, decision.message, decision.field)] };
    const candidates = decision.candidates.slice(0, first);
    const quotes = new Map<string, QuoteView | null>();
    const now = new Date();
    for (const c of candidates) {
      if (!quotes.has(c.shopId)) quotes.set(c.shopId, (await this.pricing.quoteAt(c.shopId, input, now)).quote);
    }
    return { candidates, quotes };
  }
}

/**
 * What the confirmation needs of the request besides the order's rows: the named shop and lab, the
 * flow, the design templates (the confirmation reads no items) and the home lab that was chosen.
 */
function placedRequest(input: OrderInput, homeLabId: string | null, customerReference: string | null): Record<string, unknown> {
  const request: Record<string, unknown> = {
    shopId: input.shopId ?? null,
    labId: input.labId ?? null,
    fulfilment: input.fulfilment ?? null,
    customerReference,
  };
  const templates = designTemplatesOf(input);
  if (templates.length > 0) request.designTemplateIds = templates;
  if (homeLabId !== null) request.homeLabId = homeLabId;
  return request;
}

/** What `placeConfirmedAt` is asked to place: at this shop and lab, for this shoot. */
export interface FixedPlacement {
  shopId: string;
  labId: string;
  shootId: string;
  subOrders: OrderInput["subOrders"];
  /** Where a refusal of the lab points (the field that fixed it). */
  labField: string[];
  /** Why this lab, kept with the order's assignment record. */
  notes: string[];
}

/** The sub-order and item rows of a new order. */
function orderParts(orderId: string, input: OrderInput): { subs: SubOrderEntity[]; items: OrderItemEntity[] } {
  const subs = input.subOrders.map((s, i) => Object.assign(new SubOrderEntity(), { orderId, seq: i + 1, serviceId: s.serviceId, sheets: s.sheets }));
  const items = input.subOrders.flatMap((s, i) =>
    s.items.map((it, position) =>
      Object.assign(new OrderItemEntity(), {
        id: randomUUID(),
        orderId,
        subOrderSeq: i + 1,
        position,
        imageId: it.imageId,
        designTemplateId: (it as { designTemplateId?: string | null }).designTemplateId ?? null,
        layoutJson: it.layout ? JSON.stringify(it.layout) : null,
      }),
    ),
  );
  return { subs, items };
}

/** A refusal's field without the leading "input" of an order input (the sub-orders are an argument of their own). */
function outsideInput(e: UserErrorData): UserErrorData {
  return e.field?.[0] === "input" ? { ...e, field: e.field.slice(1) } : e;
}

/**
 * The order a customer already placed with this idempotency key (null: none): the same order for
 * the same request, IDEMPOTENCY_KEY_REUSED for a different one. Reorders keep the same rule.
 */
export async function orderOfIdempotencyKey(ctx: RequestContext, userId: string, key: string, hash: string): Promise<Outcome<OrderEntity> | null> {
  const existing = await ctx.app.ds.getRepository(OrderEntity).findOne({ where: { customerUserId: userId, idempotencyKey: key } });
  if (!existing) return null;
  if (existing.requestHash !== hash) {
    return { value: null, errors: [userError("IDEMPOTENCY_KEY_REUSED", "This idempotencyKey was used for a different order", ["idempotencyKey"])] };
  }
  return { value: existing, errors: [] };
}
