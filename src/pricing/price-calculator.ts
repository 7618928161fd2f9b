/**
 * The price calculator: which price row applies, and what an order costs.
 *
 * Implements the contract's pricing rules (seed 003, Fig. 22, 24 and 26): the
 * template comes from the shop, else its group; each product of the template
 * is priced by the first row in force on the business date, in the order
 * shop tier, shop, group tier, group, standard tier, standard; a line costs
 * basicCharge + amountCharge × sheets; charged images add feePerSheet × sheets.
 *
 * Pure: no database, no GraphQL. The service layer loads rows into a
 * {@link ShopPricingContext} once and may quote against it many times (quotes,
 * lab candidates), so lookups go through {@link PriceBookIndex} instead of
 * scanning rows. Money is integer minor units throughout; every product and sum
 * is checked with Number.isSafeInteger, because past 2^53 a JS number silently
 * stops being an exact integer.
 */
import { isValidDate, type IsoDate } from "./business-date";

export type PriceScope =
  | { kind: "SHOP"; shopId: string }
  | { kind: "GROUP"; shopGroupId: string }
  | { kind: "STANDARD" };

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

export interface PriceMatch {
  row: PriceRowData;
  /** True when a sheet-count tier matched, false for the untiered fallback. */
  tier: boolean;
}

// ---------------------------------------------------------------------------
// The index
// ---------------------------------------------------------------------------

// Sorts after every YYYY-MM-DD, so an open-ended period compares as "forever".
const OPEN_END = "\uffff";

/** A row with its comparison keys precomputed, so comparisons do no null checks. */
interface IndexedRow {
  row: PriceRowData;
  from: IsoDate;
  until: string;
  minSheets: number;
  maxSheets: number;
}

/** Day keys: YYYYMMDD as a number, which sorts as the date does. Past every real date: open-ended. */
const OPEN_END_DAY = 100_000_000;

/** `YYYY-MM-DD` as YYYYMMDD (the string is a valid date: rows are shape-checked, quote dates computed). */
function dayKey(date: IsoDate): number {
  const digit = (i: number): number => date.charCodeAt(i) - 48;
  const year = ((digit(0) * 10 + digit(1)) * 10 + digit(2)) * 10 + digit(3);
  return year * 10_000 + (digit(5) * 10 + digit(6)) * 100 + digit(8) * 10 + digit(9);
}

/**
 * The price rows of one scope (a shop, a group, or the standard book), indexed
 * by product, for "the row in force on D for product P matching N sheets".
 *
 * The rows are packed by product, each product's tier rows then its untiered
 * rows, each run sorted by validFrom (then id); the comparison keys live in
 * typed arrays beside them, so a lookup reads a few contiguous numbers and
 * touches one row object, the answer, however large the book. Books of a
 * million rows are mostly cache misses otherwise, and a few objects per row
 * more for the garbage collector to walk.
 *
 * A lookup is a map hit on the product, a binary search on validFrom within the
 * product's run and a backward scan that stops once no earlier row of that run
 * can still be in force on D: `reach[i]` is the latest validUntil from the
 * run's start to i. Where periods replace each other (the usual book) that scan
 * covers the current period's rows only; at worst (an old open-ended row behind
 * many later ones) it covers that product's run, never the rest of the book.
 *
 * Should overlapping rows reach the index anyway, the answer is still
 * deterministic: the in-force row with the latest validFrom (then the greatest
 * id) wins.
 */
export class PriceBookIndex {
  private constructor(
    /** Product id -> its slot k: tier rows at [bounds[2k], bounds[2k+1]), untiered at [bounds[2k+1], bounds[2k+2]). */
    private readonly slots: ReadonlyMap<string, number>,
    private readonly bounds: Int32Array,
    private readonly rows: readonly PriceRowData[],
    private readonly from: Int32Array,
    private readonly until: Int32Array,
    private readonly reach: Int32Array,
    private readonly minSheets: Float64Array,
    private readonly maxSheets: Float64Array,
  ) {}

