/**
 * A price set for a period in one step (seed 003: price correction schedules, busy and slack
 * periods), and where prices are missing (S20007):
 * - `schedulePrice` writes a row for a period and, in the same transaction, shortens, splits or
 *   removes the rows of the same scope and product it would overlap (price-schedule.ts), reporting
 *   each; the history entries share one change id and the admins concerned get one notice;
 * - a change that leaves a product of a shop's template without any price for some dates or sheet
 *   counts reports those gaps (dry runs too) and tells the admins concerned (PRICE_GAP_OPENED);
 * - `priceGaps` lists, for a group or a shop and a date range, every template product and sheet
 *   range with no price in force.
 * Authority is that of price rows (PriceAdminService.check): whoever may write the new row may cut
 * the rows of its scope and product.
 */
import { randomUUID } from "node:crypto";
import { IsNull } from "typeorm";
import { forbidden, userError } from "../common/errors";
import { ShopEntity } from "../catalog/shop.entity";
import { rejectIf, type Outcome, type Tx } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { adminGroupId, adminShopId, isCenterAdmin } from "../identity/scope";
import type { NotificationsService } from "../notifications/notifications.service";
import { addDays, isValidDate } from "./business-date";
import type { PriceAdminService, PriceChange, PriceRowInputData } from "./price-admin.service";
import { changeScopeOf, type PriceEffects } from "./price-effects";
import { findGaps, type PriceGap } from "./price-gaps";
import { lockPriceKeys } from "./price-lock";
import { actorName, describe } from "./price-notes";
import { PriceRowEntity } from "./price-row.entity";
import { validatePriceRowShape } from "./price-rows";
import { planSchedule, type Period, type RowAdjustment } from "./price-schedule";
import type { PricingService } from "./pricing.service";

/** What became of one row: the new one (CREATED), a row cut (SHORTENED, SPLIT), or REMOVED. */
export interface RowChange {
  action: "CREATED" | "SHORTENED" | "SPLIT" | "REMOVED";
  priceRowId: string;
  before: Period | null;
  after: Period | null;
  /** For the second part of a split row (CREATED): the row it was cut from. */
  splitFromPriceRowId: string | null;
}

export interface ScheduleResult {
  row: PriceRowEntity;
  changeId: string;
  rowChanges: RowChange[];
  changes: PriceChange[];
  gapsOpened: PriceGap[];
}

/** The longest date range priceGaps reads at once, in days. */
export const MAX_GAP_RANGE_DAYS = 3660;

export class PriceScheduleService {
  constructor(
    private readonly admin: PriceAdminService,
    private readonly pricing: PricingService,
    private readonly notifications: NotificationsService,
    private readonly effects: PriceEffects,
  ) {}

  schedulePrice(ctx: RequestContext, input: PriceRowInputData, dryRun: boolean): Promise<Outcome<ScheduleResult>> {
    return this.admin.run(ctx, dryRun, async (tx) => {
      const now = new Date();
      const row = Object.assign(new PriceRowEntity(), this.admin.normalise(input), { id: `PR-${randomUUID()}`, updatedAt: now });
      await lockPriceKeys(tx.em, [row]); // before any read: see price-lock.ts
      // A period that is not one cannot be planned: its shape first, as createPriceRow checks it.
      rejectIf(validatePriceRowShape(row).map((e) => userError(e.code, e.message, ["input", e.field])));
      const same = await tx.em.find(PriceRowEntity, {
        where: { productId: row.productId, shopGroupId: row.shopGroupId ?? IsNull(), shopId: row.shopId ?? IsNull() },
      });
      const byId = new Map(same.map((r) => [r.id, r]));
      const plan = planSchedule(same, row);
      const changeId = randomUUID();
      // Every row as it will be, in memory first: the prices it moves are read from the price books
      // before anything is written (a book loaded inside this transaction would see the writes).
      const cut = (old: PriceRowEntity, period: Period, id = old.id) => Object.assign(new PriceRowEntity(), old, period, { id, updatedAt: now });
      const steps = plan.map((step) => {
        const old = byId.get(step.rowId)!;
        if (step.action === "REMOVED") return { step, old, kept: null, rest: null };
        return { step, old, kept: cut(old, step.after), rest: step.action === "SPLIT" ? cut(old, step.remainder, `PR-${randomUUID()}`) : null };
      });
      const removed = steps.map((x) => x.old);
      const added = [row, ...steps.flatMap((x) => [x.kept, x.rest].filter((r): r is PriceRowEntity => r !== null))];
      // A row cut in two keeps its price under a new id after the cut: not a price that moves.
      const changes = (await this.effects.moves(removed, added)).filter((c) => !samePrice(c));
      const gapsOpened = await this.effects.gapsOpened(removed, added);
      const rowChanges: RowChange[] = [{ action: "CREATED", priceRowId: row.id, before: null, after: period(row), splitFromPriceRowId: null }];
      for (const { step, old, kept, rest } of steps) {
        if (kept === null) {
          await tx.em.delete(PriceRowEntity, { id: old.id });
          rowChanges.push({ action: "REMOVED", priceRowId: old.id, before: step.before, after: null, splitFromPriceRowId: null });
          continue;
        }
        await tx.em.update(PriceRowEntity, { id: old.id }, { validFrom: kept.validFrom, validUntil: kept.validUntil, updatedAt: now });
        rowChanges.push({
          action: step.action as "SHORTENED" | "SPLIT",
          priceRowId: old.id,
          before: step.before,
          after: period(kept),
          splitFromPriceRowId: null,
        });
        if (rest) {
          await tx.em.insert(PriceRowEntity, rest);
          rowChanges.push({ action: "CREATED", priceRowId: rest.id, before: null, after: period(rest), splitFromPriceRowId: old.id });
        }
      }
      // Everything else as createPriceRow checks it, against the rows as cut: references, authority, allowance, overlaps.
      await this.admin.check(ctx, tx.em, row, null);
      await tx.em.insert(PriceRowEntity, row);
      if (!dryRun) {
        // The history: one entry per row written, all under the change's id.
        await this.admin.history(ctx, tx, "PRICE_ROW", row.id, row, "CREATED", null, row, changeId);
        for (const { old, kept, rest } of steps) {
          await this.admin.history(ctx, tx, "PRICE_ROW", old.id, old, kept ? "UPDATED" : "DELETED", old, kept, changeId);
          if (rest) await this.admin.history(ctx, tx, "PRICE_ROW", rest.id, rest, "CREATED", null, rest, changeId);
        }
        await this.report(ctx, tx, row, plan, gapsOpened);
      }
      return { row, changeId, rowChanges, changes, gapsOpened };
    });
  }

