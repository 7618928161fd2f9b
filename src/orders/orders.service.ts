/**
 * Reading orders: one order or a page of those the caller may see, their sub-orders and items in
 * batches, who may read an order's assignment, what deleting a shop or service would orphan; and
 * the customer's home shop.
 */
import { Brackets, In, type EntityManager } from "typeorm";
import { badInput, forbidden, RollbackWithErrors, unauthenticated, userError } from "../common/errors";
import type { OrderUpdate } from "../core/events";
import { ShopEntity } from "../catalog/shop.entity";
import { LabEntity } from "../labs/lab.entity";
import { inTransaction, type Outcome } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { loadOne } from "../core/loaders";
import { Role } from "../identity/role";
import { adminGroupId, adminShopId, isCenterAdmin } from "../identity/scope";
import { UserEntity } from "../identity/user.entity";
import type { OrderStatus } from "./order-state";
import { OrderEntity, OrderItemEntity, SubOrderEntity } from "./order.entity";
import { adminManagesShop, orderInScope, person, placedHere } from "./order-access";
import { decodeCursor, hashInput, stored, transitionPatch } from "./order-rules";
import { insertOrderRows } from "./order.rows";
import type { AssignmentDecision } from "../assignment/lab-ranking";
import { customerReferenceOf, dueAtOf, fulfilmentOf, type FulfilmentView } from "./order-fulfilment";
import { updateOrderAt } from "./order.rows";
import type { OrderEvent } from "./order-state";
import { forUpdate } from "../db/locks";

export interface OrderPage {
  orders: OrderEntity[];
  hasNextPage: boolean;
}

const MAX_PAGE = 100;

/** The order states after which an order never needs its images again (printed, or ended unprinted). */
const ENDED_FOR_IMAGES: OrderStatus[] = ["PRINTED", "SHIPPED", "COMPLETED", "CANCELLED", "FAILED"];

export class OrdersService {
  /**
   * For flows that place orders of their own (reorders): the order with its sub-orders and items
   * inserted in the caller's transaction, as placeOrder stores them.
   */
  insertPlaced(em: EntityManager, order: OrderEntity, subs: readonly SubOrderEntity[], items: readonly OrderItemEntity[]): Promise<void> {
    return insertOrderRows(em, order, subs, items);
  }

  /** The digest an order's request is stored with (the same input, the same hash, whatever the key order). */
  requestHash(input: unknown): string {
    return hashInput(input);
  }

  /** The assignment decision as stored with an order (what Order.assignment shows admins), as JSON. */
  assignmentRecord(decision: Extract<AssignmentDecision, { ok: true }>, notes: string[]): string {
    return JSON.stringify(stored(decision, notes));
  }

  /** Who may act on an order (its customer, or admins in scope), and whether the customer may. */
  inScope(ctx: RequestContext, em: EntityManager, orderId: string, customerMay: boolean): Promise<OrderEntity> {
    return orderInScope(ctx, em, orderId, customerMay);
  }

  // ---------------------------------------------------------------- home shop

