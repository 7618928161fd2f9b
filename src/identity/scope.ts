/**
 * Scope rules shared by every domain: which shop groups and shops a caller administers. The auth
 * checker has already admitted the role; these answer "this admin, this shop".
 */
import type { EntityManager } from "typeorm";
import { ShopEntity } from "../catalog/shop.entity";
import type { RequestContext } from "../core/request-context";
import { Role } from "./role";

export function isCenterAdmin(ctx: RequestContext): boolean {
  return ctx.auth.kind === "user" && ctx.auth.user.role === Role.CENTER_ADMIN;
}

/** The group a group admin administers, or null for anyone else. */
export function adminGroupId(ctx: RequestContext): string | null {
  return ctx.auth.kind === "user" && ctx.auth.user.role === Role.SHOP_GROUP_ADMIN ? ctx.auth.user.shopGroupId : null;
}

/** The shop a shop admin administers, or null for anyone else. */
export function adminShopId(ctx: RequestContext): string | null {
  return ctx.auth.kind === "user" && ctx.auth.user.role === Role.SHOP_ADMIN ? ctx.auth.user.shopId : null;
}

/** Center admins manage every group; a group admin their own. */
export function managesGroup(ctx: RequestContext, shopGroupId: string | null): boolean {
  if (isCenterAdmin(ctx)) return true;
  return shopGroupId !== null && adminGroupId(ctx) === shopGroupId;
}

/** Center admins and the shop's group admin manage a shop's settings (its labs, its prices). */
export async function managesShopAsGroup(ctx: RequestContext, em: EntityManager, shopId: string): Promise<boolean> {
  if (isCenterAdmin(ctx)) return true;
  const group = adminGroupId(ctx);
  if (group === null) return false;
  const shop = await em.findOne(ShopEntity, { where: { id: shopId }, select: { id: true, shopGroupId: true } });
  return shop !== null && shop.shopGroupId === group;
}

/** Whether the caller administers the shop: its shop admin, its group's admin, or a center admin. */
export async function managesShop(ctx: RequestContext, em: EntityManager, shopId: string): Promise<boolean> {
  if (adminShopId(ctx) !== null) return adminShopId(ctx) === shopId;
  return managesShopAsGroup(ctx, em, shopId);
}
