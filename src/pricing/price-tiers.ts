/**
 * The price rows of one scope, indexed for the hot path: which row is in force for a product on a
 * business date and for a sheet count (its tier, else the untiered fallback), and which rows would
 * both answer the same lookup (overlaps).
 *
 * Pure: no database, no GraphQL.
 */
import type { IsoDate } from "./business-date";
import { isTier, unreachable, type PriceMatch, type PriceRowData, type PriceScope } from "./price-rows";

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