  async setHomeShop(ctx: RequestContext, shopId: string | null): Promise<Outcome<UserEntity>> {
    const user = person(ctx);
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

  /**
   * Registers (or clears, with null) a customer's home lab (seed 001, claim 3): their orders that
   * name neither shop nor lab go there when it can print them. A customer sets their own; an admin
   * sets a customer's (`userId`) to a lab of a shop they manage.
   */
  async setHomeLab(ctx: RequestContext, labId: string | null, userId: string | null): Promise<Outcome<UserEntity>> {
    const caller = ctx.auth;
    if (caller.kind !== "user") throw unauthenticated();
    const forSelf = userId === null || userId === caller.user.id;
    if (forSelf && caller.user.role !== Role.GENERAL_USER) throw forbidden("Only a customer has a home lab: name the customer (userId)");
    if (!forSelf && caller.user.role === Role.GENERAL_USER) throw forbidden("A customer sets only their own home lab");
    const targetId = forSelf ? caller.user.id : userId!;
    return inTransaction(ctx, async ({ em, emit }) => {
      const target = await em.findOne(UserEntity, { where: { id: targetId } });
      if (!target || target.id !== targetId || target.role !== Role.GENERAL_USER) {
        throw new RollbackWithErrors([userError("NOT_FOUND", `No customer ${targetId}`, ["userId"])]);
      }
      if (labId !== null) {
        const lab = await em.findOne(LabEntity, { where: { id: labId } });
        if (!lab || lab.id !== labId) throw new RollbackWithErrors([userError("UNKNOWN_LAB", `No lab ${labId}`, ["labId"])]);
        if (!forSelf && !(await adminManagesShop(ctx, em, lab.shopId))) throw forbidden(`Lab ${labId} is outside your scope`);
      } else if (!forSelf && target.homeLabId !== null) {
        const current = await em.findOne(LabEntity, { where: { id: target.homeLabId } });
        if (current && !(await adminManagesShop(ctx, em, current.shopId))) throw forbidden(`Lab ${target.homeLabId} is outside your scope`);
      }
      emit("invalidate", { kind: "users", key: target.id });
      await em.update(UserEntity, { id: target.id }, { homeLabId: labId, updatedAt: new Date() });
      target.homeLabId = labId;
      return target;
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
    const qb = ctx.app.ds
      .getRepository(OrderItemEntity)
      .createQueryBuilder("i")
      .innerJoin(OrderEntity, "o", "o.id = i.order_id")
      .where("i.image_id = :img", { img: imageId });
    if (shop !== null) qb.andWhere("o.shop_id = :myShop", { myShop: shop });
    else qb.andWhere("o.shop_group_id = :myGroup", { myGroup: group });
    return (await qb.select("i.order_id", "orderId").limit(1).getRawOne()) !== undefined;
  }

  /** Of these images, those an order the calling admin administers holds (a center admin: all), in one query. */
  async imagesInAdminScope(ctx: RequestContext, imageIds: readonly string[]): Promise<Set<string>> {
    if (isCenterAdmin(ctx)) return new Set(imageIds);
    const shop = adminShopId(ctx);
    const group = adminGroupId(ctx);
    if ((shop === null && group === null) || imageIds.length === 0) return new Set();
    const qb = ctx.app.ds
      .getRepository(OrderItemEntity)
      .createQueryBuilder("i")
      .innerJoin(OrderEntity, "o", "o.id = i.order_id")
      .where("i.image_id IN (:...imgs)", { imgs: [...imageIds] });
    if (shop !== null) qb.andWhere("o.shop_id = :myShop", { myShop: shop });
    else qb.andWhere("o.shop_group_id = :myGroup", { myGroup: group });
    const rows = await qb.select("DISTINCT i.image_id", "imageId").getRawMany<{ imageId: string }>();
    return new Set(rows.map((r) => r.imageId));
  }

  /** One order, if the caller may see it (else null, as if it did not exist). */
  /**
   * A customer's order updates (the events of their own orders only: the topic is routed by
   * customer). Anonymous callers: UNAUTHENTICATED; admins and labs: FORBIDDEN (admins follow
   * orders through `orders`; labs through `printJobs`).
   */
  orderUpdates(ctx: RequestContext): AsyncIterable<OrderUpdate> {
    if (ctx.auth.kind === "anonymous") throw unauthenticated();
    if (ctx.auth.kind !== "user" || ctx.auth.user.role !== Role.GENERAL_USER) throw forbidden("Order updates are for customers");
    return ctx.app.events.subscribe("orderUpdate", ctx.auth.user.id);
  }

  /**
   * The order an update names, as the caller may read it, in the status the change made (it may
   * have moved on since: each change is sent in turn); null when the caller may no longer read it.
   */
  async updated(ctx: RequestContext, event: OrderUpdate): Promise<OrderEntity | null> {
    const order = await this.get(ctx, event.orderId);
    return order ? Object.assign(order, { status: event.status as OrderStatus }) : null;
  }

  async get(ctx: RequestContext, id: string): Promise<OrderEntity | null> {
    const page = await this.list(ctx, { first: 1, after: null, filter: {}, ids: [id] });
    return page.orders[0] ?? null;
  }

  /** An order the caller may see (as `get`), read with the request's others in one batch; else null. */
  order(ctx: RequestContext, id: string | null | undefined): Promise<OrderEntity | null> {
    return loadOne(ctx, "orders:order", id, async (ids) => {
      const found = new Map<string, OrderEntity>();
      for (let i = 0; i < ids.length; i += MAX_PAGE) {
        const chunk = ids.slice(i, i + MAX_PAGE);
        for (const o of (await this.list(ctx, { first: chunk.length, after: null, filter: {}, ids: chunk })).orders) found.set(o.id, o);
      }
      return found;
    });
  }

  /** A page of the orders the caller may see, newest first. One query, whatever the page size. */
  async list(
    ctx: RequestContext,
    args: {
      first: number;
      after: string | null;
      filter: { status?: OrderStatus[] | null; shopId?: string | null; labId?: string | null; placedFrom?: Date | null; placedBefore?: Date | null };
      ids?: string[];
    },
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
    const rows = await qb
      .orderBy("o.placed_at", "DESC")
      .addOrderBy("o.id", "DESC")
      .take(first + 1)
      .getMany();
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

  /**
   * The order's handover (method, speed, address and recipient) as the customer gave it. The
   * address is personal: a lab sees it only while the order is at that lab, like the items.
   */
  fulfilment(ctx: RequestContext, order: OrderEntity): FulfilmentView | null {
    if (ctx.auth.kind === "lab" && order.labId !== ctx.auth.labId) return null;
    return order.requestJson ? fulfilmentOf(order.requestJson) : null;
  }

  /** The customer's own reference; a lab sees it only while the order is at that lab, like the handover. */
  customerReference(ctx: RequestContext, order: OrderEntity): string | null {
    if (ctx.auth.kind === "lab" && order.labId !== ctx.auth.labId) return null;
    return order.requestJson ? customerReferenceOf(order.requestJson) : null;
  }

  /** When the order is due (see dueAtOf); null while not confirmed. */
  dueAt(ctx: RequestContext, order: OrderEntity): Date | null {
    const speed = order.requestJson ? (fulfilmentOf(order.requestJson)?.speed ?? null) : null;
    return dueAtOf(order.confirmedAt, speed, ctx.app.config.printDueHours);
  }

  /**
   * The handover as the customer gave it, whoever asks (for the center's own decisions, such as
   * whether a printed order is shipped); callers see it through `fulfilment`.
   */
  handover(order: OrderEntity): FulfilmentView | null {
    return order.requestJson ? fulfilmentOf(order.requestJson) : null;
  }

  // ---------------------------------------------------------------- changing (for other domains)

  /** The order, read to be changed in this transaction (its row held until commit on MySQL/MariaDB); null when unknown. */
  async readForChange(em: EntityManager, orderId: string): Promise<OrderEntity | null> {
    return em.findOne(OrderEntity, { where: { id: orderId }, ...forUpdate(em) });
  }

  /** Whether the calling admin administers the order's shop (a center admin: every order); never a customer or a lab. */
  async adminInScope(ctx: RequestContext, em: EntityManager, order: OrderEntity): Promise<boolean> {
    if (ctx.auth.kind !== "user" || ctx.auth.user.role === Role.GENERAL_USER || !order.shopId) return false;
    return adminManagesShop(ctx, em, order.shopId);
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

  /** Whether the caller may read an order's assignment decision: admins in scope. */
  async mayReadAssignment(ctx: RequestContext, order: OrderEntity): Promise<boolean> {
    if (ctx.auth.kind !== "user" || ctx.auth.user.role === Role.GENERAL_USER || !order.shopId) return false;
    return adminManagesShop(ctx, ctx.app.ds.manager, order.shopId);
  }

  /**
   * How many orders of a shoot may still be printed (in the transaction of `em`): any not yet
   * printed and not ended, a QUOTED one only while its quote may still be confirmed. A shoot's
   * images are kept while this is not zero (see shoots/retention.ts).
   */
  async unfinishedOfShoot(em: EntityManager, shootId: string, quoteTtlSeconds: number): Promise<number> {
    return em
      .getRepository(OrderEntity)
      .createQueryBuilder("o")
      .where("o.shoot_id = :shootId", { shootId })
      .andWhere("o.status NOT IN (:...ended)", { ended: ENDED_FOR_IMAGES })
      .andWhere(
        new Brackets((w) =>
          w.where("o.status <> :quoted", { quoted: "QUOTED" }).orWhere("o.quoted_at > :fresh", { fresh: Date.now() - quoteTtlSeconds * 1000 }),
        ),
      )
      .getCount();
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
}
