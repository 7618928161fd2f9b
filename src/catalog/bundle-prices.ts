/**
 * The price rows of a bundle (group and standard `prices`, `shopPrices`) and the shop price
 * allowances: their shape (the pricing domain's row rules), their references, the ids of rows given
 * without one, overlaps against the merged state, and one allowance per shop and product.
 */
import { findOverlaps, validatePriceRowShape, type PriceRowData } from "../pricing/price-calculator";
import { absent, checkFields, MAX_INT_COLUMN, optionalId, readList, requiredId, requiredMoney, type Entry, type Faults, type Obj } from "./bundle-fields";
import { lower, type RefCheck } from "./bundle-ids";
import { derivePriceRowId, describeRow, naturalKey, priceScopeOf } from "./bundle-price-ids";
import type { BundleAllowance, BundlePrice, BundleShopPrice, KnownState } from "./bundle-types";

interface PriceDraft {
  value: Partial<BundlePrice & BundleShopPrice>;
  path: string;
  explicitId: boolean;
  /** Set when the row is shape-valid: what the overlap check sees. */
  data?: PriceRowData;
  natural?: string;
}

export interface ReadPrices {
  prices: Array<Entry<BundlePrice>>;
  shopPrices: Array<Entry<BundleShopPrice>>;
  /** The rows of both lists in bundle order: they share one table, so one id space. */
  drafts: PriceDraft[];
}

export function readPrices(json: Obj, f: Faults): ReadPrices {
  const drafts: PriceDraft[] = [];
  const parsePrice = (shop: boolean) => (o: Obj, p: string) => {
    const scopeKey = shop ? "shopId" : "shopGroupId";
    checkFields(o, p, ["id", scopeKey, "productId", "validFrom", "validUntil", "basicCharge", "amountCharge", "minSheets", "maxSheets"], f);
    const before = f.list.length;
    const r: Partial<BundlePrice & BundleShopPrice> = {};
    if (!absent(o.id)) r.id = requiredId(o, "id", p, f);
    if (shop) r.shopId = requiredId(o, "shopId", p, f);
    else r.shopGroupId = optionalId(o, "shopGroupId", p, f);
    r.productId = requiredId(o, "productId", p, f);
    const required = ["validFrom", "basicCharge", "amountCharge"] as const;
    for (const k of required) if (absent(o[k])) f.add(`${p}.${k}`, "REQUIRED", `${k} is required`);
    const shape = {
      validFrom: o.validFrom as string,
      validUntil: (o.validUntil ?? null) as string | null,
      basicCharge: o.basicCharge as number,
      amountCharge: o.amountCharge as number,
      minSheets: (o.minSheets ?? null) as number | null,
      maxSheets: (o.maxSheets ?? null) as number | null,
    };
    // The shared row check of the pricing domain: the same rules as the price mutations.
    for (const e of validatePriceRowShape(shape)) {
      if ((required as readonly string[]).includes(e.field) && absent(o[e.field])) continue;
      f.add(`${p}.${e.field}`, e.code, e.message);
    }
    for (const k of ["minSheets", "maxSheets"] as const) {
      const n = shape[k];
      if (typeof n === "number" && n > MAX_INT_COLUMN) f.add(`${p}.${k}`, "INVALID_TIER", `${k} must be at most ${MAX_INT_COLUMN}, got ${n}`);
    }
    const valid = f.list.length === before;
    Object.assign(r, shape);
    const draft: PriceDraft = { value: r, path: p, explicitId: r.id !== undefined };
    if (valid) {
      const scope = priceScopeOf(r);
      draft.natural = naturalKey(scope, r.productId!, shape.validFrom, shape.minSheets);
      draft.data = { id: r.id ?? "", scope, productId: r.productId!, ...shape };
    } else if (!absent(o.id) && r.id === undefined) {
      // A malformed explicit id: leave the row out of the id and overlap checks.
      draft.explicitId = true;
    }
    drafts.push(draft);
    return r;
  };
  const prices = readList<BundlePrice>(json, "prices", f, parsePrice(false));
  const shopPrices = readList<BundleShopPrice>(json, "shopPrices", f, parsePrice(true));
  return { prices, shopPrices, drafts };
}

export function checkPriceReferences({ prices, shopPrices }: ReadPrices, ref: RefCheck): void {
  for (const { value: r, path } of prices) {
    ref(`${path}.shopGroupId`, "shopGroups", r.shopGroupId);
    ref(`${path}.productId`, "products", r.productId);
  }
  for (const { value: r, path } of shopPrices) {
    ref(`${path}.shopId`, "shops", r.shopId);
    ref(`${path}.productId`, "products", r.productId);
  }
}

