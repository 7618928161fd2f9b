/**
 * Shop groups and shops, and the group a shop belongs to (seed 003): the center admin registers,
 * corrects, moves and deletes them; a group admin may rename their own group. See catalog-admin.ts
 * for the rules every catalog admin operation follows.
 */
import { forbidden, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { checkLocation, checkName, checkNewId, duplicateId } from "../common/catalog-checks";
import { blankToNull, deleteOrReject, exact, ids, insertOrReject, usesMessage, type GeoPointData } from "../common/catalog-writes";
import { constraintKind } from "../db/driver-errors";
import { inTransaction, rejectIf, type Outcome } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { UserEntity } from "../identity/user.entity";
import { managesGroup } from "../identity/scope";
import { LabEntity } from "../labs/lab.entity";
import { actorName, type ChangeScope } from "../notifications/notifications.service";
import { PriceRowEntity } from "../pricing/price-row.entity";
import { ShopPriceAllowanceEntity } from "../pricing/shop-price-allowance.entity";
import { invalidatePrices, notFound, reportChange, requireCenterAdmin, requireCenterOrGroupAdmin, type NameChange, type NamedInput } from "./catalog-admin";
import { ShopGroupEntity } from "./shop-group.entity";
import { ShopEntity } from "./shop.entity";
import { TemplateEntity } from "./template.entity";
import type { OrdersService } from "../orders/orders.service";
import type { NotificationsService } from "../notifications/notifications.service";

export type { GeoPointData };
export interface ShopInput {
  id: string;
  name: string;
  shopGroupId: string;
  location?: GeoPointData | null;
  postalCode?: string | null;
  region?: string | null;
}
export interface ShopChange {
  name?: string | null;
  location?: GeoPointData | null;
  postalCode?: string | null;
  region?: string | null;
}

/** Shop groups and shops: the write side, with their scopes, checks and change reports. */
export class ShopsAdminService {
  constructor(
    private readonly orders: OrdersService,
    private readonly notifications: NotificationsService,
  ) {}

  // --- Shop groups -----------------------------------------------------------------------------

  async createShopGroup(ctx: RequestContext, input: NamedInput): Promise<Outcome<ShopGroupEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const errors: UserErrorData[] = [];
      await checkNewId(tx.em, ShopGroupEntity, "shop group", input.id, ["input", "id"], errors);
      const name = checkName(input.name, ["input", "name"], errors);
      rejectIf(errors);
      const group = Object.assign(new ShopGroupEntity(), { id: input.id, name: name! });
      await insertOrReject(tx.em, ShopGroupEntity, group, () => [duplicateId("shop group", input.id, ["input", "id"])]);
      await reportChange(this.notifications, ctx, tx, "SHOP_GROUP_CREATED", `Shop group ${group.id} "${group.name}" was created by ${actorName(ctx)}`, {
        kind: "GROUP",
        shopGroupId: group.id,
      });
      tx.emit("invalidate", { kind: "catalog" });
      return group;
    });
  }

  /** The center admin renames any group; a group admin their own (the name is all there is to correct). */
  async updateShopGroup(ctx: RequestContext, id: string, input: NameChange): Promise<Outcome<ShopGroupEntity>> {
    requireCenterOrGroupAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const group = await exact(tx.em, ShopGroupEntity, "id", id, true);
      if (!group) throw notFound("shop group", id, ["id"]);
      if (!managesGroup(ctx, group.id)) throw forbidden(`Shop group ${group.id} is not yours to change`);
      const errors: UserErrorData[] = [];
      const name = input.name != null ? checkName(input.name, ["input", "name"], errors) : undefined;
      rejectIf(errors);
      if (name === undefined || name === group.name) return group;
      const before = group.name;
      group.name = name;
      await tx.em.update(ShopGroupEntity, { id: group.id }, { name });
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "SHOP_GROUP_UPDATED",
        `Shop group ${group.id} was renamed from "${before}" to "${name}" by ${actorName(ctx)}`,
        { kind: "GROUP", shopGroupId: group.id },
      );
      tx.emit("invalidate", { kind: "catalog" });
      return group;
    });
  }

  async deleteShopGroup(ctx: RequestContext, id: string): Promise<Outcome<ShopGroupEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const group = await exact(tx.em, ShopGroupEntity, "id", id, true);
      if (!group) throw notFound("shop group", id, ["id"]);
      const subject = `Shop group ${group.id}`;
      const inUse = usesMessage(subject, [
        ["shops", await ids(tx.em, ShopEntity, { shopGroupId: group.id }, "id")],
        ["templates", await ids(tx.em, TemplateEntity, { shopGroupId: group.id }, "id")],
        ["price rows", await ids(tx.em, PriceRowEntity, { shopGroupId: group.id }, "id")],
        ["users", await ids(tx.em, UserEntity, { shopGroupId: group.id }, "login")],
        ["orders", await this.orders.idsUsing(tx.em, { shopGroupId: group.id })],
      ]);
      if (inUse) throw new RollbackWithErrors([userError("IN_USE", inUse, ["id"])]);
      await reportChange(this.notifications, ctx, tx, "SHOP_GROUP_DELETED", `Shop group ${group.id} "${group.name}" was deleted by ${actorName(ctx)}`, {
        kind: "GROUP",
        shopGroupId: group.id,
      });
      await deleteOrReject(tx.em, ShopGroupEntity, { id: group.id }, subject);
      tx.emit("invalidate", { kind: "catalog" });
      return group;
    });
  }

  // --- Shops -----------------------------------------------------------------------------------

  async createShop(ctx: RequestContext, input: ShopInput): Promise<Outcome<ShopEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const errors: UserErrorData[] = [];
      await checkNewId(tx.em, ShopEntity, "shop", input.id, ["input", "id"], errors);
      const name = checkName(input.name, ["input", "name"], errors);
      if (!(await exact(tx.em, ShopGroupEntity, "id", input.shopGroupId))) {
        errors.push(userError("UNKNOWN_SHOP_GROUP", `No shop group ${input.shopGroupId}`, ["input", "shopGroupId"]));
      }
      checkLocation(input.location, ["input", "location"], errors);
      rejectIf(errors);
      const shop = Object.assign(new ShopEntity(), {
        id: input.id,
        name: name!,
        shopGroupId: input.shopGroupId,
        adminUserId: null,
        lat: input.location?.lat ?? null,
        lng: input.location?.lng ?? null,
        postalCode: blankToNull(input.postalCode),
        region: blankToNull(input.region),
      });
      // A group deleted meanwhile fails the foreign key: the same answer as if it had never been.
      await insertOrReject(tx.em, ShopEntity, shop, (kind) =>
        kind === "unique"
          ? [duplicateId("shop", input.id, ["input", "id"])]
          : [userError("UNKNOWN_SHOP_GROUP", `No shop group ${input.shopGroupId}`, ["input", "shopGroupId"])],
      );
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "SHOP_CREATED",
        `Shop ${shop.id} "${shop.name}" was created in shop group ${shop.shopGroupId} by ${actorName(ctx)}`,
        { kind: "SHOP", shopId: shop.id },
      );
      tx.emit("invalidate", { kind: "catalog" });
      return shop;
    });
  }

  async updateShop(ctx: RequestContext, id: string, input: ShopChange): Promise<Outcome<ShopEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const shop = await exact(tx.em, ShopEntity, "id", id, true);
      if (!shop) throw notFound("shop", id, ["id"]);
      const errors: UserErrorData[] = [];
      const name = input.name != null ? checkName(input.name, ["input", "name"], errors) : undefined;
      checkLocation(input.location, ["input", "location"], errors);
      rejectIf(errors);
      const change: Partial<ShopEntity> = {};
      if (name !== undefined && name !== shop.name) change.name = name;
      if (input.location !== undefined) {
        const lat = input.location?.lat ?? null;
        const lng = input.location?.lng ?? null;
        if (lat !== shop.lat || lng !== shop.lng) Object.assign(change, { lat, lng });
      }
      if (input.postalCode !== undefined && blankToNull(input.postalCode) !== shop.postalCode) change.postalCode = blankToNull(input.postalCode);
      if (input.region !== undefined && blankToNull(input.region) !== shop.region) change.region = blankToNull(input.region);
      const fields = Object.keys(change).map((k) => (k === "lat" || k === "lng" ? "location" : k));
      if (fields.length === 0) return shop;
      Object.assign(shop, change);
      await tx.em.update(ShopEntity, { id: shop.id }, change);
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "SHOP_UPDATED",
        `Shop ${shop.id} "${shop.name}" was corrected by ${actorName(ctx)} (${[...new Set(fields)].join(", ")})`,
        { kind: "SHOP", shopId: shop.id },
      );
      tx.emit("invalidate", { kind: "catalog" });
      return shop;
    });
  }

  /**
   * Moves a shop to another group: from now on that group's templates and prices apply to it (its
   * own templates and prices stay). Both groups' admins and the shop's admin are told.
   */
  async moveShopToGroup(ctx: RequestContext, shopId: string, shopGroupId: string): Promise<Outcome<ShopEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const shop = await exact(tx.em, ShopEntity, "id", shopId, true);
      if (!shop) throw notFound("shop", shopId, ["shopId"]);
      if (!(await exact(tx.em, ShopGroupEntity, "id", shopGroupId))) {
        throw new RollbackWithErrors([userError("UNKNOWN_SHOP_GROUP", `No shop group ${shopGroupId}; a shop cannot be left without one`, ["shopGroupId"])]);
      }
      if (shop.shopGroupId === shopGroupId) return shop;
      const notifications = this.notifications;
      const scope: ChangeScope = { kind: "SHOP", shopId: shop.id };
      const before = await notifications.recipients(ctx, tx.em, scope);
      const from = shop.shopGroupId;
      shop.shopGroupId = shopGroupId;
      try {
        await tx.em.update(ShopEntity, { id: shop.id }, { shopGroupId });
      } catch (e) {
        if (constraintKind(e) === "foreign") throw new RollbackWithErrors([userError("UNKNOWN_SHOP_GROUP", `No shop group ${shopGroupId}`, ["shopGroupId"])]);
        throw e;
      }
      const after = await notifications.recipients(ctx, tx.em, scope);
      await notifications.send(
        ctx,
        tx,
        [...before, ...after],
        "SHOP_MOVED",
        `Shop ${shop.id} "${shop.name}" was moved from shop group ${from} to ${shopGroupId} by ${actorName(ctx)}`,
        { shopId: shop.id, shopGroupId },
      );
      invalidatePrices(tx);
      return shop;
    });
  }

  async deleteShop(ctx: RequestContext, id: string): Promise<Outcome<ShopEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const shop = await exact(tx.em, ShopEntity, "id", id, true);
      if (!shop) throw notFound("shop", id, ["id"]);
      const subject = `Shop ${shop.id}`;
      const inUse = usesMessage(subject, [
        ["labs", await ids(tx.em, LabEntity, { shopId: shop.id }, "id")],
        ["templates", await ids(tx.em, TemplateEntity, { shopId: shop.id }, "id")],
        ["price rows", await ids(tx.em, PriceRowEntity, { shopId: shop.id }, "id")],
        ["allowances of products", await ids(tx.em, ShopPriceAllowanceEntity, { shopId: shop.id }, "productId")],
        ["users", await ids(tx.em, UserEntity, { shopId: shop.id }, "login")],
        ["orders", await this.orders.idsUsing(tx.em, { shopId: shop.id })],
      ]);
      if (inUse) throw new RollbackWithErrors([userError("IN_USE", inUse, ["id"])]);
      // Told before the row goes: the shop's group (whose admins are concerned) is read from it.
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "SHOP_DELETED",
        `Shop ${shop.id} "${shop.name}" of shop group ${shop.shopGroupId} was deleted by ${actorName(ctx)}`,
        { kind: "SHOP", shopId: shop.id },
      );
      await deleteOrReject(tx.em, ShopEntity, { id: shop.id }, subject);
      invalidatePrices(tx);
      return shop;
    });
  }
}
