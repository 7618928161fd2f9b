/**
 * The price calculator: which price row applies, and what an order costs.
 *
 * Implements the contract's pricing rules (seed 003, Fig. 22, 24 and 26): the
 * template comes from the shop, else its group; each product of the template
 * is priced by the first row in force on the business date, in the order
 * shop tier, shop, group tier, group, standard tier, standard; a line costs
 * basicCharge + amountCharge × sheets; charged images add feePerSheet × sheets.
 *
 * Pure: no database, no GraphQL (nor do the modules it is made of: price-rows,
 * price-tiers, copyright-fees, money). The service layer loads rows into a
 * {@link ShopPricingContext} once and may quote against it many times (quotes,
 * lab candidates), so lookups go through {@link PriceBookIndex} instead of
 * scanning rows. Money is integer minor units throughout; every product and sum
 * is checked with Number.isSafeInteger, because past 2^53 a JS number silently
 * stops being an exact integer.
 */
import { isValidDate, type IsoDate } from "./business-date";
import { copyrightFees, type ImageFeeResult } from "./copyright-fees";
import { safeMultiply, safeSum } from "./money";
import { unreachable, type PriceRowData, type PriceSource, type TemplateData } from "./price-rows";
import { PriceBookIndex } from "./price-tiers";

// The calculator's vocabulary, importable from here as before the split.
export type { ImageFeeResult } from "./copyright-fees";
export {
  validatePriceRowShape,
  type PriceMatch,
  type PriceRowData,
  type PriceRowShape,
  type PriceRowShapeError,
  type PriceRowShapeErrorCode,
  type PriceScope,
  type PriceSource,
  type TemplateData,
} from "./price-rows";
export { findOverlaps, PriceBookIndex } from "./price-tiers";

/** Everything needed to price orders at one shop: built once, queried many times (the hot path). */
export interface ShopPricingContext {
  shopId: string;
  shopGroupId: string;
  /** The shop's own templates (win over the group's for the same service). */
  shopTemplates: TemplateData[];
  groupTemplates: TemplateData[];
  /** Rows of scope SHOP for this shop. */
  shopRows: PriceBookIndex;
  /** Rows of scope GROUP for this group. */
  groupRows: PriceBookIndex;
  /** STANDARD rows. */
  standardRows: PriceBookIndex;
  /** imageId -> feePerSheet. */
  chargedImages: ReadonlyMap<string, number>;
}

// ---------------------------------------------------------------------------
// Quoting
// ---------------------------------------------------------------------------

export interface QuoteItemInput {
  imageId: string;
}

export interface QuoteSubOrderInput {
  serviceId: string;
  sheets: number;
  items: QuoteItemInput[];
}

export interface QuoteInput {
  /** The business date whose prices apply (see businessDate). */
  priceDate: IsoDate;
  subOrders: QuoteSubOrderInput[];
}

export interface PriceLineResult {
  productId: string;
  source: PriceSource;
  priceRowId: string;
  basicCharge: number;
  amountCharge: number;
  sheets: number;
  subtotal: number;
}

export interface SubOrderQuoteResult {
  serviceId: string;
  templateId: string;
  sheets: number;
  lines: PriceLineResult[];
  imageFees: ImageFeeResult[];
  subtotal: number;
}

export type QuoteErrorCode = "SERVICE_NOT_OFFERED" | "NO_PRICE" | "DUPLICATE_SERVICE" | "INVALID_SHEETS" | "AMOUNT_TOO_LARGE";

export interface QuoteError {
  code: QuoteErrorCode;
  message: string;
  /** Path to the input field at fault, all strings: ["input", "subOrders", "0", "sheets"]. */
  field: string[];
}

export type QuoteResult =
  { ok: true; shopId: string; priceDate: IsoDate; subOrders: SubOrderQuoteResult[]; total: number } | { ok: false; errors: QuoteError[] };

type ScopeLevel = "SHOP" | "GROUP" | "STANDARD";

/** The contract's precedence, most specific first. */
const SCOPE_LEVELS: readonly ScopeLevel[] = ["SHOP", "GROUP", "STANDARD"];

function sourceOf(level: ScopeLevel, tier: boolean): PriceSource {
  switch (level) {
    case "SHOP":
      return tier ? "SHOP_TIER" : "SHOP";
    case "GROUP":
      return tier ? "GROUP_TIER" : "GROUP";
    case "STANDARD":
      return tier ? "STANDARD_TIER" : "STANDARD";
    default:
      return unreachable(level);
  }
}

function indexOf(ctx: ShopPricingContext, level: ScopeLevel): PriceBookIndex {
  switch (level) {
    case "SHOP":
      return ctx.shopRows;
    case "GROUP":
      return ctx.groupRows;
    case "STANDARD":
      return ctx.standardRows;
    default:
      return unreachable(level);
  }
}

/**
 * Prices an order at one shop on one business date.
 *
 * Every sub-order is checked and every fault collected, so a caller sees all
 * that is wrong with an order at once; a result with errors carries no partial
 * totals.
 *
 * @throws RangeError when `priceDate` is not a real `YYYY-MM-DD` date: it is
 *   computed by the server, never typed by a customer, so a bad one is a bug.
 */
