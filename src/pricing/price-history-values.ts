/**
 * A price history entry's stored before/after (the JSON of a price row or an allowance, as written
 * by PriceAdminService), read back as typed values. Pure: no database, no GraphQL.
 */

export interface PriceRowValue {
  kind: "PRICE_ROW";
  priceRowId: string;
  shopGroupId: string | null;
  shopId: string | null;
  productId: string;
  validFrom: string;
  validUntil: string | null;
  basicCharge: number;
  amountCharge: number;
  minSheets: number | null;
  maxSheets: number | null;
}

export interface AllowanceValue {
  kind: "ALLOWANCE";
  shopId: string;
  productId: string;
  minBasicCharge: number;
  maxBasicCharge: number;
  minAmountCharge: number;
  maxAmountCharge: number;
}

export type PriceHistoryValue = PriceRowValue | AllowanceValue;

/** The value of a stored snapshot of an entry of this kind; null for none. */
export function historyValue(entityKind: string, json: string | null): PriceHistoryValue | null {
  if (json === null) return null;
  const v = JSON.parse(json) as Record<string, unknown>;
  const str = (k: string): string => String(v[k]);
  const strOrNull = (k: string): string | null => (v[k] === null || v[k] === undefined ? null : String(v[k]));
  const int = (k: string): number => Number(v[k]);
  const intOrNull = (k: string): number | null => (v[k] === null || v[k] === undefined ? null : Number(v[k]));
  if (entityKind === "ALLOWANCE") {
    return {
      kind: "ALLOWANCE",
      shopId: str("shopId"),
      productId: str("productId"),
      minBasicCharge: int("minBasicCharge"),
      maxBasicCharge: int("maxBasicCharge"),
      minAmountCharge: int("minAmountCharge"),
      maxAmountCharge: int("maxAmountCharge"),
    };
  }
  return {
    kind: "PRICE_ROW",
    priceRowId: str("id"),
    shopGroupId: strOrNull("shopGroupId"),
    shopId: strOrNull("shopId"),
    productId: str("productId"),
    validFrom: str("validFrom"),
    validUntil: strOrNull("validUntil"),
    basicCharge: int("basicCharge"),
    amountCharge: int("amountCharge"),
    minSheets: intOrNull("minSheets"),
    maxSheets: intOrNull("maxSheets"),
  };
}
