/**
 * Price row ids of a bundle: the scope of a row, its natural key (scope, product, validFrom,
 * minSheets), the id derived from that key for a row given without one, and a short description of
 * a row for messages. Pure.
 */
import { createHash } from "node:crypto";
import type { PriceRowData, PriceScope } from "../pricing/price-calculator";

export function priceScopeOf(row: { shopGroupId?: string | null; shopId?: string | null }): PriceScope {
  if (row.shopId != null) return { kind: "SHOP", shopId: row.shopId };
  if (row.shopGroupId != null) return { kind: "GROUP", shopGroupId: row.shopGroupId };
  return { kind: "STANDARD" };
}

function scopeLabel(scope: PriceScope): string {
  return scope.kind === "SHOP" ? `S-${scope.shopId}` : scope.kind === "GROUP" ? `G-${scope.shopGroupId}` : "STD";
}

export function naturalKey(scope: PriceScope, productId: string, validFrom: string, minSheets: number | null): string {
  return `${scopeLabel(scope)}\u0000${productId}\u0000${validFrom}\u0000${minSheets ?? ""}`;
}

/**
 * The id of a price row given without one, from its natural key (scope, product, validFrom,
 * minSheets): readable when it fits in 64 characters, a hash of the key otherwise. Deterministic, so
 * that re-importing the same bundle finds the same rows.
 */
export function derivePriceRowId(scope: PriceScope, productId: string, validFrom: string, minSheets: number | null): string {
  const id = `PR-${scopeLabel(scope)}-${productId}-${validFrom}${minSheets === null ? "" : `-${minSheets}`}`;
  if (id.length <= 64) return id;
  return (
    "PR-H-" +
    createHash("sha256")
      .update(naturalKey(scope, productId, validFrom, minSheets))
      .digest("hex")
      .slice(0, 40)
  );
}

export function describeRow(r: PriceRowData): string {
  const scope = r.scope.kind === "SHOP" ? `shop ${r.scope.shopId}` : r.scope.kind === "GROUP" ? `group ${r.scope.shopGroupId}` : "standard";
  const tier = r.minSheets === null ? "untiered" : `sheets ${r.minSheets}-${r.maxSheets ?? ""}`;
  return `${scope}, ${r.productId}, ${r.validFrom}..${r.validUntil ?? "open"}, ${tier}`;
}