export function quoteOrder(ctx: ShopPricingContext, input: QuoteInput): QuoteResult {
  if (!isValidDate(input.priceDate)) {
    throw new RangeError(`quoteOrder: priceDate ${JSON.stringify(input.priceDate)} is not a YYYY-MM-DD date`);
  }
  const errors: QuoteError[] = [];
  const subOrders: SubOrderQuoteResult[] = [];
  const seenServices = new Set<string>();

  input.subOrders.forEach((subOrder, i) => {
    const path = ["input", "subOrders", String(i)];
    const sheetsValid = Number.isSafeInteger(subOrder.sheets) && subOrder.sheets >= 1;
    if (!sheetsValid) {
      errors.push({
        code: "INVALID_SHEETS",
        message: `Sheets must be a whole number of 1 or more, got ${String(subOrder.sheets)}.`,
        field: [...path, "sheets"],
      });
    }
    // One sub-order per service (contract). A repeat is reported at the repeat
    // and not looked at further, so one fault of the service is not reported twice.
    if (seenServices.has(subOrder.serviceId)) {
      errors.push({
        code: "DUPLICATE_SERVICE",
        message: `Service ${subOrder.serviceId} appears in more than one sub-order.`,
        field: [...path, "serviceId"],
      });
      return;
    }
    seenServices.add(subOrder.serviceId);

    const template = templateFor(ctx, subOrder.serviceId);
    if (template === null) {
      errors.push({
        code: "SERVICE_NOT_OFFERED",
        message: `Shop ${ctx.shopId} (group ${ctx.shopGroupId}) does not offer service ${subOrder.serviceId}.`,
        field: [...path, "serviceId"],
      });
      return;
    }
    // Tiers depend on the sheet count: without a valid one nothing can be priced.
    if (sheetsValid) {
      const quoted = quoteSubOrder(ctx, input.priceDate, template, subOrder, path, errors);
      if (quoted !== null) {
        subOrders.push(quoted);
      }
    }
  });

  if (errors.length > 0) {
    return { ok: false, errors };
  }
  const total = safeSum(subOrders.map((s) => s.subtotal));
  if (total === null) {
    return {
      ok: false,
      errors: [
        {
          code: "AMOUNT_TOO_LARGE",
          message: "The order total is too large to be represented exactly.",
          field: ["input", "subOrders"],
        },
      ],
    };
  }
  return { ok: true, shopId: ctx.shopId, priceDate: input.priceDate, subOrders, total };
}

/**
 * Prices one sub-order whose template and sheet count are known good. Pushes
 * its faults onto `errors` and returns null when there were any.
 */
function quoteSubOrder(
  ctx: ShopPricingContext,
  priceDate: IsoDate,
  template: TemplateData,
  subOrder: QuoteSubOrderInput,
  path: string[],
  errors: QuoteError[],
): SubOrderQuoteResult | null {
  const { sheets } = subOrder;
  const errorCountBefore = errors.length;

  const lines: PriceLineResult[] = [];
  for (const productId of template.productIds) {
    const found = findPrice(ctx, productId, priceDate, sheets);
    if (found === null) {
      errors.push({
        code: "NO_PRICE",
        message:
          `No price for product ${productId} on ${priceDate} for ${sheets} sheets: ` + `none at shop ${ctx.shopId}, group ${ctx.shopGroupId} or standard.`,
        field: [...path, "serviceId"],
      });
      continue;
    }
    const { row, source } = found;
    const subtotal = safeSum([row.basicCharge, safeMultiply(row.amountCharge, sheets)]);
    if (subtotal === null) {
      errors.push(tooLarge(path, `the price of product ${productId}`));
      return null;
    }
    lines.push({
      productId,
      source,
      priceRowId: row.id,
      basicCharge: row.basicCharge,
      amountCharge: row.amountCharge,
      sheets,
      subtotal,
    });
  }

  const fees = copyrightFees(ctx.chargedImages, subOrder.items, sheets);
  if ("tooLarge" in fees) {
    errors.push(tooLarge(path, `the fee of image ${fees.tooLarge}`));
    return null;
  }
  const imageFees = fees.fees;

  if (errors.length > errorCountBefore) {
    return null;
  }
  const subtotal = safeSum([...lines.map((l) => l.subtotal), ...imageFees.map((f) => f.subtotal)]);
  if (subtotal === null) {
    errors.push(tooLarge(path, "the sub-order subtotal"));
    return null;
  }
  return { serviceId: subOrder.serviceId, templateId: template.id, sheets, lines, imageFees, subtotal };
}

/** The shop's own template for the service, else its group's. */
function templateFor(ctx: ShopPricingContext, serviceId: string): TemplateData | null {
  // Linear: a shop or group has one template per service, a handful at most.
  return ctx.shopTemplates.find((t) => t.serviceId === serviceId) ?? ctx.groupTemplates.find((t) => t.serviceId === serviceId) ?? null;
}

/** The first row in force on `date`, walking the contract's precedence. */
export function findPrice(ctx: ShopPricingContext, productId: string, date: IsoDate, sheets: number): { row: PriceRowData; source: PriceSource } | null {
  for (const level of SCOPE_LEVELS) {
    const match = indexOf(ctx, level).find(productId, date, sheets);
    if (match !== null) {
      return { row: match.row, source: sourceOf(level, match.tier) };
    }
  }
  return null;
}

function tooLarge(path: string[], what: string): QuoteError {
  return {
    code: "AMOUNT_TOO_LARGE",
    message: `The sheet count makes ${what} too large to be represented exactly.`,
    field: [...path, "sheets"],
  };
}
