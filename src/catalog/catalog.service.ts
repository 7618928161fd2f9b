/**
 * Reading the catalog, as each caller may see it: center admins everything; a group admin their
 * group, its shops and labs; a shop admin their shop, its group and labs; customers what shops offer
 * (groups, shops, services, products, templates, but no labs), and so do anonymous callers with
 * PUBLIC_CATALOG; a lab its own shop and itself.
 */
import { In, type FindOptionsWhere } from "typeorm";
import { loadOne } from "../core/loaders";
import type { RequestContext } from "../core/request-context";
import { Role } from "../identity/role";
import { LabEntity, LabServiceEntity } from "../labs/lab.entity";
import { ProductEntity } from "./product.entity";
import { ServiceEntity } from "./service.entity";
import { ShopGroupEntity } from "./shop-group.entity";
import { ShopEntity } from "./shop.entity";
import { TemplateEntity, TemplateExcludedShopEntity, TemplateProductEntity } from "./template.entity";
import type { FulfilmentMethod } from "./fulfilment";
import { unreachable } from "../common/errors";

export interface TemplateView extends TemplateEntity {
  productIds: string[];
}
export interface LabView extends Omit<LabEntity, "fulfilment"> {
  serviceIds: string[];
  fulfilment: FulfilmentMethod[];
  location: { lat: number; lng: number } | null;
}

/** What part of the catalog a caller sees: everything, one group, one shop, or the public part. */
type Visibility = { all: true } | { all: false; groupId: string | null; shopId: string | null; labs: boolean };

export class CatalogService {
  /** The caller's window on the catalog (for a shop admin or a lab, their shop's group is looked up). */
  private async visibility(ctx: RequestContext): Promise<Visibility> {
    const a = ctx.auth;
    switch (a.kind) {
      case "anonymous":
        // With PUBLIC_CATALOG, what a customer sees (the auth checker has refused them otherwise).
        return ctx.app.config.publicCatalog ? { all: true } : { all: false, groupId: null, shopId: null, labs: false };
      case "lab": {
        const shop = await ctx.app.ds.getRepository(ShopEntity).findOne({ where: { id: a.shopId } });
        return { all: false, groupId: shop?.shopGroupId ?? null, shopId: a.shopId, labs: true };
      }
      case "user":
        switch (a.user.role) {
          case Role.CENTER_ADMIN:
            return { all: true };
          case Role.SHOP_GROUP_ADMIN:
            return { all: false, groupId: a.user.shopGroupId, shopId: null, labs: true };
          case Role.SHOP_ADMIN: {
            const shop = a.user.shopId ? await ctx.app.ds.getRepository(ShopEntity).findOne({ where: { id: a.user.shopId } }) : null;
            return { all: false, groupId: shop?.shopGroupId ?? null, shopId: shop?.id ?? "", labs: true };
          }
          case Role.GENERAL_USER:
            // Customers see what every shop offers; labs stay internal.
            return { all: true };
          default:
            return unreachable(a.user.role);
        }
    }
  }

  private isCustomer(ctx: RequestContext): boolean {
    return ctx.auth.kind === "user" && ctx.auth.user.role === Role.GENERAL_USER;
  }

  async shopGroups(ctx: RequestContext, ids?: readonly string[]): Promise<ShopGroupEntity[]> {
    const v = await this.visibility(ctx);
    const repo = ctx.app.ds.getRepository(ShopGroupEntity);
    if (v.all) return repo.find({ where: ids ? { id: In([...ids]) } : {}, order: { id: "ASC" } });
    if (!v.groupId || (ids && !ids.includes(v.groupId))) return [];
    return repo.find({ where: { id: v.groupId } });
  }

  async shops(ctx: RequestContext, filter: { shopGroupId?: string | null; ids?: readonly string[] }): Promise<ShopEntity[]> {
    const v = await this.visibility(ctx);
    const where: FindOptionsWhere<ShopEntity> = {};
    if (filter.shopGroupId) where.shopGroupId = filter.shopGroupId;
    if (filter.ids) where.id = In([...filter.ids]);
    if (!v.all) {
      if (v.shopId !== null) {
        if (filter.ids && !filter.ids.includes(v.shopId)) return [];
        where.id = v.shopId;
      } else if (v.groupId !== null) {
        if (filter.shopGroupId && filter.shopGroupId !== v.groupId) return [];
        where.shopGroupId = v.groupId;
      } else return [];
    }
    return ctx.app.ds.getRepository(ShopEntity).find({ where, order: { id: "ASC" } });
  }

  async services(ctx: RequestContext): Promise<ServiceEntity[]> {
    return ctx.app.ds.getRepository(ServiceEntity).find({ order: { id: "ASC" } });
  }

  async products(ctx: RequestContext): Promise<ProductEntity[]> {
    return ctx.app.ds.getRepository(ProductEntity).find({ order: { id: "ASC" } });
  }

  async templates(ctx: RequestContext, filter: { shopGroupId?: string | null; shopId?: string | null }): Promise<TemplateView[]> {
    const v = await this.visibility(ctx);
    const qb = ctx.app.ds.getRepository(TemplateEntity).createQueryBuilder("t").orderBy("t.id", "ASC");
    if (filter.shopGroupId) qb.andWhere("t.shop_group_id = :g", { g: filter.shopGroupId });
    if (filter.shopId) qb.andWhere("t.shop_id = :s", { s: filter.shopId });
    if (!v.all) {
      if (v.groupId === null) return [];
      if (v.shopId !== null) {
        // A shop admin or lab: the group's templates and the shop's own.
        qb.andWhere("(t.shop_group_id = :vg OR t.shop_id = :vs)", { vg: v.groupId, vs: v.shopId });
      } else {
        qb.andWhere("(t.shop_group_id = :vg OR t.shop_id IN (SELECT s.id FROM shops s WHERE s.shop_group_id = :vg))", { vg: v.groupId });
      }
    }
    const templates = await qb.getMany();
    if (templates.length === 0) return [];
    const links = await ctx.app.ds
      .getRepository(TemplateProductEntity)
      .find({ where: { templateId: In(templates.map((t) => t.id)) }, order: { position: "ASC" } });
    const byTemplate = new Map<string, string[]>();
    for (const l of links) byTemplate.set(l.templateId, [...(byTemplate.get(l.templateId) ?? []), l.productId]);
    return templates.map((t) => Object.assign(t, { productIds: byTemplate.get(t.id) ?? [] }));
  }