  /**
   * Builds the index. Rows are expected to be shape-valid (see
   * {@link validatePriceRowShape}); a row counts as a tier when minSheets is set.
   */
  static from(rows: readonly PriceRowData[]): PriceBookIndex {
    const grouped = new Map<string, { tiers: IndexedRow[]; untiered: IndexedRow[] }>();
    for (const row of rows) {
      let entry = grouped.get(row.productId);
      if (entry === undefined) {
        entry = { tiers: [], untiered: [] };
        grouped.set(row.productId, entry);
      }
      (isTier(row) ? entry.tiers : entry.untiered).push(toIndexed(row));
    }
    const n = rows.length;
    const slots = new Map<string, number>();
    const bounds = new Int32Array(grouped.size * 2 + 1);
    const packed: PriceRowData[] = new Array<PriceRowData>(n);
    const from = new Int32Array(n);
    const until = new Int32Array(n);
    const reach = new Int32Array(n);
    const minSheets = new Float64Array(n);
    const maxSheets = new Float64Array(n);
    let at = 0;
    const pack = (run: IndexedRow[]): void => {
      run.sort(compareIndexed);
      let latest = 0;
      for (const r of run) {
        packed[at] = r.row;
        from[at] = dayKey(r.from);
        until[at] = r.row.validUntil === null ? OPEN_END_DAY : dayKey(r.row.validUntil);
        latest = Math.max(latest, until[at]);
        reach[at] = latest;
        minSheets[at] = r.minSheets;
        maxSheets[at] = r.maxSheets;
        at++;
      }
    };
    for (const [productId, entry] of grouped) {
      const slot = slots.size;
      slots.set(productId, slot);
      bounds[2 * slot] = at;
      pack(entry.tiers);
      bounds[2 * slot + 1] = at;
      pack(entry.untiered);
      bounds[2 * slot + 2] = at;
    }
    return new PriceBookIndex(slots, bounds, packed, from, until, reach, minSheets, maxSheets);
  }

  /**
   * The row in force on `date` for `productId` and `sheets`: a matching tier
   * row wins; an untiered row is the fallback for counts no tier covers.
   */
  find(productId: string, date: IsoDate, sheets: number): PriceMatch | null {
    const slot = this.slots.get(productId);
    if (slot === undefined) {
      return null;
    }
    const day = dayKey(date);
    const split = this.bounds[2 * slot + 1];
    const tierRow = this.latestInForce(this.bounds[2 * slot], split, day, sheets);
    if (tierRow >= 0) {
      return { row: this.rows[tierRow], tier: true };
    }
    const untieredRow = this.latestInForce(split, this.bounds[2 * slot + 2], day, sheets);
    return untieredRow < 0 ? null : { row: this.rows[untieredRow], tier: false };
  }

  /** Every row of one product in this index (tiers first), for price lists and dry runs. */
  rowsFor(productId: string): PriceRowData[] {
    const slot = this.slots.get(productId);
    return slot === undefined ? [] : this.rows.slice(this.bounds[2 * slot], this.bounds[2 * slot + 2]);
  }

  /** An index with no rows (a shop without own prices): one, shared, since an index is never changed. */
  static empty(): PriceBookIndex {
    EMPTY_INDEX ??= PriceBookIndex.from([]);
    return EMPTY_INDEX;
  }

  /** Within the run [start, end): the in-force row matching `sheets` with the latest validFrom, or -1. */
  private latestInForce(start: number, end: number, day: number, sheets: number): number {
    const { from, until, reach, minSheets, maxSheets } = this;
    // Binary search: the first row of the run whose validFrom is after `day`.
    let lo = start;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (from[mid] <= day) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    for (let i = lo - 1; i >= start && reach[i] >= day; i--) {
      if (until[i] >= day && minSheets[i] <= sheets && sheets <= maxSheets[i]) {
        return i;
      }
    }
    return -1;
  }
}

let EMPTY_INDEX: PriceBookIndex | null = null;

function isTier(row: Pick<PriceRowData, "minSheets">): boolean {
  return row.minSheets !== null;
}

