/**
 * Services, products and templates with their ordered products (seed 003): the center admin manages
 * services and products; templates belong to a shop group or to one of its shops, and that group's
 * admin manages them too. See catalog-admin.ts for the rules every catalog admin operation follows.
 */
import { In, type EntityManager, type FindOptionsWhere } from "typeorm";
import { forbidden, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { checkIdList, checkName, checkNewId, duplicateId, type Field } from "../common/catalog-checks";
import { deleteOrReject, exact, ids, insertOrReject, sameList, usesMessage } from "../common/catalog-writes";
import { inTransaction, rejectIf, type Outcome, type Tx } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { managesGroup } from "../identity/scope";
import { LabServiceEntity } from "../labs/lab.entity";
import { actorName, type ChangeScope, type NoticeLinks } from "../notifications/notifications.service";
import { PriceRowEntity } from "../pricing/price-row.entity";
import { ShopPriceAllowanceEntity } from "../pricing/shop-price-allowance.entity";
import {
  capitalise,
  invalidatePrices,
  notFound,
  reportChange,
  requireCenterAdmin,
  requireCenterOrGroupAdmin,
  type NameChange,
  type NamedInput,
} from "./catalog-admin";
import type { TemplateView } from "./catalog.service";
import { ProductEntity } from "./product.entity";
import { ServiceEntity } from "./service.entity";
import { checkPrintSize } from "./print-size-checks";
import { describePrintSize, printSizeColumns, printSizeOf, samePrintSize, type PrintSizeSpec } from "./print-sizes";
import { ShopGroupEntity } from "./shop-group.entity";
import { ShopEntity } from "./shop.entity";
import { TemplateEntity, TemplateExcludedShopEntity, TemplateProductEntity } from "./template.entity";
import type { OrdersService } from "../orders/orders.service";
import type { NotificationsService } from "../notifications/notifications.service";

/** The most products a template may list. */
export const MAX_TEMPLATE_PRODUCTS = 100;
const PRODUCTS_RULE = { noun: "product", owner: "A template", emptyMessage: "A template needs at least one product", max: MAX_TEMPLATE_PRODUCTS };

export interface TemplateInput {
  id: string;
  name: string;
  serviceId: string;
  shopGroupId?: string | null;
  shopId?: string | null;
  productIds: string[];
}
/** A new service: its id and name, and what it prints on (unset: none stated). */
export interface ServiceInput extends NamedInput {
  printSize?: PrintSizeSpec | null;
}
/** A service's changes: omitted fields stay; printSize null states no size any more. */
export interface ServiceChange extends NameChange {
  printSize?: PrintSizeSpec | null;
}
export interface TemplateChange {
  name?: string | null;
  productIds?: string[] | null;
}

/** Services, products and templates: the write side, with their scopes, checks and change reports. */
export class ProductsAdminService {
  constructor(
    private readonly orders: OrdersService,
    private readonly notifications: NotificationsService,
  ) {}

  // --- Services and products -------------------------------------------------------------------

  async createService(ctx: RequestContext, input: ServiceInput): Promise<Outcome<ServiceEntity>> {
    const errors: UserErrorData[] = [];
    const size = checkPrintSize(input.printSize, ["input", "printSize"], errors);
    return this.createNamed(ctx, ServiceEntity, "service", "SERVICE", input, { errors, columns: printSizeColumns(size ?? null) });
  }

  /** A new name, a print size (null: none stated), or both; reported as one change. */
  async updateService(ctx: RequestContext, id: string, input: ServiceChange): Promise<Outcome<ServiceEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const row = await exact(tx.em, ServiceEntity, "id", id, true);
      if (!row) throw notFound("service", id, ["id"]);
      const errors: UserErrorData[] = [];
      const name = input.name != null ? checkName(input.name, ["input", "name"], errors) : undefined;
      const size = checkPrintSize(input.printSize, ["input", "printSize"], errors);
      rejectIf(errors);
      const patch: Partial<ServiceEntity> = {};
      const changes: string[] = [];
      if (name !== undefined && name !== row.name) {
        changes.push(`renamed from "${row.name}" to "${name}"`);
        patch.name = name;
      }
      const before = printSizeOf(row);
      if (size !== undefined && !samePrintSize(before, size)) {
        changes.push(`set to print on ${describePrintSize(size)} (was ${describePrintSize(before)})`);
        Object.assign(patch, printSizeColumns(size));
      }
      if (changes.length === 0) return row;
      Object.assign(row, patch);
      await tx.em.update(ServiceEntity, { id: row.id }, patch);
      await reportChange(this.notifications, ctx, tx, "SERVICE_UPDATED", `Service ${row.id} was ${changes.join(" and ")} by ${actorName(ctx)}`, {
        kind: "SYSTEM",
      });
      tx.emit("invalidate", { kind: "catalog" });
      return row;
    });
  }

  async deleteService(ctx: RequestContext, id: string): Promise<Outcome<ServiceEntity>> {
    return this.deleteNamed(ctx, ServiceEntity, "service", "SERVICE", id, async (em, service) => [
      ["templates", await ids(em, TemplateEntity, { serviceId: service.id }, "id")],
      ["labs", await ids(em, LabServiceEntity, { serviceId: service.id }, "labId")],
      ["orders", await this.orders.idsUsing(em, { serviceId: service.id })],
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
        if (other)
          errors.push(
            userError("DUPLICATE_TEMPLATE", `${ownerLabel(owner)} has a template for service ${service.id} already (${other.id})`, ["input", "serviceId"]),
          );
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
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "TEMPLATE_CREATED",
        `Template ${template.id} "${template.name}" for service ${template.serviceId} (${ownerLabel(owner!)}, products ${input.productIds.join(", ")}) was created by ${actorName(ctx)}`,
        owner!,
      );
      invalidatePrices(tx);
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
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "TEMPLATE_UPDATED",
        `Template ${template.id} (${ownerLabel(owner)}) was ${changes.join(" and ")} by ${actorName(ctx)}`,
        owner,
      );
      invalidatePrices(tx);
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
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "TEMPLATE_PRODUCTS_CHANGED",
        `The products of template ${template.id} (${ownerLabel(owner)}) were set to ${productIds.join(", ")} (were ${current.join(", ")}) by ${actorName(ctx)}`,
        owner,
      );
      invalidatePrices(tx);
      return view(template, productIds);
    });
  }

  /**
   * Leaves these shops of the group out of its template (seed 003: the group admin manages "a
   * combination of shops which can offer a certain service"), replacing the previous list: they no
   * longer offer its service by it (a shop's own template for the service still applies).
   */
  async setTemplateExcludedShops(
    ctx: RequestContext,
    templateId: string,
    shopIds: string[],
  ): Promise<Outcome<{ templateId: string; excludedShopIds: string[] }>> {
    requireCenterOrGroupAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const { template, owner } = await this.templateInScope(ctx, tx, templateId, ["templateId"]);
      if (template.shopGroupId === null) {
        throw new RollbackWithErrors([
          userError("INVALID_SCOPE", `Template ${template.id} is a shop's own: only a group's template leaves shops out`, ["templateId"]),
        ]);
      }
      const wanted = [...new Set(shopIds)].sort();
      const shops = wanted.length ? await tx.em.find(ShopEntity, { where: { id: In(wanted) } }) : [];
      const errors = wanted
        .filter((id) => shops.find((x) => x.id === id)?.shopGroupId !== template.shopGroupId)
        .map((id) => userError("UNKNOWN_SHOP", `No shop ${id} in shop group ${template.shopGroupId}`, ["shopIds", String(shopIds.indexOf(id))]));
      rejectIf(errors);
      const current = (await tx.em.find(TemplateExcludedShopEntity, { where: { templateId }, order: { shopId: "ASC" } })).map((e) => e.shopId);
      if (sameList(current, wanted)) return { templateId, excludedShopIds: current };
      await tx.em.delete(TemplateExcludedShopEntity, { templateId });
      if (wanted.length)
        await tx.em.insert(
          TemplateExcludedShopEntity,
          wanted.map((shopId) => ({ templateId, shopId })),
        );
      const list = (ids: string[]) => (ids.length ? ids.join(", ") : "none");
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "TEMPLATE_SHOPS_EXCLUDED",
        `Template ${template.id} for service ${template.serviceId} (${ownerLabel(owner)}) now leaves out shops ${list(wanted)} (was ${list(current)}), set by ${actorName(ctx)}`,
        owner,
      );
      invalidatePrices(tx);
      return { templateId, excludedShopIds: wanted };
    });
  }

  async deleteTemplate(ctx: RequestContext, id: string): Promise<Outcome<TemplateView>> {
    requireCenterOrGroupAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const { template, owner } = await this.templateInScope(ctx, tx, id, ["id"]);
      const productIds = await this.productsOf(tx.em, template.id);
      await tx.em.delete(TemplateProductEntity, { templateId: template.id });
      await tx.em.delete(TemplateExcludedShopEntity, { templateId: template.id });
      await deleteOrReject(tx.em, TemplateEntity, { id: template.id }, `Template ${template.id}`);
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "TEMPLATE_DELETED",
        `Template ${template.id} "${template.name}" for service ${template.serviceId} (${ownerLabel(owner)}) was deleted by ${actorName(ctx)}`,
        owner,
      );
      invalidatePrices(tx);
      return view(template, productIds);
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
    extra: { errors: UserErrorData[]; columns: Partial<T> } = { errors: [], columns: {} },
  ): Promise<Outcome<T>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const errors: UserErrorData[] = [];
      await checkNewId(tx.em, entity, what, input.id, ["input", "id"], errors);
      const name = checkName(input.name, ["input", "name"], errors);
      errors.push(...extra.errors);
      rejectIf(errors);
      const row = Object.assign(new entity(), extra.columns, { id: input.id, name: name! });
      await insertOrReject(tx.em, entity, row, () => [duplicateId(what, input.id, ["input", "id"])]);
      await reportChange(
        this.notifications,
        ctx,
        tx,
        `${kind}_CREATED`,
        `${capitalise(what)} ${row.id} "${row.name}" was created by ${actorName(ctx)}`,
        { kind: "SYSTEM" },
        productLink(kind, row.id),
      );
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
      await reportChange(
        this.notifications,
        ctx,
        tx,
        `${kind}_UPDATED`,
        `${capitalise(what)} ${row.id} was renamed from "${before}" to "${name}" by ${actorName(ctx)}`,
        { kind: "SYSTEM" },
        productLink(kind, row.id),
      );
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
      await reportChange(
        this.notifications,
        ctx,
        tx,
        `${kind}_DELETED`,
        `${subject} "${row.name}" was deleted by ${actorName(ctx)}`,
        { kind: "SYSTEM" },
        productLink(kind, row.id),
      );
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
    await insertOrReject(tx.em, TemplateProductEntity, links, () => [
      userError("UNKNOWN_PRODUCT", "A product of this template was deleted meanwhile", ["productIds"]),
    ]);
  }
}

// --- Pure helpers ------------------------------------------------------------------------------

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

/** Whether a unique violation on templates is the one-per-owner-and-service index rather than the id (MariaDB names the index, SQLite its columns). */
function violatesOneTemplatePerService(e: unknown): boolean {
  return /uq_templates_|service_id/.test(String((e as { message?: string }).message ?? ""));
}

/** A product's notices link the product (a service has no object to link). */
function productLink(kind: string, id: string): NoticeLinks | undefined {
  return kind === "PRODUCT" ? { productId: id } : undefined;
}