  async labs(ctx: RequestContext, filter: { shopId?: string | null; ids?: readonly string[] }): Promise<LabView[]> {
    if (this.isCustomer(ctx)) return [];
    if (filter.ids && filter.ids.length === 0) return [];
    const v = await this.visibility(ctx);
    const qb = ctx.app.ds.getRepository(LabEntity).createQueryBuilder("l").orderBy("l.id", "ASC");
    if (filter.shopId) qb.andWhere("l.shop_id = :s", { s: filter.shopId });
    if (filter.ids) qb.andWhere("l.id IN (:...ids)", { ids: [...filter.ids] });
    if (!v.all) {
      if (!v.labs || v.groupId === null) return [];
      if (ctx.auth.kind === "lab") qb.andWhere("l.id = :me", { me: ctx.auth.labId });
      else if (v.shopId !== null) qb.andWhere("l.shop_id = :vs", { vs: v.shopId });
      else qb.andWhere("l.shop_id IN (SELECT s.id FROM shops s WHERE s.shop_group_id = :vg)", { vg: v.groupId });
    }
    return this.labViews(ctx, await qb.getMany());
  }

  async labViews(ctx: RequestContext, labs: LabEntity[]): Promise<LabView[]> {
    if (labs.length === 0) return [];
    const links = await ctx.app.ds.getRepository(LabServiceEntity).find({ where: { labId: In(labs.map((l) => l.id)) } });
    const byLab = new Map<string, string[]>();
    for (const l of links) byLab.set(l.labId, [...(byLab.get(l.labId) ?? []), l.serviceId]);
    return labs.map((l) => ({
      ...l,
      serviceIds: (byLab.get(l.id) ?? []).sort(),
      fulfilment: l.fulfilment.split(",").filter(Boolean) as FulfilmentMethod[],
      location: l.lat !== null && l.lng !== null ? { lat: l.lat, lng: l.lng } : null,
    }));
  }

  // ------------------------------------------------------------ the graph's object fields

  /** A shop the caller may see (as `shops` shows it), read with the request's others in one batch; else null. */
  shop(ctx: RequestContext, id: string | null | undefined): Promise<ShopEntity | null> {
    return loadOne(ctx, "catalog:shop", id, async (ids) => byId(await this.shops(ctx, { ids })));
  }

  /** A shop group the caller may see, batched as `shop`; else null. */
  shopGroup(ctx: RequestContext, id: string | null | undefined): Promise<ShopGroupEntity | null> {
    return loadOne(ctx, "catalog:shopGroup", id, async (ids) => byId(await this.shopGroups(ctx, ids)));
  }

  /**
   * The shops of a group the caller may see (as `shops` shows them), by id: the shops of every group
   * asked in the request read in one batch, never once per group.
   */
  async shopsOfGroup(ctx: RequestContext, shopGroupId: string): Promise<ShopEntity[]> {
    const loaded = await loadOne(ctx, "catalog:shopsOfGroup", shopGroupId, async (groupIds) => {
      const byGroup = new Map<string, ShopEntity[]>(groupIds.map((g) => [g, []]));
      const shops = groupIds.length === 1 ? await this.shops(ctx, { shopGroupId: groupIds[0] }) : await this.shops(ctx, {});
      for (const s of shops) byGroup.get(s.shopGroupId)?.push(s);
      return byGroup;
    });
    return loaded ?? [];
  }

  /**
   * The shops a template leaves out, by id, for a template the caller has read (whoever reads a
   * template reads its list): the lists of every template of the request read in one statement.
   */
  async excludedShopIds(ctx: RequestContext, templateId: string): Promise<string[]> {
    const loaded = await loadOne(ctx, "catalog:templateExcludedShops", templateId, async (ids) => {
      const byTemplate = new Map<string, string[]>(ids.map((id) => [id, []]));
      const rows = await ctx.app.ds.getRepository(TemplateExcludedShopEntity).find({ where: { templateId: In([...ids]) }, order: { shopId: "ASC" } });
      for (const r of rows) byTemplate.get(r.templateId)?.push(r.shopId);
      return byTemplate;
    });
    return loaded ?? [];
  }

  /** A lab the caller may see (as `labs` shows it: never a customer), batched as `shop`; else null. */
  lab(ctx: RequestContext, id: string | null | undefined): Promise<LabView | null> {
    return loadOne(ctx, "catalog:lab", id, async (ids) => byId(await this.labs(ctx, { ids })));
  }

  /** A product (every caller sees products), batched as `shop`; else null. */
  product(ctx: RequestContext, id: string | null | undefined): Promise<ProductEntity | null> {
    return loadOne(ctx, "catalog:product", id, async (ids) => byId(await ctx.app.ds.getRepository(ProductEntity).find({ where: { id: In([...ids]) } })));
  }
}

function byId<T extends { id: string }>(rows: T[]): Map<string, T> {
  return new Map(rows.map((r) => [r.id, r]));
}
