/**
 * What a change of price rows does to the shops it reaches, computed from the price books with the
 * changed rows swapped in (before anything is written: a book loaded inside the change's
 * transaction would see its writes):
 * - `moves`: every shop's effective price of the product that the change moves (dry runs report them);
 * - `gapsOpened`: the dates and sheet counts for which a product of a shop's template had a price
 *   in force and has none after the change (seed 003, S20007: prices "need to be registered"); a
 *   gap that was there before is not one the change opens;
 * - `reportGaps`: the one PRICE_GAP_OPENED notice to the admins concerned.
 * Shared by every price row write (createPriceRow, updatePriceRow, deletePriceRow, schedulePrice).
 */
import type { RequestContext } from "../core/request-context";
import type { Tx } from "../core/unit-of-work";
import type { ChangeScope, NotificationsService } from "../notifications/notifications.service";
import { addDays, type IsoDate } from "./business-date";
import { toRowData } from "./price-book";
import { findPrice, PriceBookIndex, type PriceRowData, type PriceSource, type ShopPricingContext } from "./price-calculator";
import { findGapsOpened, type PriceGap } from "./price-gaps";
import { actorName } from "./price-notes";
import type { PriceRowEntity } from "./price-row.entity";
import type { PricingService } from "./pricing.service";

export interface PriceLevel {
  source: PriceSource;
  priceRowId: string;
  basicCharge: number;
  amountCharge: number;
}

/** One shop's effective price of one product that a change moves, from a date, for a range of sheets. */
export interface PriceChange {
  shopId: string;
  productId: string;
  validFrom: string;
  validUntil: string | null;
  minSheets: number;
  maxSheets: number | null;
  before: PriceLevel | null;
  after: PriceLevel | null;
}

export class PriceEffects {
  constructor(
    private readonly pricing: PricingService,
    private readonly notifications: NotificationsService,
  ) {}

  /**
   * Which shops' effective prices a change moves: for every shop the rows reach, the product's price
   * before and after at each date where a changed row starts or ends and each sheet count where a
   * changed tier starts or ends.
   */
  async moves(removed: PriceRowEntity[], added: PriceRowEntity[]): Promise<PriceChange[]> {
    const rows = [...removed, ...added];
    const productId = rows[0].productId;
    const dates = new Set<string>();
    const sheets = new Set<number>([1]);
    for (const r of rows) {
      dates.add(r.validFrom);
      if (r.validUntil) dates.add(addDays(r.validUntil, 1));
      if (r.minSheets !== null) sheets.add(r.minSheets);
      if (r.maxSheets !== null) sheets.add(r.maxSheets + 1);
    }
    const dateList = [...dates].sort();
    const sheetList = [...sheets].sort((a, b) => a - b);
    const changes: PriceChange[] = [];
    for (const { before, after } of await this.shopsReached(removed, added)) {
      dateList.forEach((date, di) => {
        sheetList.forEach((n, si) => {
          const b = level(findPrice(before, productId, date, n));
          const a = level(findPrice(after, productId, date, n));
          if (JSON.stringify(a) === JSON.stringify(b)) return;
          changes.push({
            shopId: before.shopId,
            productId,
            validFrom: date,
            validUntil: di + 1 < dateList.length ? addDays(dateList[di + 1], -1) : null,
            minSheets: n,
            maxSheets: si + 1 < sheetList.length ? sheetList[si + 1] - 1 : null,
            before: b,
            after: a,
          });
        });
      });
    }
    return changes.slice(0, 10000);
  }

  /**
   * The gaps the change opens at every shop its rows reach, on the products of the shops' templates,
   * by shop. Only the changed rows' periods can change a price, so only they are searched.
   */
  async gapsOpened(removed: PriceRowEntity[], added: PriceRowEntity[]): Promise<PriceGap[]> {
    const rows = [...removed, ...added];
    const productId = rows[0].productId;
    const from = rows.map((r) => r.validFrom).sort()[0];
    const until = rows.some((r) => r.validUntil === null) ? null : rows.map((r) => r.validUntil as IsoDate).sort()[rows.length - 1];
    const gaps: PriceGap[] = [];
    for (const { before, after } of await this.shopsReached(removed, added)) gaps.push(...findGapsOpened(before, after, productId, from, until));
    return gaps.slice(0, 1000);
  }

  /** One notice of the gaps a change of a product's prices opened, to the admins of the change's scope. */
  async reportGaps(ctx: RequestContext, tx: Tx, scope: ChangeScope, productId: string, gaps: PriceGap[]): Promise<void> {
    if (gaps.length === 0) return;
    const where = gaps.map((g) => `shop ${g.shopId} ${g.validFrom} to ${g.validUntil ?? "open end"}, sheets ${g.minSheets}-${g.maxSheets ?? "and more"}`);
    await this.notifications.reportChange(ctx, tx, {
      kind: "PRICE_GAP_OPENED",
      message: `Product ${productId} has no price in force after a change by ${actorName(ctx)}: ${[...new Set(where)].join("; ")}`.slice(0, 2000),
      scope,
      links: { productId },
    });
  }

  /** Every shop the changed rows reach, with its pricing before the change and after it. */
  private async shopsReached(removed: PriceRowEntity[], added: PriceRowEntity[]): Promise<Array<{ before: ShopPricingContext; after: ShopPricingContext }>> {
    const rows = [...removed, ...added];
    const productId = rows[0].productId;
    const shops = new Set<string>();
    for (const r of rows) {
      if (r.shopId) shops.add(r.shopId);
      else for (const s of await this.pricing.books.shopIds(r.shopGroupId ?? undefined)) shops.add(s);
    }
    const out: Array<{ before: ShopPricingContext; after: ShopPricingContext }> = [];
    for (const shopId of [...shops].sort()) {
      const before = await this.pricing.books.contextFor(shopId);
      if (before) out.push({ before, after: swapped(before, productId, removed, added) });
    }
    return out;
  }
}

/** Whom a change of a row of this scope concerns: the shop's admins, the group's, or every admin. */
export function changeScopeOf(row: Pick<PriceRowEntity, "shopGroupId" | "shopId">): ChangeScope {
  return row.shopId ? { kind: "SHOP", shopId: row.shopId } : row.shopGroupId ? { kind: "GROUP", shopGroupId: row.shopGroupId } : { kind: "SYSTEM" };
}

function level(hit: { row: PriceRowData; source: PriceSource } | null): PriceLevel | null {
  return hit ? { source: hit.source, priceRowId: hit.row.id, basicCharge: hit.row.basicCharge, amountCharge: hit.row.amountCharge } : null;
}

/** The shop's pricing with the product's rows of the changed scopes replaced by their state after the change. */
function swapped(ctx: ShopPricingContext, productId: string, removed: PriceRowEntity[], added: PriceRowEntity[]): ShopPricingContext {
  const out = { ...ctx };
  const scopes: Array<["shopRows" | "groupRows" | "standardRows", (r: PriceRowEntity) => boolean]> = [
    ["shopRows", (r) => r.shopId === ctx.shopId],
    ["groupRows", (r) => !r.shopId && r.shopGroupId === ctx.shopGroupId],
    ["standardRows", (r) => !r.shopId && !r.shopGroupId],
  ];
  for (const [key, inScope] of scopes) {
    if (![...removed, ...added].some(inScope)) continue;
    const gone = new Set(removed.map((r) => r.id));
    const kept = ctx[key].rowsFor(productId).filter((r) => !gone.has(r.id) && !added.some((a) => a.id === r.id));
    out[key] = PriceBookIndex.from([...kept, ...added.filter(inScope).map(toRowData)]);
  }
  return out;
}