/** Fills in the ids of rows given without one (in `drafts`' values), then checks ids and overlaps. */
export function checkPriceRows({ drafts: priceDrafts }: ReadPrices, known: KnownState, f: Faults): void {
  // Price ids: explicit ones first, so that a derived id never takes one a row names.
  const explicitPriceIds = new Set<string>();
  for (const d of priceDrafts) if (d.value.id !== undefined) explicitPriceIds.add(d.value.id);
  const knownByNatural = new Map<string, string>();
  for (const r of known.priceRows ?? []) {
    if (explicitPriceIds.has(r.id)) continue;
    const key = naturalKey(r.scope, r.productId, r.validFrom, r.minSheets);
    const held = knownByNatural.get(key);
    if (held === undefined || r.id < held) knownByNatural.set(key, r.id);
  }
  for (const d of priceDrafts) {
    if (d.value.id !== undefined || d.explicitId || d.data === undefined || d.natural === undefined) continue;
    const id = knownByNatural.get(d.natural) ?? derivePriceRowId(d.data.scope, d.data.productId, d.data.validFrom, d.data.minSheets);
    d.value.id = id;
  }
  const priceIdHolder = new Map<string, PriceDraft>();
  const knownPriceIdsByLower = new Map<string, string>();
  for (const r of known.priceRows ?? []) knownPriceIdsByLower.set(lower(r.id), r.id);
  for (const d of priceDrafts) {
    const id = d.value.id;
    if (id === undefined) continue;
    if (d.data) d.data.id = id;
    const idPath = d.explicitId ? `${d.path}.id` : d.path;
    const holder = priceIdHolder.get(lower(id));
    if (holder !== undefined) {
      // Two id-less rows with one natural key: the overlap check reports them, more usefully.
      if (!d.explicitId && !holder.explicitId && d.natural === holder.natural) continue;
      f.add(
        idPath,
        "DUPLICATE_ID",
        `price id ${id} is used by ${holder.path} too${d.explicitId ? "" : " (derived from scope, product, validFrom and minSheets; give the rows explicit ids)"}`,
      );
      continue;
    }
    const clash = knownPriceIdsByLower.get(lower(id));
    if (clash !== undefined && clash !== id)
      f.add(idPath, "DUPLICATE_ID", `price id ${id} differs only in letter case from ${clash}, which the database holds`);
    priceIdHolder.set(lower(id), d);
  }

  // Overlaps, against the merged state: the database rows the bundle does not replace, plus the
  // bundle's rows. Pairs of two database rows are not this bundle's doing.
  const bundleRows = priceDrafts.filter((d): d is PriceDraft & { data: PriceRowData } => d.data !== undefined);
  const origin = new Map<PriceRowData, { path: string; order: number }>();
  bundleRows.forEach((d, order) => origin.set(d.data, { path: d.path, order }));
  const replaced = new Set(bundleRows.map((d) => d.data.id));
  const merged = [...(known.priceRows ?? []).filter((r) => !replaced.has(r.id)), ...bundleRows.map((d) => d.data)];
  for (const [a, b] of findOverlaps(merged)) {
    const oa = origin.get(a);
    const ob = origin.get(b);
    if (oa === undefined && ob === undefined) continue;
    // The fault goes on the row that comes later in the bundle; the message names the other.
    const [at, other, otherOrigin] = oa === undefined || (ob !== undefined && ob.order > oa.order) ? [ob!, a, oa] : [oa, b, ob];
    const otherText =
      otherOrigin !== undefined ? `${otherOrigin.path} (${describeRow(other)})` : `the price row ${other.id} already in the database (${describeRow(other)})`;
    const self = at === oa ? a : b;
    f.add(at.path, "OVERLAPPING_PRICE", `${at.path} (${describeRow(self)}) overlaps ${otherText}`);
  }
}

export function readAllowances(json: Obj, f: Faults): Array<Entry<BundleAllowance>> {
  return readList<BundleAllowance>(json, "shopPriceAllowances", f, (o, p) => {
    checkFields(o, p, ["shopId", "productId", "minBasicCharge", "maxBasicCharge", "minAmountCharge", "maxAmountCharge"], f);
    const a: Partial<BundleAllowance> = {
      shopId: requiredId(o, "shopId", p, f),
      productId: requiredId(o, "productId", p, f),
      minBasicCharge: requiredMoney(o, "minBasicCharge", p, f),
      maxBasicCharge: requiredMoney(o, "maxBasicCharge", p, f),
      minAmountCharge: requiredMoney(o, "minAmountCharge", p, f),
      maxAmountCharge: requiredMoney(o, "maxAmountCharge", p, f),
    };
    for (const [lo, hi] of [
      ["minBasicCharge", "maxBasicCharge"],
      ["minAmountCharge", "maxAmountCharge"],
    ] as const) {
      const min = a[lo];
      const max = a[hi];
      if (min !== undefined && max !== undefined && min > max) f.add(`${p}.${hi}`, "INVALID_ALLOWANCE", `${hi} ${max} is below ${lo} ${min}`);
    }
    return a;
  });
}

export function checkAllowanceReferences(allowances: Array<Entry<BundleAllowance>>, ref: RefCheck): void {
  for (const { value: a, path } of allowances) {
    ref(`${path}.shopId`, "shops", a.shopId);
    ref(`${path}.productId`, "products", a.productId);
  }
}

/** Allowances: one per shop and product. */
export function checkAllowanceKeys(allowances: Array<Entry<BundleAllowance>>, f: Faults): void {
  const allowanceKeys = new Map<string, string>();
  for (const { value: a, path } of allowances) {
    if (a.shopId === undefined || a.productId === undefined) continue;
    const key = `${a.shopId}\u0000${a.productId}`;
    const holder = allowanceKeys.get(key);
    if (holder !== undefined) f.add(path, "DUPLICATE_ID", `shop ${a.shopId} has an allowance for product ${a.productId} at ${holder} already`);
    else allowanceKeys.set(key, path);
  }
}
