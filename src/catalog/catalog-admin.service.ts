/**
 * Registering, correcting and deleting the catalog (seed 003, Fig. 19-21): shop groups, shops and
 * the group a shop belongs to, services, products, templates with their ordered products, and
 * charged images.
 *
 * Who may do what: the center admin everything, and only they manage shops, shop groups, a shop's
 * group, services, products and charged images. A shop-group admin renames their own group and
 * manages the templates of their group and of its shops. The resolvers admit the roles; the scope
 * ("this group admin, this group") is checked here, next to the data.
 *
 * Every operation is one transaction that checks everything before its first write and returns the
 * faults as payload errors with nothing written. Ids are chosen by the caller and, like the bundle
 * import, unique per kind ignoring letter case (MariaDB compares them so), while references must
 * name an id exactly. The admins concerned are told of each change (S21016) in the same
 * transaction, and caches that price orders are invalidated after commit.
 */
import type { EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral } from "typeorm";
import { forbidden, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { checkLocation, checkIdList, checkName, checkNewId, duplicateId, type Field } from "../common/catalog-checks";
import { isSqlite } from "../db/transaction";
import { inTransaction, rejectIf, type Outcome, type Tx } from "../db/unit-of-work";
import type { RequestContext } from "../graphql/context";
import { UserEntity } from "../identity/user.entity";
import { adminGroupId, isCenterAdmin, managesGroup } from "../identity/scope";
import { actorName, type ChangeScope } from "../notifications/notifications.service";
import { ChargedImageEntity } from "../pricing/charged-image.entity";
import { PriceRowEntity } from "../pricing/price-row.entity";
import { ShopPriceAllowanceEntity } from "../pricing/shop-price-allowance.entity";
import type { TemplateView } from "./catalog.service";
import { LabEntity, LabServiceEntity } from "../labs/lab.entity";
import { ProductEntity } from "./product.entity";
import { ServiceEntity } from "./service.entity";
import { ShopGroupEntity } from "./shop-group.entity";
import { ShopEntity } from "./shop.entity";
import { TemplateEntity, TemplateProductEntity } from "./template.entity";

/** The most products a template may list. */
export const MAX_TEMPLATE_PRODUCTS = 100;
const PRODUCTS_RULE = { noun: "product", owner: "A template", emptyMessage: "A template needs at least one product", max: MAX_TEMPLATE_PRODUCTS };
/** How many users of an entity an IN_USE message names before it says "+N more". */
const MAX_NAMED_USES = 10;

export interface NamedInput {
  id: string;
  name: string;
}
export interface NameChange {
  name?: string | null;
}
export interface GeoPointData {
  lat: number;
  lng: number;
}
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
export interface TemplateInput {
  id: string;
  name: string;
  serviceId: string;
  shopGroupId?: string | null;
  shopId?: string | null;
  productIds: string[];
}
export interface TemplateChange {
  name?: string | null;
  productIds?: string[] | null;
}
export interface ChargedImageInput {
  imageId: string;
  feePerSheet: number;
  rightsHolder: string;
}
export interface ChargedImageChange {
  feePerSheet?: number | null;
  rightsHolder?: string | null;
}


/** Catalog management: the write side of the catalog, with its scopes, checks and change reports. */
export class CatalogAdminService {
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
      await this.report(ctx, tx, "SHOP_GROUP_CREATED", `Shop group ${group.id} "${group.name}" was created by ${actorName(ctx)}`, { kind: "GROUP", shopGroupId: group.id });
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
      await this.report(ctx, tx, "SHOP_GROUP_UPDATED", `Shop group ${group.id} was renamed from "${before}" to "${name}" by ${actorName(ctx)}`, { kind: "GROUP", shopGroupId: group.id });
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
        ["orders", await ctx.app.services.orders.idsUsing(tx.em, { shopGroupId: group.id })],
      ]);
      if (inUse) throw new RollbackWithErrors([userError("IN_USE", inUse, ["id"])]);
      await this.report(ctx, tx, "SHOP_GROUP_DELETED", `Shop group ${group.id} "${group.name}" was deleted by ${actorName(ctx)}`, { kind: "GROUP", shopGroupId: group.id });
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
        kind === "unique" ? [duplicateId("shop", input.id, ["input", "id"])] : [userError("UNKNOWN_SHOP_GROUP", `No shop group ${input.shopGroupId}`, ["input", "shopGroupId"])],
      );
      await this.report(ctx, tx, "SHOP_CREATED", `Shop ${shop.id} "${shop.name}" was created in shop group ${shop.shopGroupId} by ${actorName(ctx)}`, { kind: "SHOP", shopId: shop.id });
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
      await this.report(ctx, tx, "SHOP_UPDATED", `Shop ${shop.id} "${shop.name}" was corrected by ${actorName(ctx)} (${[...new Set(fields)].join(", ")})`, { kind: "SHOP", shopId: shop.id });
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
      const notifications = ctx.app.services.notifications;
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
      await notifications.send(ctx, tx, [...before, ...after], "SHOP_MOVED", `Shop ${shop.id} "${shop.name}" was moved from shop group ${from} to ${shopGroupId} by ${actorName(ctx)}`);
      this.invalidatePrices(tx);
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
        ["orders", await ctx.app.services.orders.idsUsing(tx.em, { shopId: shop.id })],
      ]);
      if (inUse) throw new RollbackWithErrors([userError("IN_USE", inUse, ["id"])]);
      // Told before the row goes: the shop's group (whose admins are concerned) is read from it.
      await this.report(ctx, tx, "SHOP_DELETED", `Shop ${shop.id} "${shop.name}" of shop group ${shop.shopGroupId} was deleted by ${actorName(ctx)}`, { kind: "SHOP", shopId: shop.id });
      await deleteOrReject(tx.em, ShopEntity, { id: shop.id }, subject);
      this.invalidatePrices(tx);
      return shop;
    });
  }

  // --- Services and products -------------------------------------------------------------------

  async createService(ctx: RequestContext, input: NamedInput): Promise<Outcome<ServiceEntity>> {
    return this.createNamed(ctx, ServiceEntity, "service", "SERVICE", input);
  }

  async updateService(ctx: RequestContext, id: string, input: NameChange): Promise<Outcome<ServiceEntity>> {
    return this.renameNamed(ctx, ServiceEntity, "service", "SERVICE", id, input);
  }

  async deleteService(ctx: RequestContext, id: string): Promise<Outcome<ServiceEntity>> {
    return this.deleteNamed(ctx, ServiceEntity, "service", "SERVICE", id, async (em, service) => [
      ["templates", await ids(em, TemplateEntity, { serviceId: service.id }, "id")],
      ["labs", await ids(em, LabServiceEntity, { serviceId: service.id }, "labId")],
      ["orders", await ctx.app.services.orders.idsUsing(em, { serviceId: service.id })],
    ]);
  }

  async createProduct(ctx: RequestContext, input: NamedInput): Promise<Outcome<ProductEntity>> {
    return this.createNamed(ctx, ProductEntity, "product", "PRODUCT", input);
  }

  async updateProduct(ctx: RequestContext, id: string, input: NameChange): Promise<Outcome<ProductEntity>> {
    return this.renameNamed(ctx, ProductEntity, "product", "PRODUCT", id, input);
  }

  async deleteProduct(ctx: RequestContext, id: string): Promise<Outcome<ProductEntity>> {
    return this.deleteNamed(ctx, ProductEntity, "product", "PRODUCT", id, async (em, product) => [
      ["templates", await ids(em, TemplateProductEntity, { productId: product.id }, "templateId")],
      ["price rows", await ids(em, PriceRowEntity, { productId: product.id }, "id")],
      ["allowances of shops", await ids(em, ShopPriceAllowanceEntity, { productId: product.id }, "shopId")],
    ]);
  }

  // --- Templates -------------------------------------------------------------------------------

  async createTemplate(ctx: RequestContext, input: TemplateInput): Promise<Outcome<TemplateView>> {
    requireCenterOrGroupAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const errors: UserErrorData[] = [];
      const hasGroup = input.shopGroupId != null;
      const hasShop = input.shopId != null;
      let owner: ChangeScope | null = null;
      if (hasGroup && hasShop) {
        errors.push(userError("INVALID_SCOPE", "A template belongs to a shop group or to a shop, not both", ["input", "shopId"]));
      } else if (!hasGroup && !hasShop) {
        errors.push(userError("INVALID_SCOPE", "A template needs shopGroupId (a group's) or shopId (a shop's own)", ["input", "shopGroupId"]));
      } else if (hasGroup) {
        const group = await exact(tx.em, ShopGroupEntity, "id", input.shopGroupId!);
        if (!group) errors.push(userError("UNKNOWN_SHOP_GROUP", `No shop group ${input.shopGroupId}`, ["input", "shopGroupId"]));
        else if (!managesGroup(ctx, group.id)) throw forbidden(`Shop group ${group.id} is not yours to manage`);
        else owner = { kind: "GROUP", shopGroupId: group.id };
      } else {
        const shop = await exact(tx.em, ShopEntity, "id", input.shopId!);
        if (!shop) errors.push(userError("UNKNOWN_SHOP", `No shop ${input.shopId}`, ["input", "shopId"]));
        else if (!managesGroup(ctx, shop.shopGroupId)) throw forbidden(`Shop ${shop.id} is not in a group of yours`);
        else owner = { kind: "SHOP", shopId: shop.id };
      }
      await checkNewId(tx.em, TemplateEntity, "template", input.id, ["input", "id"], errors);
      const name = checkName(input.name, ["input", "name"], errors);
      const service = await exact(tx.em, ServiceEntity, "id", input.serviceId);
      if (!service) errors.push(userError("UNKNOWN_SERVICE", `No service ${input.serviceId}`, ["input", "serviceId"]));
      if (service && owner) {
        const where: FindOptionsWhere<TemplateEntity> =
          owner.kind === "GROUP" ? { shopGroupId: owner.shopGroupId, serviceId: service.id } : { shopId: owner.shopId, serviceId: service.id };
        const other = await tx.em.findOne(TemplateEntity, { where });
        if (other) errors.push(userError("DUPLICATE_TEMPLATE", `${ownerLabel(owner)} has a template for service ${service.id} already (${other.id})`, ["input", "serviceId"]));
      }
      await checkIdList(tx.em, ProductEntity, input.productIds, ["input", "productIds"], errors, PRODUCTS_RULE);
      rejectIf(errors);
      const template = Object.assign(new TemplateEntity(), {
        id: input.id,
        name: name!,
        serviceId: input.serviceId,
        shopGroupId: owner!.kind === "GROUP" ? owner!.shopGroupId : null,
        shopId: owner!.kind === "SHOP" ? owner!.shopId : null,
      });
      // A racing twin fails a unique index: the primary key (the id) or one template per owner and service.
      await insertOrReject(tx.em, TemplateEntity, template, (kind, e) =>
        kind === "foreign"
          ? [userError("UNKNOWN_REFERENCE", "The shop group, shop or service was deleted meanwhile", ["input"])]
          : violatesOneTemplatePerService(e)
            ? [userError("DUPLICATE_TEMPLATE", `${ownerLabel(owner!)} has a template for service ${input.serviceId} already`, ["input", "serviceId"])]
            : [duplicateId("template", input.id, ["input", "id"])],
      );
      await this.writeProducts(tx, template.id, input.productIds);
      await this.report(
        ctx,
        tx,
        "TEMPLATE_CREATED",
        `Template ${template.id} "${template.name}" for service ${template.serviceId} (${ownerLabel(owner!)}, products ${input.productIds.join(", ")}) was created by ${actorName(ctx)}`,
        owner!,
      );
      this.invalidatePrices(tx);
      return view(template, input.productIds);
    });
  }

  async updateTemplate(ctx: RequestContext, id: string, input: TemplateChange): Promise<Outcome<TemplateView>> {
    requireCenterOrGroupAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const { template, owner } = await this.templateInScope(ctx, tx, id, ["id"]);
      const errors: UserErrorData[] = [];
      const name = input.name != null ? checkName(input.name, ["input", "name"], errors) : undefined;
      if (input.productIds != null) await checkIdList(tx.em, ProductEntity, input.productIds, ["input", "productIds"], errors, PRODUCTS_RULE);
      rejectIf(errors);
      const current = await this.productsOf(tx.em, template.id);
      const changes: string[] = [];
      if (name !== undefined && name !== template.name) {
        changes.push(`renamed from "${template.name}" to "${name}"`);
        template.name = name;
        await tx.em.update(TemplateEntity, { id: template.id }, { name });
      }
      let productIds = current;
      if (input.productIds != null && !sameList(input.productIds, current)) {
        productIds = input.productIds;
        changes.push(`products set to ${productIds.join(", ")}`);
        await this.writeProducts(tx, template.id, productIds);
      }
      if (changes.length === 0) return view(template, current);
      await this.report(ctx, tx, "TEMPLATE_UPDATED", `Template ${template.id} (${ownerLabel(owner)}) was ${changes.join(" and ")} by ${actorName(ctx)}`, owner);
      this.invalidatePrices(tx);
      return view(template, productIds);
    });
  }

  /** Replaces a template's products with these, in this order (seed 003: the template-and-product relation). */
  async setTemplateProducts(ctx: RequestContext, templateId: string, productIds: string[]): Promise<Outcome<TemplateView>> {
    requireCenterOrGroupAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const { template, owner } = await this.templateInScope(ctx, tx, templateId, ["templateId"]);
      const errors: UserErrorData[] = [];
      await checkIdList(tx.em, ProductEntity, productIds, ["productIds"], errors, PRODUCTS_RULE);
      rejectIf(errors);
      const current = await this.productsOf(tx.em, template.id);
      if (sameList(productIds, current)) return view(template, current);
      await this.writeProducts(tx, template.id, productIds);
      await this.report(
        ctx,
        tx,
        "TEMPLATE_PRODUCTS_CHANGED",
        `The products of template ${template.id} (${ownerLabel(owner)}) were set to ${productIds.join(", ")} (were ${current.join(", ")}) by ${actorName(ctx)}`,
        owner,
      );
      this.invalidatePrices(tx);
      return view(template, productIds);
    });
  }

  async deleteTemplate(ctx: RequestContext, id: string): Promise<Outcome<TemplateView>> {
    requireCenterOrGroupAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const { template, owner } = await this.templateInScope(ctx, tx, id, ["id"]);
      const productIds = await this.productsOf(tx.em, template.id);
      await tx.em.delete(TemplateProductEntity, { templateId: template.id });
      await deleteOrReject(tx.em, TemplateEntity, { id: template.id }, `Template ${template.id}`);
      await this.report(ctx, tx, "TEMPLATE_DELETED", `Template ${template.id} "${template.name}" for service ${template.serviceId} (${ownerLabel(owner)}) was deleted by ${actorName(ctx)}`, owner);
      this.invalidatePrices(tx);
      return view(template, productIds);
    });
  }

  // --- Charged images --------------------------------------------------------------------------

  /** Every charged image: admins manage them, customers read them (they pay the fees). */
  async chargedImages(ctx: RequestContext): Promise<ChargedImageEntity[]> {
    return ctx.app.ds.getRepository(ChargedImageEntity).find({ order: { imageId: "ASC" } });
  }

  async createChargedImage(ctx: RequestContext, input: ChargedImageInput): Promise<Outcome<ChargedImageEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const errors: UserErrorData[] = [];
      await checkNewId(tx.em, ChargedImageEntity, "charged image", input.imageId, ["input", "imageId"], errors, "imageId");
      checkFee(input.feePerSheet, ["input", "feePerSheet"], errors);
      const rightsHolder = checkName(input.rightsHolder, ["input", "rightsHolder"], errors, "rightsHolder");
      rejectIf(errors);
      const image = Object.assign(new ChargedImageEntity(), { imageId: input.imageId, feePerSheet: input.feePerSheet, rightsHolder: rightsHolder! });
      await insertOrReject(tx.em, ChargedImageEntity, image, () => [duplicateId("charged image", input.imageId, ["input", "imageId"])]);
      await this.report(ctx, tx, "CHARGED_IMAGE_CREATED", `Charged image ${image.imageId} (${image.feePerSheet} per sheet, for ${image.rightsHolder}) was registered by ${actorName(ctx)}`, { kind: "SYSTEM" });
      this.invalidatePrices(tx);
      return image;
    });
  }

  async updateChargedImage(ctx: RequestContext, imageId: string, input: ChargedImageChange): Promise<Outcome<ChargedImageEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const image = await exact(tx.em, ChargedImageEntity, "imageId", imageId, true);
      if (!image) throw notFound("charged image", imageId, ["imageId"]);
      const errors: UserErrorData[] = [];
      if (input.feePerSheet != null) checkFee(input.feePerSheet, ["input", "feePerSheet"], errors);
      const rightsHolder = input.rightsHolder != null ? checkName(input.rightsHolder, ["input", "rightsHolder"], errors, "rightsHolder") : undefined;
      rejectIf(errors);
      const change: Partial<ChargedImageEntity> = {};
      const said: string[] = [];
      if (input.feePerSheet != null && input.feePerSheet !== image.feePerSheet) {
        said.push(`fee per sheet ${image.feePerSheet} -> ${input.feePerSheet}`);
        change.feePerSheet = input.feePerSheet;
      }
      if (rightsHolder !== undefined && rightsHolder !== image.rightsHolder) {
        said.push(`rights holder "${image.rightsHolder}" -> "${rightsHolder}"`);
        change.rightsHolder = rightsHolder;
      }
      if (said.length === 0) return image;
      Object.assign(image, change);
      await tx.em.update(ChargedImageEntity, { imageId: image.imageId }, change);
      await this.report(ctx, tx, "CHARGED_IMAGE_UPDATED", `Charged image ${image.imageId} was corrected by ${actorName(ctx)}: ${said.join(", ")}`, { kind: "SYSTEM" });
      this.invalidatePrices(tx);
      return image;
    });
  }

  async deleteChargedImage(ctx: RequestContext, imageId: string): Promise<Outcome<ChargedImageEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const image = await exact(tx.em, ChargedImageEntity, "imageId", imageId, true);
      if (!image) throw notFound("charged image", imageId, ["imageId"]);
      await tx.em.delete(ChargedImageEntity, { imageId: image.imageId });
      await this.report(ctx, tx, "CHARGED_IMAGE_DELETED", `Charged image ${image.imageId} (for ${image.rightsHolder}) was deleted by ${actorName(ctx)}; it is printed free of fees from now on`, { kind: "SYSTEM" });
      this.invalidatePrices(tx);
      return image;
    });
  }

  // --- Shared steps ----------------------------------------------------------------------------

  /** Services and products: an id and a name, managed by the center admin, reported to every admin. */
  private async createNamed<T extends ServiceEntity | ProductEntity>(
    ctx: RequestContext,
    entity: new () => T,
    what: string,
    kind: string,
    input: NamedInput,
  ): Promise<Outcome<T>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const errors: UserErrorData[] = [];
      await checkNewId(tx.em, entity, what, input.id, ["input", "id"], errors);
      const name = checkName(input.name, ["input", "name"], errors);
      rejectIf(errors);
      const row = Object.assign(new entity(), { id: input.id, name: name! });
      await insertOrReject(tx.em, entity, row, () => [duplicateId(what, input.id, ["input", "id"])]);
      await this.report(ctx, tx, `${kind}_CREATED`, `${capitalise(what)} ${row.id} "${row.name}" was created by ${actorName(ctx)}`, { kind: "SYSTEM" });
      tx.emit("invalidate", { kind: "catalog" });
      return row;
    });
  }

  private async renameNamed<T extends ServiceEntity | ProductEntity>(
    ctx: RequestContext,
    entity: new () => T,
    what: string,
    kind: string,
    id: string,
    input: NameChange,
  ): Promise<Outcome<T>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const row = await exact<T>(tx.em, entity, "id", id, true);
      if (!row) throw notFound(what, id, ["id"]);
      const errors: UserErrorData[] = [];
      const name = input.name != null ? checkName(input.name, ["input", "name"], errors) : undefined;
      rejectIf(errors);
      if (name === undefined || name === row.name) return row;
      const before = row.name;
      row.name = name;
      await tx.em.update(entity, { id: row.id } as FindOptionsWhere<T>, { name } as never);
      await this.report(ctx, tx, `${kind}_UPDATED`, `${capitalise(what)} ${row.id} was renamed from "${before}" to "${name}" by ${actorName(ctx)}`, { kind: "SYSTEM" });
      tx.emit("invalidate", { kind: "catalog" });
      return row;
    });
  }

  private async deleteNamed<T extends ServiceEntity | ProductEntity>(
    ctx: RequestContext,
    entity: new () => T,
    what: string,
    kind: string,
    id: string,
    usesOf: (em: EntityManager, row: T) => Promise<Array<[string, string[]]>>,
  ): Promise<Outcome<T>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const row = await exact<T>(tx.em, entity, "id", id, true);
      if (!row) throw notFound(what, id, ["id"]);
      const subject = `${capitalise(what)} ${row.id}`;
      const inUse = usesMessage(subject, await usesOf(tx.em, row));
      if (inUse) throw new RollbackWithErrors([userError("IN_USE", inUse, ["id"])]);
      await deleteOrReject(tx.em, entity, { id: row.id } as FindOptionsWhere<T>, subject);
      await this.report(ctx, tx, `${kind}_DELETED`, `${subject} "${row.name}" was deleted by ${actorName(ctx)}`, { kind: "SYSTEM" });
      tx.emit("invalidate", { kind: "catalog" });
      return row;
    });
  }

  /** A template the caller may manage: its group's admin (or the admin of its shop's group), or the center admin. */
  private async templateInScope(ctx: RequestContext, tx: Tx, id: string, field: Field): Promise<{ template: TemplateEntity; owner: ChangeScope }> {
    const template = await exact(tx.em, TemplateEntity, "id", id, true);
    if (!template) throw notFound("template", id, field);
    if (template.shopGroupId !== null) {
      if (!managesGroup(ctx, template.shopGroupId)) throw forbidden(`Template ${template.id} is not one of your group's`);
      return { template, owner: { kind: "GROUP", shopGroupId: template.shopGroupId } };
    }
    const shop = template.shopId !== null ? await tx.em.findOne(ShopEntity, { where: { id: template.shopId } }) : null;
    if (!shop) throw new Error(`template ${template.id} has neither a shop group nor a shop`);
    if (!managesGroup(ctx, shop.shopGroupId)) throw forbidden(`Template ${template.id} is not one of your group's shops'`);
    return { template, owner: { kind: "SHOP", shopId: shop.id } };
  }

  private async productsOf(em: EntityManager, templateId: string): Promise<string[]> {
    return (await em.find(TemplateProductEntity, { where: { templateId }, order: { position: "ASC" } })).map((l) => l.productId);
  }

  private async writeProducts(tx: Tx, templateId: string, productIds: string[]): Promise<void> {
    await tx.em.delete(TemplateProductEntity, { templateId });
    const links = productIds.map((productId, i) => Object.assign(new TemplateProductEntity(), { templateId, productId, position: i + 1 }));
    // A product deleted meanwhile fails the foreign key.
    await insertOrReject(tx.em, TemplateProductEntity, links, () => [userError("UNKNOWN_PRODUCT", "A product of this template was deleted meanwhile", ["productIds"])]);
  }

  private async report(ctx: RequestContext, tx: Tx, kind: string, message: string, scope: ChangeScope): Promise<void> {
    await ctx.app.services.notifications.reportChange(ctx, tx, { kind, message, scope });
  }

  /**
   * Quotes depend on templates, their products, a shop's group and charged images: the whole price
   * book is dropped after commit (other catalog changes say "catalog", which caches of the catalog
   * itself listen to).
   */
  private invalidatePrices(tx: Tx): void {
    tx.emit("invalidate", { kind: "prices" });
  }
}

