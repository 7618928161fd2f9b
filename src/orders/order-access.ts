/**
 * Who may act on an order: the calling person, an admin's scope over a shop, the order as its
 * customer or an admin in scope may act on it; and the request's memory of the orders it placed.
 */
import type { EntityManager } from "typeorm";
import { forbidden, RollbackWithErrors, userError } from "../common/errors";
import { ShopEntity } from "../catalog/shop.entity";
import type { RequestContext } from "../core/request-context";
import { Role } from "../identity/role";
import { adminGroupId, adminShopId, isCenterAdmin } from "../identity/scope";
import type { UserEntity } from "../identity/user.entity";
import { OrderEntity, type OrderItemEntity, type SubOrderEntity } from "./order.entity";

/** Request memo key: the sub-orders and items of the orders this request placed. */
const PLACED_HERE = "orders:placed-here";

/** The sub-orders and items of the orders this request placed, by order id. */
export function placedHere(ctx: RequestContext): Map<string, { subs: SubOrderEntity[]; items: OrderItemEntity[] }> {
  let m = ctx.memo.get(PLACED_HERE) as Map<string, { subs: SubOrderEntity[]; items: OrderItemEntity[] }> | undefined;
  if (!m) ctx.memo.set(PLACED_HERE, (m = new Map()));
  return m;
}

/** The calling person (orders are placed by people, not labs). */
export function person(ctx: RequestContext): UserEntity {
  if (ctx.auth.kind !== "user") throw forbidden("Orders are placed by people");
  return ctx.auth.user;
}

/** The order if the caller may act on it: its customer (when allowed) or an admin in scope. */
export async function orderInScope(ctx: RequestContext, em: EntityManager, orderId: string, customerMay: boolean): Promise<OrderEntity> {
  const order = await em.findOne(OrderEntity, { where: { id: orderId } });
  if (!order) throw new RollbackWithErrors([userError("NOT_FOUND", `No order ${orderId}`, ["orderId"])]);
  if (ctx.auth.kind === "user" && ctx.auth.user.role === Role.GENERAL_USER) {
    if (customerMay && order.customerUserId === ctx.auth.user.id) return order;
    if (order.customerUserId !== ctx.auth.user.id) throw new RollbackWithErrors([userError("NOT_FOUND", `No order ${orderId}`, ["orderId"])]);
    throw forbidden("Only admins move orders between labs");
  }
  if (order.shopId && (await adminManagesShop(ctx, em, order.shopId))) return order;
  throw forbidden(`Order ${orderId} is outside your scope`);
}

/** Whether the calling admin administers the shop (a center admin: every shop). */
export async function adminManagesShop(ctx: RequestContext, em: EntityManager, shopId: string): Promise<boolean> {
  if (isCenterAdmin(ctx)) return true;
  if (adminShopId(ctx) !== null) return adminShopId(ctx) === shopId;
  const group = adminGroupId(ctx);
  if (group === null) return false;
  const shop = await em.findOne(ShopEntity, { where: { id: shopId } });
  return shop?.shopGroupId === group;
}
