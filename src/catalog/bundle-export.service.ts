/**
 * Exports the whole catalog as a bundle (see bundle.ts) that the import takes back unchanged:
 * users carry their `passwordHash` and labs their stored `apiKeys` (hashes only: a clear secret is
 * never kept, so it can never be exported), and every price row its id. Lists are sorted by id (in
 * code-unit order, not the database's collation, which differs between engines) so that two
 * exports of the same catalog are the same file.
 */
import type { DataSource } from "typeorm";
import { LabApiKeyEntity } from "../labs/lab-api-key.entity";
import { Role } from "../identity/role";
import { UserEntity } from "../identity/user.entity";
import { ChargedImageEntity } from "../pricing/charged-image.entity";
import { PriceRowEntity } from "../pricing/price-row.entity";
import { ShopPriceAllowanceEntity } from "../pricing/shop-price-allowance.entity";
import { FULFILMENT_METHODS, type Bundle, type BundleLab, type BundleUser, type Fulfilment, type GeoLocation } from "./bundle";
import { CURRENCY_SETTING } from "./bundle-import.service";
import { LabEntity, LabServiceEntity } from "../labs/lab.entity";
import { ProductEntity } from "./product.entity";
import { ServiceEntity } from "./service.entity";
import { exportedPrintSize } from "./bundle-services";
import { SettingEntity } from "./setting.entity";
import { ShopGroupEntity } from "./shop-group.entity";
import { ShopEntity } from "./shop.entity";
import { TemplateEntity, TemplateExcludedShopEntity, TemplateProductEntity } from "./template.entity";

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortBy<T>(rows: T[], key: (row: T) => string): T[] {
  return rows.sort((a, b) => compare(key(a), key(b)));
}

function location(lat: number | null, lng: number | null): GeoLocation | null {
  return lat === null || lng === null ? null : { lat, lng };
}

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const list = out.get(key(r)) ?? [];
    list.push(r);
    out.set(key(r), list);
  }
  return out;
}

/** Reads every catalog entity into a bundle. */
export async function exportBundle(ds: DataSource): Promise<Bundle> {
  const m = ds.manager;
  const currency = await m.findOne(SettingEntity, { where: { key: CURRENCY_SETTING } });
  const templateProducts = groupBy(
    (await m.find(TemplateProductEntity)).sort((a, b) => a.position - b.position),
    (r) => r.templateId,
  );
  const labServices = groupBy(await m.find(LabServiceEntity), (r) => r.labId);
  const excluded = groupBy(
    sortBy(await m.find(TemplateExcludedShopEntity), (r) => r.shopId),
    (r) => r.templateId,
  );
  const labKeys = groupBy(await m.find(LabApiKeyEntity), (r) => r.labId);
  const prices = sortBy(await m.find(PriceRowEntity), (r) => r.id);

  const users = sortBy(await m.find(UserEntity), (u) => u.id).map((u): BundleUser => {
    const user: BundleUser = { id: u.id, login: u.login, passwordHash: u.passwordHash, name: u.name, role: u.role };
    // Only the scope the role uses, as the import expects it.
    if (u.role === Role.SHOP_GROUP_ADMIN || u.shopGroupId !== null) user.shopGroupId = u.shopGroupId;
    if (u.role === Role.SHOP_ADMIN || u.shopId !== null) user.shopId = u.shopId;
    user.disabled = u.disabled;
    return user;
  });

  const price = (r: PriceRowEntity) => ({
    productId: r.productId,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    basicCharge: r.basicCharge,
    amountCharge: r.amountCharge,
    minSheets: r.minSheets,
    maxSheets: r.maxSheets,
  });

  return {
    ...(currency !== null ? { currency: currency.value } : {}),
    users,
    shopGroups: sortBy(await m.find(ShopGroupEntity), (g) => g.id).map((g) => ({ id: g.id, name: g.name })),
    shops: sortBy(await m.find(ShopEntity), (s) => s.id).map((s) => ({
      id: s.id,
      name: s.name,
      shopGroupId: s.shopGroupId,
      adminUserId: s.adminUserId,
      location: location(s.lat, s.lng),
      postalCode: s.postalCode,
      region: s.region,
    })),
    services: sortBy(await m.find(ServiceEntity), (s) => s.id).map((s) => {
      const printSize = exportedPrintSize(s);
      return { id: s.id, name: s.name, ...(printSize ? { printSize } : {}) };
    }),
    products: sortBy(await m.find(ProductEntity), (p) => p.id).map((p) => ({ id: p.id, name: p.name })),
    templates: sortBy(await m.find(TemplateEntity), (t) => t.id).map((t) => ({
      id: t.id,
      name: t.name,
      ...(t.shopId !== null ? { shopId: t.shopId } : { shopGroupId: t.shopGroupId }),
      serviceId: t.serviceId,
      productIds: (templateProducts.get(t.id) ?? []).map((tp) => tp.productId),
      ...(excluded.has(t.id) ? { excludedShopIds: excluded.get(t.id)!.map((e) => e.shopId) } : {}),
    })),
    prices: prices.filter((r) => r.shopId === null).map((r) => ({ id: r.id, shopGroupId: r.shopGroupId, ...price(r) })),
    shopPrices: prices.filter((r) => r.shopId !== null).map((r) => ({ id: r.id, shopId: r.shopId!, ...price(r) })),
    shopPriceAllowances: (await m.find(ShopPriceAllowanceEntity))
      .sort((a, b) => compare(a.shopId, b.shopId) || compare(a.productId, b.productId))
      .map((a) => ({
        shopId: a.shopId,
        productId: a.productId,
        minBasicCharge: a.minBasicCharge,
        maxBasicCharge: a.maxBasicCharge,
        minAmountCharge: a.minAmountCharge,
        maxAmountCharge: a.maxAmountCharge,
      })),
    chargedImages: sortBy(await m.find(ChargedImageEntity), (c) => c.imageId).map((c) => ({
      imageId: c.imageId,
      feePerSheet: c.feePerSheet,
      rightsHolder: c.rightsHolder,
    })),
    labs: sortBy(await m.find(LabEntity), (l) => l.id).map((l): BundleLab => ({
      id: l.id,
      name: l.name,
      shopId: l.shopId,
      apiKeys: sortBy(labKeys.get(l.id) ?? [], (k) => k.id).map((k) => ({
        id: k.id,
        hash: k.hash,
        lookup: k.lookup,
        label: k.label,
        createdAt: k.createdAt.toISOString(),
        revokedAt: k.revokedAt === null ? null : k.revokedAt.toISOString(),
      })),
      serviceIds: (labServices.get(l.id) ?? []).map((s) => s.serviceId).sort(compare),
      // Canonical order whatever the stored string says.
      fulfilment: FULFILMENT_METHODS.filter((f) => l.fulfilment.split(",").includes(f)) as Fulfilment[],
      express: l.express,
      capacitySheetsPerHour: l.capacitySheetsPerHour,
      // Only when declared: a bundle without limits reads as before.
      ...(l.maxOrderSheets !== null ? { maxOrderSheets: l.maxOrderSheets } : {}),
      location: location(l.lat, l.lng),
      postalCode: l.postalCode,
      region: l.region,
      disabled: l.disabled,
    })),
  };
}
