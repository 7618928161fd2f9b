/**
 * A price set for a period in one step (seed 003: price correction schedules, busy and slack
 * periods): which rows of the same scope and product it would overlap, and what becomes of each so
 * that it no longer does. A row the new period covers whole is removed; one it covers the start or
 * the end of is shortened; one it lies inside is split in two around it. Rows of the other kind
 * (a tier against an untiered row) never overlap (see findOverlaps), so they are left alone; tier
 * rows are cut in time over their whole sheet range.
 *
 * Pure: no database, no GraphQL.
 */
import { addDays, type IsoDate } from "./business-date";
import { isTier } from "./price-rows";

export interface Period {
  validFrom: IsoDate;
  /** Inclusive; null: open-ended. */
  validUntil: IsoDate | null;
}

export interface ScheduledRow extends Period {
  id: string;
  minSheets: number | null;
  maxSheets: number | null;
}

export type RowAdjustment =
  | { action: "SHORTENED"; rowId: string; before: Period; after: Period }
  | { action: "SPLIT"; rowId: string; before: Period; after: Period; remainder: Period }
  | { action: "REMOVED"; rowId: string; before: Period };

/** Whether two rows of one scope and product would both answer the same lookup (as findOverlaps decides). */
export function overlapsRow(a: ScheduledRow, b: ScheduledRow): boolean {
  if (isTier(a) !== isTier(b)) return false;
  if (a.validUntil !== null && a.validUntil < b.validFrom) return false;
  if (b.validUntil !== null && b.validUntil < a.validFrom) return false;
  const [aMin, aMax] = [a.minSheets ?? 1, a.maxSheets ?? Infinity];
  const [bMin, bMax] = [b.minSheets ?? 1, b.maxSheets ?? Infinity];
  return aMin <= bMax && bMin <= aMax;
}

/** An inclusive end compared with another, null being the open end (latest). */
function endsAfter(a: IsoDate | null, b: IsoDate | null): boolean {
  if (a === null) return b !== null;
  return b !== null && a > b;
}

/**
 * What to do with each of `rows` (one scope and product) that `row` overlaps, in the rows' order
 * by validFrom then id. Rows it does not overlap are not named.
 */
export function planSchedule(rows: readonly ScheduledRow[], row: ScheduledRow): RowAdjustment[] {
  const out: RowAdjustment[] = [];
  const sorted = [...rows]
    .filter((r) => r.id !== row.id)
    .sort((a, b) => (a.validFrom === b.validFrom ? (a.id < b.id ? -1 : 1) : a.validFrom < b.validFrom ? -1 : 1));
  for (const r of sorted) {
    if (!overlapsRow(r, row)) continue;
    const before: Period = { validFrom: r.validFrom, validUntil: r.validUntil };
    const startsBefore = r.validFrom < row.validFrom;
    const endsLater = endsAfter(r.validUntil, row.validUntil);
    if (startsBefore && endsLater) {
      out.push({
        action: "SPLIT",
        rowId: r.id,
        before,
        after: { validFrom: r.validFrom, validUntil: addDays(row.validFrom, -1) },
        remainder: { validFrom: addDays(row.validUntil!, 1), validUntil: r.validUntil },
      });
    } else if (startsBefore) {
      out.push({ action: "SHORTENED", rowId: r.id, before, after: { validFrom: r.validFrom, validUntil: addDays(row.validFrom, -1) } });
    } else if (endsLater) {
      out.push({ action: "SHORTENED", rowId: r.id, before, after: { validFrom: addDays(row.validUntil!, 1), validUntil: r.validUntil } });
    } else {
      out.push({ action: "REMOVED", rowId: r.id, before });
    }
  }
  return out;
}