function toIndexed(row: PriceRowData): IndexedRow {
  const tier = isTier(row);
  return {
    row,
    from: row.validFrom,
    until: row.validUntil ?? OPEN_END,
    // An untiered row matches every sheet count.
    minSheets: tier ? (row.minSheets ?? 1) : Number.MIN_SAFE_INTEGER,
    maxSheets: tier ? (row.maxSheets ?? Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER,
  };
}

function compareIndexed(a: IndexedRow, b: IndexedRow): number {
  if (a.from !== b.from) {
    return a.from < b.from ? -1 : 1;
  }
  return a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0;
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

export interface ImageFeeResult {
  imageId: string;
  feePerSheet: number;
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

export type QuoteErrorCode =
  | "SERVICE_NOT_OFFERED"
  | "NO_PRICE"
  | "DUPLICATE_SERVICE"
  | "INVALID_SHEETS"
  | "AMOUNT_TOO_LARGE";

export interface QuoteError {
  code: QuoteErrorCode;
  message: string;
  /** Path to the input field at fault, all strings: ["input", "subOrders", "0", "sheets"]. */
  field: string[];
}

export type QuoteResult =
  | { ok: true; shopId: string; priceDate: IsoDate; subOrders: SubOrderQuoteResult[]; total: number }
  | { ok: false; errors: QuoteError[] };

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
          `No price for product ${productId} on ${priceDate} for ${sheets} sheets: ` +
          `none at shop ${ctx.shopId}, group ${ctx.shopGroupId} or standard.`,
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

  // Per item, not per distinct image: each placement of the image is a use.
  const imageFees: ImageFeeResult[] = [];
  for (const item of subOrder.items) {
    const feePerSheet = ctx.chargedImages.get(item.imageId);
    if (feePerSheet === undefined) {
      continue;
    }
    const subtotal = safeMultiply(feePerSheet, sheets);
    if (subtotal === null) {
      errors.push(tooLarge(path, `the fee of image ${item.imageId}`));
      return null;
    }
    imageFees.push({ imageId: item.imageId, feePerSheet, sheets, subtotal });
  }

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
  return (
    ctx.shopTemplates.find((t) => t.serviceId === serviceId) ??
    ctx.groupTemplates.find((t) => t.serviceId === serviceId) ??
    null
  );
}

/** The first row in force on `date`, walking the contract's precedence. */
export function findPrice(
  ctx: ShopPricingContext,
  productId: string,
  date: IsoDate,
  sheets: number,
): { row: PriceRowData; source: PriceSource } | null {
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

/** a × b, or null when the exact result is not a safe integer. */
function safeMultiply(a: number, b: number): number | null {
  // If the exact product exceeds 2^53 the rounded one does too, so checking
  // the rounded result is enough; within range the product is exact.
  const product = a * b;
  return Number.isSafeInteger(product) ? product : null;
}

/** The sum, or null when any term is null or a partial sum is not a safe integer. */
function safeSum(amounts: ReadonlyArray<number | null>): number | null {
  let sum = 0;
  for (const amount of amounts) {
    if (amount === null) {
      return null;
    }
    sum += amount;
    if (!Number.isSafeInteger(sum)) {
      return null;
    }
  }
  return sum;
}

// ---------------------------------------------------------------------------
// Overlaps
// ---------------------------------------------------------------------------

/**
 * Pairs of rows of one scope and product that would both answer the same
 * lookup: two tier rows whose periods and sheet ranges intersect, or two
 * untiered rows whose periods intersect. A tier row and an untiered row never
 * overlap, since the untiered row is only the fallback. Touching periods
 * (one ends on the 31st, the next starts on the 1st) do not overlap.
 *
 * Rows are grouped by scope, product and kind, then swept in validFrom order
 * keeping only the rows still open, so the cost is O(n log n) plus the pairs
 * found, not all pairs of the input. Each pair is [earlier, later] by
 * validFrom (then id).
 */
export function findOverlaps(rows: readonly PriceRowData[]): Array<[PriceRowData, PriceRowData]> {
  const groups = new Map<string, IndexedRow[]>();
  for (const row of rows) {
    const key = `${scopeKey(row.scope)}\u0000${row.productId}\u0000${isTier(row) ? "T" : "U"}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = [];
      groups.set(key, group);
    }
    group.push(toIndexed(row));
  }

  const pairs: Array<[PriceRowData, PriceRowData]> = [];
  for (const group of groups.values()) {
    group.sort(compareIndexed);
    let open: IndexedRow[] = [];
    for (const current of group) {
      // Rows that ended before this one starts can overlap nothing from here on.
      open = open.filter((earlier) => earlier.until >= current.from);
      for (const earlier of open) {
        // Untiered rows span every sheet count, so this holds for them trivially.
        if (earlier.minSheets <= current.maxSheets && current.minSheets <= earlier.maxSheets) {
          pairs.push([earlier.row, current.row]);
        }
      }
      open.push(current);
    }
  }
  return pairs;
}

function scopeKey(scope: PriceScope): string {
  switch (scope.kind) {
    case "SHOP":
      return `SHOP:${scope.shopId}`;
    case "GROUP":
      return `GROUP:${scope.shopGroupId}`;
    case "STANDARD":
      return "STANDARD";
    default:
      return unreachable(scope);
  }
}

// ---------------------------------------------------------------------------
// Row shape
// ---------------------------------------------------------------------------

/** The fields of a price row that can be checked without looking at other rows. */
export type PriceRowShape = Pick<
  PriceRowData,
  "validFrom" | "validUntil" | "basicCharge" | "amountCharge" | "minSheets" | "maxSheets"
>;

export type PriceRowShapeErrorCode =
  | "NEGATIVE_CHARGE"
  | "INVALID_AMOUNT"
  | "INVALID_DATE"
  | "INVALID_PERIOD"
  | "INVALID_TIER";

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

// ---------------------------------------------------------------------------

/** For exhaustive switches: the compiler proves this is never reached. */
function unreachable(value: never): never {
  throw new TypeError(`Unreachable case: ${JSON.stringify(value)}`);
}
