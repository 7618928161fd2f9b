/**
 * The database as a bundle import sees it: every row the bundle could touch, read once before the
 * checks, keyed by id, and the summary of it that bundle validation needs (bundle.ts).
 */
import type { DataSource } from "typeorm";
import { LabApiKeyEntity } from "../labs/lab-api-key.entity";
import { UserEntity } from "../identity/user.entity";
import type { PriceRowData } from "../pricing/price-calculator";
import { ChargedImageEntity } from "../pricing/charged-image.entity";
import { PriceRowEntity } from "../pricing/price-row.entity";
import { ShopPriceAllowanceEntity } from "../pricing/shop-price-allowance.entity";
import { priceScopeOf, type KnownState } from "./bundle";
import { LabEntity, LabServiceEntity } from "../labs/lab.entity";
import { ProductEntity } from "./product.entity";
import { ServiceEntity } from "./service.entity";
import { SettingEntity } from "./setting.entity";
import { ShopGroupEntity } from "./shop-group.entity";
import { ShopEntity } from "./shop.entity";
import { TemplateEntity, TemplateExcludedShopEntity, TemplateProductEntity } from "./template.entity";

/** The settings key of the installation's currency. */
export const CURRENCY_SETTING = "currency";

export interface DbState {
  currency: string | null;
  shopGroups: Map<string, ShopGroupEntity>;
  shops: Map<string, ShopEntity>;
  users: Map<string, UserEntity>;
  services: Map<string, ServiceEntity>;
  products: Map<string, ProductEntity>;
  templates: Map<string, TemplateEntity>;
  /** Template id -> product ids in position order. */
  templateProducts: Map<string, string[]>;
  /** Template id -> the shops it leaves out, by id. */
  templateExcluded: Map<string, string[]>;
  prices: Map<string, PriceRowEntity>;
  allowances: Map<string, ShopPriceAllowanceEntity>;
  chargedImages: Map<string, ChargedImageEntity>;
  labs: Map<string, LabEntity>;
  labServices: Map<string, Set<string>>;
  labKeys: Map<string, LabApiKeyEntity>;
}

export const allowanceKey = (shopId: string, productId: string): string => `${shopId}\u0000${productId}`;

function byId<T>(rows: T[], id: (row: T) => string): Map<string, T> {
  return new Map(rows.map((r) => [id(r), r]));
}

export async function loadState(ds: DataSource): Promise<DbState> {
  const m = ds.manager;
  const currency = await m.findOne(SettingEntity, { where: { key: CURRENCY_SETTING } });
  const templateProducts = new Map<string, string[]>();
  const tps = await m.find(TemplateProductEntity);
  tps.sort((a, b) => a.position - b.position);
  for (const tp of tps) {
    const list = templateProducts.get(tp.templateId) ?? [];
    list.push(tp.productId);
    templateProducts.set(tp.templateId, list);
  }
  const templateExcluded = new Map<string, string[]>();
  for (const e of await m.find(TemplateExcludedShopEntity, { order: { shopId: "ASC" } })) {
    templateExcluded.set(e.templateId, [...(templateExcluded.get(e.templateId) ?? []), e.shopId]);
  }
  const labServices = new Map<string, Set<string>>();
  for (const ls of await m.find(LabServiceEntity)) {
    const set = labServices.get(ls.labId) ?? new Set<string>();
    set.add(ls.serviceId);
    labServices.set(ls.labId, set);
  }
  return {
    currency: currency?.value ?? null,
    shopGroups: byId(await m.find(ShopGroupEntity), (r) => r.id),
    shops: byId(await m.find(ShopEntity), (r) => r.id),
    users: byId(await m.find(UserEntity), (r) => r.id),
    services: byId(await m.find(ServiceEntity), (r) => r.id),
    products: byId(await m.find(ProductEntity), (r) => r.id),
    templates: byId(await m.find(TemplateEntity), (r) => r.id),
    templateProducts,
    templateExcluded,
    prices: byId(await m.find(PriceRowEntity), (r) => r.id),
    allowances: byId(await m.find(ShopPriceAllowanceEntity), (r) => allowanceKey(r.shopId, r.productId)),
    chargedImages: byId(await m.find(ChargedImageEntity), (r) => r.imageId),
    labs: byId(await m.find(LabEntity), (r) => r.id),
    labServices,
    labKeys: byId(await m.find(LabApiKeyEntity), (r) => r.id),
  };
}

export function priceRowData(r: PriceRowEntity): PriceRowData {
  return {
    id: r.id,
    scope: priceScopeOf(r),
    productId: r.productId,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    basicCharge: r.basicCharge,
    amountCharge: r.amountCharge,
    minSheets: r.minSheets,
    maxSheets: r.maxSheets,
  };
}

export function knownState(s: DbState): KnownState {
  return {
    currency: s.currency,
    shopGroupIds: new Set(s.shopGroups.keys()),
    shopIds: new Set(s.shops.keys()),
    shopGroupOfShop: new Map([...s.shops.values()].map((x) => [x.id, x.shopGroupId])),
    serviceIds: new Set(s.services.keys()),
    productIds: new Set(s.products.keys()),
    labIds: new Set(s.labs.keys()),
    chargedImageIds: new Set(s.chargedImages.keys()),
    users: new Map([...s.users.values()].map((u) => [u.id, u.login])),
    templates: new Map([...s.templates.values()].map((t) => [t.id, { shopGroupId: t.shopGroupId, shopId: t.shopId, serviceId: t.serviceId }])),
    priceRows: [...s.prices.values()].map(priceRowData),
    labApiKeys: new Map([...s.labKeys.values()].map((k) => [k.id, { labId: k.labId, lookup: k.lookup, revoked: k.revokedAt !== null }])),
  };
}