// --- Pure helpers ------------------------------------------------------------------------------

function requireCenterAdmin(ctx: RequestContext): void {
  if (!isCenterAdmin(ctx)) throw forbidden("Only the center admin manages this");
}

/** Templates (and a group's name) are managed by the center admin and by group admins, within their group (checked per entity). */
function requireCenterOrGroupAdmin(ctx: RequestContext): void {
  if (!isCenterAdmin(ctx) && adminGroupId(ctx) === null) throw forbidden("Only the center admin and shop-group admins manage this");
}


function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function ownerLabel(owner: ChangeScope): string {
  switch (owner.kind) {
    case "GROUP":
      return `shop group ${owner.shopGroupId}`;
    case "SHOP":
      return `shop ${owner.shopId}`;
    case "SYSTEM":
      return "the system";
  }
}

function view(template: TemplateEntity, productIds: string[]): TemplateView {
  return Object.assign(template, { productIds: [...productIds] });
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function blankToNull(s: string | null | undefined): string | null {
  return s == null || s.trim() === "" ? null : s.trim();
}

function notFound(what: string, id: string, field: Field): RollbackWithErrors {
  return new RollbackWithErrors([userError("NOT_FOUND", `No ${what} ${id}`, field)]);
}



function checkFee(fee: number, field: Field, errors: UserErrorData[]): void {
  if (!Number.isSafeInteger(fee) || fee < 0) {
    errors.push(userError("NEGATIVE_CHARGE", `feePerSheet must be a whole amount of 0 or more minor units, got ${fee}`, field));
  }
}

/**
 * The row whose key is exactly this value. MariaDB compares ids ignoring letter case, SQLite does
 * not: a reference must name an id exactly on both. `lock` holds the row until commit on MariaDB
 * (SQLite runs one writer at a time anyway).
 */
async function exact<T extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<T>, key: string, value: string, lock = false): Promise<T | null> {
  const row = await em.findOne(entity, {
    where: { [key]: value } as FindOptionsWhere<T>,
    ...(lock && !isSqlite(em.connection) ? { lock: { mode: "pessimistic_write" as const } } : {}),
  });
  return row !== null && (row as Record<string, unknown>)[key] === value ? row : null;
}

