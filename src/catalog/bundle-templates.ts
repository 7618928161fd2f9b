/**
 * The templates of a bundle: their shape (exactly one of a shop group or a shop), their references
 * to a scope, a service and products, one template per scope and service, and only shops of the
 * template's own group left out (as setTemplateExcludedShops checks).
 */
import { absent, checkFields, idList, optionalId, readList, requiredId, requiredName, type Entry, type Faults, type Obj } from "./bundle-fields";
import type { RefCheck } from "./bundle-ids";
import type { BundleShop, BundleTemplate, KnownState } from "./bundle-types";

export interface ReadTemplates {
  entries: Array<Entry<BundleTemplate>>;
  /** Each template's product ids with their paths, for the reference check. */
  productPaths: Map<Entry<BundleTemplate>["value"], Array<{ id: string; path: string }>>;
  /** Each template's left-out shop ids with their paths. */
  excludedPaths: Map<Entry<BundleTemplate>["value"], Array<{ id: string; path: string }>>;
}

export function readTemplates(json: Obj, f: Faults): ReadTemplates {
  const productPaths: ReadTemplates["productPaths"] = new Map();
  const excludedPaths: ReadTemplates["excludedPaths"] = new Map();
  const entries = readList<BundleTemplate>(json, "templates", f, (o, p) => {
    checkFields(o, p, ["id", "name", "shopGroupId", "shopId", "serviceId", "productIds", "excludedShopIds"], f);
    const t: Partial<BundleTemplate> = {
      id: requiredId(o, "id", p, f),
      name: requiredName(o, "name", p, f, 200),
      shopGroupId: optionalId(o, "shopGroupId", p, f),
      shopId: optionalId(o, "shopId", p, f),
      serviceId: requiredId(o, "serviceId", p, f),
    };
    if (absent(o.shopGroupId) && absent(o.shopId))
      f.add(`${p}.shopGroupId`, "INVALID_SCOPE", "a template needs shopGroupId (a group's) or shopId (a shop's own)");
    if (!absent(o.shopGroupId) && !absent(o.shopId)) f.add(`${p}.shopId`, "INVALID_SCOPE", "a template belongs to a shop group or to a shop, not both");
    const ids = idList(o, "productIds", p, f, true);
    if (ids !== undefined) {
      t.productIds = ids.map((x) => x.id);
      productPaths.set(t, ids);
    }
    if (!absent(o.excludedShopIds)) {
      const shops = idList(o, "excludedShopIds", p, f, false);
      if (shops !== undefined) {
        t.excludedShopIds = [...new Set(shops.map((x) => x.id))].sort();
        excludedPaths.set(t, shops);
      }
      if (!absent(o.shopId) && (shops?.length ?? 0) > 0)
        f.add(`${p}.excludedShopIds`, "INVALID_SCOPE", "only a shop group's template leaves shops out, not a shop's own");
    }
    return t;
  });
  return { entries, productPaths, excludedPaths };
}

export function checkTemplateReferences({ entries, productPaths, excludedPaths }: ReadTemplates, ref: RefCheck): void {
  for (const { value: t, path } of entries) {
    ref(`${path}.shopGroupId`, "shopGroups", t.shopGroupId);
    ref(`${path}.shopId`, "shops", t.shopId);
    ref(`${path}.serviceId`, "services", t.serviceId);
    for (const x of productPaths.get(t) ?? []) ref(x.path, "products", x.id);
    for (const x of excludedPaths.get(t) ?? []) ref(x.path, "shops", x.id);
  }
}

/**
 * One template per scope and service (a shop's own template may shadow its group's), across the
 * bundle and the database templates the bundle does not rewrite (`templateIds`: the bundle's).
 */
export function checkTemplateScopes(templates: Array<Entry<BundleTemplate>>, templateIds: ReadonlySet<string>, known: KnownState, f: Faults): void {
  const templateScopes = new Map<string, string>();
  const scopeServiceKey = (t: { shopGroupId?: string | null; shopId?: string | null; serviceId?: string }): string =>
    `${t.shopGroupId != null ? `G:${t.shopGroupId}` : `S:${t.shopId}`}\u0000${t.serviceId}`;
  for (const [id, t] of known.templates ?? []) if (!templateIds.has(id)) templateScopes.set(scopeServiceKey(t), `template ${id} in the database`);
  for (const { value: t, path } of templates) {
    if (t.serviceId === undefined || (t.shopGroupId == null) === (t.shopId == null) || t.shopGroupId === undefined || t.shopId === undefined) continue;
    const key = scopeServiceKey(t);
    const holder = templateScopes.get(key);
    const scope = t.shopGroupId != null ? `shop group ${t.shopGroupId}` : `shop ${t.shopId}`;
    if (holder !== undefined) f.add(path, "DUPLICATE_TEMPLATE", `${scope} has a template for service ${t.serviceId} already: ${holder}`);
    else templateScopes.set(key, path);
  }
}

/**
 * A group's template leaves out only shops of that group: each left-out shop's group, as the bundle
 * sets it or else as the database holds it, must be the template's. An unknown shop is the
 * reference check's fault, not this one's.
 */
export function checkExcludedShops({ entries, excludedPaths }: ReadTemplates, shops: Array<Entry<BundleShop>>, known: KnownState, f: Faults): void {
  const groupOf = new Map<string, string>(known.shopGroupOfShop ?? []);
  for (const { value: s } of shops) if (s.id !== undefined && s.shopGroupId !== undefined) groupOf.set(s.id, s.shopGroupId);
  for (const { value: t } of entries) {
    if (t.shopGroupId == null) continue;
    for (const x of excludedPaths.get(t) ?? []) {
      const group = groupOf.get(x.id);
      if (group !== undefined && group !== t.shopGroupId)
        f.add(
          x.path,
          "INVALID_SCOPE",
          `shop ${x.id} is in shop group ${group}: template ${t.id ?? ""} of shop group ${t.shopGroupId} leaves out only its own group's shops`,
        );
    }
  }
}