  /** One notice for the whole change, one more when it opened gaps; the cached books dropped after commit. */
  private async report(ctx: RequestContext, tx: Tx, row: PriceRowEntity, plan: RowAdjustment[], gaps: PriceGap[]): Promise<void> {
    const scope = changeScopeOf(row);
    const what = row.shopId ? `shop ${row.shopId}` : row.shopGroupId ? `shop group ${row.shopGroupId}` : "the standard price book";
    const cuts = plan.map((p) => `${p.action.toLowerCase()} ${p.rowId}`);
    await this.notifications.reportChange(ctx, tx, {
      kind: "PRICE_SCHEDULED",
      message: `${actorName(ctx)} scheduled a price of product ${row.productId} for ${what}: ${describe(row)}${cuts.length ? `; ${cuts.join(", ")}` : ""}`,
      scope,
      links: { productId: row.productId },
    });
    await this.effects.reportGaps(ctx, tx, scope, row.productId, gaps);
    const groupId = row.shopGroupId ?? (row.shopId ? (await tx.em.findOne(ShopEntity, { where: { id: row.shopId } }))?.shopGroupId : undefined);
    tx.emit("invalidate", { kind: "prices", key: row.shopId || row.shopGroupId ? (groupId ?? undefined) : undefined });
  }

  /**
   * Every template product and sheet range with no price in force at a shop (or each shop of a
   * group) from `from` to `until`, for admins in scope (a shop admin: their own shop).
   */
  async priceGaps(
    ctx: RequestContext,
    scope: { shopGroupId?: string | null; shopId?: string | null },
    from: string,
    until: string,
  ): Promise<Outcome<PriceGap[]>> {
    const field = ["from"];
    if (!isValidDate(from) || !isValidDate(until))
      return { value: null, errors: [userError("INVALID_DATE", "from and until must be YYYY-MM-DD dates", field)] };
    if (until < from) return { value: null, errors: [userError("INVALID_PERIOD", "until is before from", ["until"])] };
    if (addDays(from, MAX_GAP_RANGE_DAYS) < until)
      return { value: null, errors: [userError("RANGE_TOO_LONG", `At most ${MAX_GAP_RANGE_DAYS} days at once`, ["until"])] };
    if (!scope.shopGroupId === !scope.shopId)
      return { value: null, errors: [userError("INVALID_SCOPE", "Give shopGroupId or shopId, one of the two", ["shopId"])] };
    const shops = await ctx.app.ds.getRepository(ShopEntity).find({
      where: scope.shopId ? { id: scope.shopId } : { shopGroupId: scope.shopGroupId! },
      order: { id: "ASC" },
    });
    if (scope.shopId && shops.length === 0) return { value: null, errors: [userError("UNKNOWN_SHOP", `No shop ${scope.shopId}`, ["shopId"])] };
    for (const shop of shops) {
      const mine = isCenterAdmin(ctx) || adminGroupId(ctx) === shop.shopGroupId || adminShopId(ctx) === shop.id;
      if (!mine) throw forbidden("Price gaps are for the admins of the shop or its group");
    }
    if (scope.shopGroupId && !isCenterAdmin(ctx) && adminGroupId(ctx) !== scope.shopGroupId) throw forbidden("Price gaps of a group are for its admins");
    const gaps: PriceGap[] = [];
    for (const shop of shops) {
      const pricing = await this.pricing.books.contextFor(shop.id);
      if (pricing) gaps.push(...findGaps(pricing, from, until));
    }
    return { value: gaps, errors: [] };
  }
}

function samePrice(c: PriceChange): boolean {
  const [b, a] = [c.before, c.after];
  return b !== null && a !== null && b.source === a.source && b.basicCharge === a.basicCharge && b.amountCharge === a.amountCharge;
}

function period(r: Period): Period {
  return { validFrom: r.validFrom, validUntil: r.validUntil };
}