/** The values of one column of the rows that match, sorted: who still uses an entity. */
async function ids<T extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<T>, where: FindOptionsWhere<T>, key: keyof T & string): Promise<string[]> {
  const rows = await em.find(entity, { where, select: { [key]: true } as never, order: { [key]: "ASC" } as never });
  return rows.map((r) => String(r[key]));
}

/** "Shop group SG01 is still used by shops SP01, SP02 and templates T01, T02", or null when unused. */
export function usesMessage(subject: string, uses: Array<[string, string[]]>): string | null {
  const parts = uses
    .filter(([, list]) => list.length > 0)
    .map(([label, list]) => `${label} ${list.slice(0, MAX_NAMED_USES).join(", ")}${list.length > MAX_NAMED_USES ? ` (+${list.length - MAX_NAMED_USES} more)` : ""}`);
  if (parts.length === 0) return null;
  const listed = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
  return `${subject} is still used by ${listed}`;
}

type ConstraintKind = "unique" | "foreign";

/** Which constraint a failed statement broke, on either engine. */
function constraintKind(e: unknown): ConstraintKind | null {
  const err = e as { code?: string; driverError?: { code?: string } };
  const code = err.driverError?.code ?? err.code;
  switch (code) {
    case "ER_DUP_ENTRY":
    case "SQLITE_CONSTRAINT_PRIMARYKEY":
    case "SQLITE_CONSTRAINT_UNIQUE":
      return "unique";
    case "ER_NO_REFERENCED_ROW":
    case "ER_NO_REFERENCED_ROW_2":
    case "ER_ROW_IS_REFERENCED":
    case "ER_ROW_IS_REFERENCED_2":
    case "SQLITE_CONSTRAINT_FOREIGNKEY":
      return "foreign";
    default:
      return null;
  }
}

