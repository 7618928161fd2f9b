/**
 * Where a shop has no price in force (seed 003, S20007: prices "need to be registered"): for each
 * product of each service the shop offers, the dates and sheet counts for which no row applies at
 * any level, which a customer's quote would answer with NO_PRICE.
 *
 * Pure: no database, no GraphQL.
 */
import { addDays, type IsoDate } from "./business-date";
import { findPrice, type ShopPricingContext, type TemplateData } from "./price-calculator";

export interface PriceGap {
  shopId: string;
  templateId: string;
  serviceId: string;
  productId: string;
  validFrom: IsoDate;
  /** Inclusive; null: open-ended (only for gaps found by a change, see gapsOpened). */
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
      const rows = [...ctx.shopRows.rowsFor(productId), ...ctx.groupRows.rowsFor(productId), ...ctx.standardRows.rowsFor(productId)];
      const days = new Set<IsoDate>([from]);
      const sheets = new Set<number>([1]);
      for (const r of rows) {
        if (r.validFrom > from && r.validFrom <= until) days.add(r.validFrom);
        if (r.validUntil !== null && r.validUntil >= from && r.validUntil < until) days.add(addDays(r.validUntil, 1));
        if (r.minSheets !== null) sheets.add(r.minSheets);
        if (r.maxSheets !== null) sheets.add(r.maxSheets + 1);
      }
      const dayList = [...days].sort();
      const sheetList = [...sheets].sort((a, b) => a - b);
      // Gaps still open at the end of the day segment before, by their sheet range.
      let open = new Map<string, PriceGap>();
      dayList.forEach((day, di) => {
        const last = di + 1 < dayList.length ? addDays(dayList[di + 1], -1) : until;
        const next = new Map<string, PriceGap>();
        let run: { min: number; max: number | null } | null = null;
        const close = () => {
          if (!run) return;
          const key = `${run.min}-${run.max ?? ""}`;
          const known = open.get(key);
          const gap = known ?? {
            shopId: ctx.shopId,
            templateId: template.id,
            serviceId: template.serviceId,
            productId,
            validFrom: day,
            validUntil: last,
            ...sheetsOf(run),
          };
          gap.validUntil = last;
          if (!known) gaps.push(gap);
          next.set(key, gap);
          run = null;
        };
        sheetList.forEach((n, si) => {
          const max = si + 1 < sheetList.length ? sheetList[si + 1] - 1 : null;
          if (findPrice(ctx, productId, day, n) === null) run = run ? { min: run.min, max } : { min: n, max };
          else close();
        });
        close();
        open = next;
      });
    }
  }
  return gaps;
}

function sheetsOf(run: { min: number; max: number | null }): { minSheets: number; maxSheets: number | null } {
  return { minSheets: run.min, maxSheets: run.max };
}
