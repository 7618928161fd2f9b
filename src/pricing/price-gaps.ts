/**
 * Where a shop has no price in force (seed 003, S20007: prices "need to be registered"): for each
 * product of each service the shop offers, the dates and sheet counts for which no row applies at
 * any level, which a customer's quote would answer with NO_PRICE.
 *
 * Pure: no database, no GraphQL.
 */
import { addDays, type IsoDate } from "./business-date";
import { findPrice, type PriceRowData, type ShopPricingContext, type TemplateData } from "./price-calculator";

export interface PriceGap {
  shopId: string;
  templateId: string;
  serviceId: string;
  productId: string;
  validFrom: IsoDate;
  /** Inclusive; null: open-ended (only for gaps a change opens, see findGapsOpened). */
  validUntil: IsoDate | null;
  minSheets: number;
  /** Inclusive; null: no upper end. */
  maxSheets: number | null;
}

/** The templates by which the shop offers its services: its own, else its group's. */
export function offeredTemplates(ctx: ShopPricingContext): TemplateData[] {
  const own = new Set(ctx.shopTemplates.map((t) => t.serviceId));
  return [...ctx.shopTemplates, ...ctx.groupTemplates.filter((t) => !own.has(t.serviceId))].sort((a, b) => (a.serviceId < b.serviceId ? -1 : 1));
}

/**
 * Every product and sheet range of the shop's templates with no price in force on some day from
 * `from` to `until` (inclusive): one gap per run of days with the same sheet range missing.
 */
export function findGaps(ctx: ShopPricingContext, from: IsoDate, until: IsoDate): PriceGap[] {
  const gaps: PriceGap[] = [];
  for (const template of offeredTemplates(ctx)) {
    for (const productId of template.productIds) {
      const runs = runsWhere(rowsOf(ctx, productId), from, until, (day, n) => findPrice(ctx, productId, day, n) === null);
      gaps.push(...runs.map((run) => gapOf(ctx.shopId, template, productId, run)));
    }
  }
  return gaps;
}

/**
 * The gaps a change opens at one shop: the days from `from` to `until` (null: with no end) and the
 * sheet counts for which the product had a price in force `before` the change and has none `after`
 * it, for each of the shop's templates that offers the product. A gap that was there before the
 * change is not one it opens.
 */
export function findGapsOpened(before: ShopPricingContext, after: ShopPricingContext, productId: string, from: IsoDate, until: IsoDate | null): PriceGap[] {
  const templates = offeredTemplates(after).filter((t) => t.productIds.includes(productId));
  if (templates.length === 0) return [];
  const rows = [...rowsOf(before, productId), ...rowsOf(after, productId)];
  const runs = runsWhere(rows, from, until, (day, n) => findPrice(after, productId, day, n) === null && findPrice(before, productId, day, n) !== null);
  return templates.flatMap((template) => runs.map((run) => gapOf(after.shopId, template, productId, run)));
}

type Run = Pick<PriceGap, "validFrom" | "validUntil" | "minSheets" | "maxSheets">;

function rowsOf(ctx: ShopPricingContext, productId: string): PriceRowData[] {
  return [...ctx.shopRows.rowsFor(productId), ...ctx.groupRows.rowsFor(productId), ...ctx.standardRows.rowsFor(productId)];
}

function gapOf(shopId: string, template: TemplateData, productId: string, run: Run): PriceGap {
  return { shopId, templateId: template.id, serviceId: template.serviceId, productId, ...run };
}

/**
 * The runs of days (from `from` to `until`, null: no end) and sheet ranges where `missing` holds,
 * cut where a row starts or ends: within such a cut nothing changes. One run per stretch of days
 * with the same sheet range missing.
 */
function runsWhere(rows: PriceRowData[], from: IsoDate, until: IsoDate | null, missing: (day: IsoDate, sheets: number) => boolean): Run[] {
  const runs: Run[] = [];
  const days = new Set<IsoDate>([from]);
  const sheets = new Set<number>([1]);
  for (const r of rows) {
    if (r.validFrom > from && (until === null || r.validFrom <= until)) days.add(r.validFrom);
    if (r.validUntil !== null && r.validUntil >= from && (until === null || r.validUntil < until)) days.add(addDays(r.validUntil, 1));
    if (r.minSheets !== null) sheets.add(r.minSheets);
    if (r.maxSheets !== null) sheets.add(r.maxSheets + 1);
  }
  const dayList = [...days].sort();
  const sheetList = [...sheets].sort((a, b) => a - b);
  // Runs still open at the end of the day segment before, by their sheet range.
  let open = new Map<string, Run>();
  dayList.forEach((day, di) => {
    const last = di + 1 < dayList.length ? addDays(dayList[di + 1], -1) : until;
    const next = new Map<string, Run>();
    let run: { min: number; max: number | null } | null = null;
    const close = () => {
      if (!run) return;
      const key = `${run.min}-${run.max ?? ""}`;
      const known = open.get(key);
      const gap = known ?? { validFrom: day, validUntil: last, ...sheetsOf(run) };
      gap.validUntil = last;
      if (!known) runs.push(gap);
      next.set(key, gap);
      run = null;
    };
    sheetList.forEach((n, si) => {
      const max = si + 1 < sheetList.length ? sheetList[si + 1] - 1 : null;
      if (missing(day, n)) run = run ? { min: run.min, max } : { min: n, max };
      else close();
    });
    close();
    open = next;
  });
  return runs;
}

function sheetsOf(run: { min: number; max: number | null }): { minSheets: number; maxSheets: number | null } {
  return { minSheets: run.min, maxSheets: run.max };
}