/** Whether a unique violation on templates is the one-per-owner-and-service index rather than the id (MariaDB names the index, SQLite its columns). */
function violatesOneTemplatePerService(e: unknown): boolean {
  return /uq_templates_|service_id/.test(String((e as { message?: string }).message ?? ""));
}

/**
 * Inserts, turning a constraint that a racing transaction won (a twin id, a reference deleted
 * meanwhile) into payload errors: the checks before read a snapshot, the constraint is the truth.
 */
async function insertOrReject<T extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<T>, rows: T | T[], faults: (kind: ConstraintKind, e: unknown) => UserErrorData[]): Promise<void> {
  if (Array.isArray(rows) && rows.length === 0) return;
  try {
    await em.insert(entity, rows as never);
  } catch (e) {
    const kind = constraintKind(e);
    if (kind === null) throw e;
    throw new RollbackWithErrors(faults(kind, e));
  }
}

/** Deletes; a row that something started to use meanwhile fails its foreign key and is reported IN_USE. */
async function deleteOrReject<T extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<T>, where: FindOptionsWhere<T>, subject: string): Promise<void> {
  try {
    await em.delete(entity, where);
  } catch (e) {
    if (constraintKind(e) !== "foreign") throw e;
    throw new RollbackWithErrors([userError("IN_USE", `${subject} is still in use`, ["id"])]);
  }
}
