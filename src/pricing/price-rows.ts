/**
 * Price rows as the calculator sees them (seed 003, Fig. 22 and 24): their scope (a shop, a shop
 * group or the standard prices), period, charges and optional sheet-count tier, and the checks a
 * row must pass on its own.
 *
 * Pure: no database, no GraphQL.
 */
import { isValidDate, type IsoDate } from "./business-date";

export type PriceScope = { kind: "SHOP"; shopId: string } | { kind: "GROUP"; shopGroupId: string } | { kind: "STANDARD" };

export type PriceSource = "SHOP_TIER" | "SHOP" | "GROUP_TIER" | "GROUP" | "STANDARD_TIER" | "STANDARD";

export interface PriceRowData {
  id: string;
  scope: PriceScope;
  productId: string;
  /** YYYY-MM-DD, inclusive. */
  validFrom: IsoDate;
  /** YYYY-MM-DD, inclusive; null = open-ended. */
  validUntil: IsoDate | null;
  /** Integer minor units. */
  basicCharge: number;
  /** Integer minor units per sheet. */
  amountCharge: number;
  /** Tier: min set, max set or null (open-ended tier). Untiered: both null. */
  minSheets: number | null;
  maxSheets: number | null;
}

export interface TemplateData {
  id: string;
  serviceId: string;
  productIds: string[];
}

export interface PriceMatch {
  row: PriceRowData;
  /** True when a sheet-count tier matched, false for the untiered fallback. */
  tier: boolean;
}

/** A sheet-count tier row (min set); an untiered row is the fallback of its scope and product. */
export function isTier(row: Pick<PriceRowData, "minSheets">): boolean {
  return row.minSheets !== null;
}

// ---------------------------------------------------------------------------
// Row shape
// ---------------------------------------------------------------------------

/** The fields of a price row that can be checked without looking at other rows. */
export type PriceRowShape = Pick<PriceRowData, "validFrom" | "validUntil" | "basicCharge" | "amountCharge" | "minSheets" | "maxSheets">;

export type PriceRowShapeErrorCode = "NEGATIVE_CHARGE" | "INVALID_AMOUNT" | "INVALID_DATE" | "INVALID_PERIOD" | "INVALID_TIER";

export interface PriceRowShapeError {
  code: PriceRowShapeErrorCode;
  message: string;
  /** The input field at fault, e.g. "validUntil". */
  field: keyof PriceRowShape;
}

/**
 * Checks one row on its own: integer non-negative charges, real dates, a
 * period that does not end before it starts, and a sane tier. Overlaps with
 * other rows are {@link findOverlaps}'s business. Returns every fault found.
 *
 * Written defensively (typeof checks) because rows also arrive from JSON
 * bundles, where a "number" may be anything.
 */
export function validatePriceRowShape(row: PriceRowShape): PriceRowShapeError[] {
  const errors: PriceRowShapeError[] = [];

  for (const field of ["basicCharge", "amountCharge"] as const) {
    const value = row[field];
    if (!Number.isSafeInteger(value)) {
      errors.push({
        code: "INVALID_AMOUNT",
        message: `${field} must be a whole number of minor units, got ${String(value)}.`,
        field,
      });
    } else if (value < 0) {
      errors.push({ code: "NEGATIVE_CHARGE", message: `${field} must not be negative, got ${value}.`, field });
    }
  }

  const fromValid = isValidDate(row.validFrom);
  if (!fromValid) {
    errors.push({
      code: "INVALID_DATE",
      message: `validFrom must be a calendar date YYYY-MM-DD, got ${JSON.stringify(row.validFrom)}.`,
      field: "validFrom",
    });
  }
  const untilValid = row.validUntil === null || isValidDate(row.validUntil);
  if (!untilValid) {
    errors.push({
      code: "INVALID_DATE",
      message: `validUntil must be a calendar date YYYY-MM-DD or null, got ${JSON.stringify(row.validUntil)}.`,
      field: "validUntil",
    });
  }
  if (fromValid && untilValid && row.validUntil !== null && row.validUntil < row.validFrom) {
    errors.push({
      code: "INVALID_PERIOD",
      message: `validUntil ${row.validUntil} is before validFrom ${row.validFrom}.`,
      field: "validUntil",
    });
  }

  const { minSheets, maxSheets } = row;
  const minValid = minSheets === null || (Number.isSafeInteger(minSheets) && minSheets >= 1);
  if (!minValid) {
    errors.push({
      code: "INVALID_TIER",
      message: `minSheets must be a whole number of 1 or more, got ${String(minSheets)}.`,
      field: "minSheets",
    });
  }
  if (maxSheets !== null) {
    if (minSheets === null) {
      // A tier is anchored at its first sheet; "up to N" is written minSheets 1.
      errors.push({
        code: "INVALID_TIER",
        message: "maxSheets needs minSheets (use minSheets 1 for a tier from the first sheet).",
        field: "maxSheets",
      });
    } else if (!Number.isSafeInteger(maxSheets)) {
      errors.push({
        code: "INVALID_TIER",
        message: `maxSheets must be a whole number, got ${String(maxSheets)}.`,
        field: "maxSheets",
      });
    } else if (minValid && maxSheets < minSheets) {
      errors.push({
        code: "INVALID_TIER",
        message: `maxSheets ${maxSheets} is below minSheets ${minSheets}.`,
        field: "maxSheets",
      });
    }
  }
  return errors;
}

/** For exhaustive switches: the compiler proves this is never reached. */
export function unreachable(value: never): never {
  throw new TypeError(`Unreachable case: ${JSON.stringify(value)}`);
}
