/**
 * Registering, correcting and deleting prices (seed 003, Fig. 20-21, 23, 25): group price rows,
 * standard rows, sheet-count tiers and shop prices, and the allowances within which a shop admin
 * may set their own shop's prices. Authority by rank:
 * - center admin: everything (only they set standard prices);
 * - group admin: their group's rows, their group's shops' rows, the allowances of their shops;
 * - shop admin: their own shop's rows, only for products with an allowance, only inside it.
 * Every change is checked whole before the first write, kept in the price history, reported to the
 * admins concerned, and drops the cached price books after commit. `dryRun` answers which shops'
 * effective prices would change, writing nothing. A change that leaves a product of a shop's
 * template without a price for some dates or sheet counts reports those gaps (dry runs too) and
 * tells the admins concerned (PRICE_GAP_OPENED), as schedulePrice does (price-effects.ts). Writes into one scope and product (and that
 * shop's allowance) run one at a time (price-lock.ts), so the overlap and allowance checks hold
 * when admins write at the same moment.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import { forbidden, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { ProductEntity } from "../catalog/product.entity";
import { ShopGroupEntity } from "../catalog/shop-group.entity";
import { ShopEntity } from "../catalog/shop.entity";
import { inTransaction, rejectIf, type Outcome, type Tx } from "../core/unit-of-work";
import { forUpdate } from "../db/locks";
import type { RequestContext } from "../core/request-context";
import { keysetPage, type Connection } from "../core/pagination";
import { Role } from "../identity/role";
import { adminGroupId, adminShopId, isCenterAdmin } from "../identity/scope";
import { UserEntity } from "../identity/user.entity";
import type { NotificationsService } from "../notifications/notifications.service";
import { actorName, describe } from "./price-notes";
import { toRowData } from "./price-book";
import { findOverlaps, validatePriceRowShape } from "./price-calculator";
import { changeScopeOf, type PriceChange, type PriceEffects } from "./price-effects";
import type { PriceGap } from "./price-gaps";
import { PriceHistoryEntity } from "./price-history.entity";
import { lockPriceKeys } from "./price-lock";
import { PriceRowEntity } from "./price-row.entity";
import { ShopPriceAllowanceEntity } from "./shop-price-allowance.entity";

export interface PriceRowInputData {
  shopGroupId?: string | null;
  shopId?: string | null;
  productId: string;
  validFrom: string;
  validUntil?: string | null;
  basicCharge: number;
  amountCharge: number;
  minSheets?: number | null;
  maxSheets?: number | null;
}

export interface AllowanceInputData {
  shopId: string;
  productId: string;
  minBasicCharge: number;
  maxBasicCharge: number;
  minAmountCharge: number;
  maxAmountCharge: number;
}

export type { PriceChange, PriceLevel } from "./price-effects";

export interface PriceRowResult {
  row: PriceRowEntity;
  /** On a dry run: the effective prices the change would move; empty otherwise. */
  changes: PriceChange[];
  /** The gaps the change opens (or would open) at the shops it reaches. */
  gapsOpened: PriceGap[];
}

/** A dry run ends by rolling back on purpose, carrying its answer out. */
class DryRunDone<T> extends Error {
  constructor(readonly value: T) {
    super("dry run");
  }
}

export class PriceAdminService {
  constructor(
    private readonly notifications: NotificationsService,
    private readonly effects: PriceEffects,
  ) {}

  // ---------------------------------------------------------------- price rows

  createPriceRow(ctx: RequestContext, input: PriceRowInputData, dryRun: boolean): Promise<Outcome<PriceRowResult>> {
    return this.run(ctx, dryRun, async (tx) => {
      const row = Object.assign(new PriceRowEntity(), this.normalise(input), { id: `PR-${randomUUID()}`, updatedAt: new Date() });
      await lockPriceKeys(tx.em, [row]); // before any read: see price-lock.ts
      await this.check(ctx, tx.em, row, null);
      const [changes, gapsOpened] = await this.foresee(dryRun, [], [row]);
      if (!dryRun) {
        await tx.em.insert(PriceRowEntity, row);
        await this.written(ctx, tx, "CREATED", null, row, gapsOpened);
      }
      return { row, changes, gapsOpened };
    });
  }

  updatePriceRow(ctx: RequestContext, id: string, input: PriceRowInputData, dryRun: boolean): Promise<Outcome<PriceRowResult>> {
    return this.run(ctx, dryRun, async (tx) => {
      const row = Object.assign(new PriceRowEntity(), this.normalise(input), { id, updatedAt: new Date() });
      // Only the scope the row moves into can gain an overlap: its lock comes first, before any
      // read; then the row itself, so that two changes of one row do not both start from its old state.
      await lockPriceKeys(tx.em, [row]);
      const old = await tx.em.findOne(PriceRowEntity, { where: { id }, ...forUpdate(tx.em) });
      if (!old) throw new RollbackWithErrors([userError("NOT_FOUND", `No price row ${id}`, ["id"])]);
      await this.authorize(ctx, tx.em, old); // the caller must hold the row as it is...
      await this.check(ctx, tx.em, row, old); // ...and as it will be
      const [changes, gapsOpened] = await this.foresee(dryRun, [old], [row]);
      if (!dryRun) {
        await tx.em.save(PriceRowEntity, row);
        await this.written(ctx, tx, "UPDATED", old, row, gapsOpened);
      }
      return { row, changes, gapsOpened };
    });
  }

  deletePriceRow(ctx: RequestContext, id: string, dryRun: boolean): Promise<Outcome<PriceRowResult>> {
    return this.run(ctx, dryRun, async (tx) => {
      // A deletion cannot make an overlap: it locks the row only (never a scope after a row, which
      // would take locks in the opposite order to an update).
      const old = await tx.em.findOne(PriceRowEntity, { where: { id }, ...forUpdate(tx.em) });
      if (!old) throw new RollbackWithErrors([userError("NOT_FOUND", `No price row ${id}`, ["id"])]);
      await this.authorize(ctx, tx.em, old);
      const [changes, gapsOpened] = await this.foresee(dryRun, [old], []);
      if (!dryRun) {
        await tx.em.delete(PriceRowEntity, { id });
        await this.written(ctx, tx, "DELETED", old, null, gapsOpened);
      }
      return { row: old, changes, gapsOpened };
    });
  }

  /**
   * What a checked change will do, read from the price books before its first write (a book loaded
   * inside the transaction would see the writes): the prices it moves (asked on a dry run only) and
   * the gaps it opens.
   */
  private async foresee(dryRun: boolean, removed: PriceRowEntity[], added: PriceRowEntity[]): Promise<[PriceChange[], PriceGap[]]> {
    return [dryRun ? await this.effects.moves(removed, added) : [], await this.effects.gapsOpened(removed, added)];
  }

  normalise(input: PriceRowInputData): Omit<PriceRowEntity, "id" | "updatedAt"> {
    return {
      shopGroupId: input.shopGroupId ?? null,
      shopId: input.shopId ?? null,
      productId: input.productId,
      validFrom: input.validFrom,
      validUntil: input.validUntil ?? null,
      basicCharge: input.basicCharge,
      amountCharge: input.amountCharge,
      minSheets: input.minSheets ?? null,
      maxSheets: input.maxSheets ?? null,
    };
  }

  /** Shape, references, authority, allowance and overlaps: every fault, before anything is written. */
  async check(ctx: RequestContext, em: EntityManager, row: PriceRowEntity, old: PriceRowEntity | null): Promise<void> {
    const errors: UserErrorData[] = validatePriceRowShape(row).map((e) => userError(e.code, e.message, ["input", e.field]));
    if (row.shopGroupId && row.shopId) {
      errors.push(
        userError("INVALID_SCOPE", "Give shopGroupId (a group price), shopId (a shop price) or neither (a standard price), not both", ["input", "shopId"]),
      );
      rejectIf(errors);
    }
    if (!(await em.findOne(ProductEntity, { where: { id: row.productId } }))) {
      errors.push(userError("UNKNOWN_PRODUCT", `No product ${row.productId}`, ["input", "productId"]));
    }
    if (row.shopGroupId && !(await em.findOne(ShopGroupEntity, { where: { id: row.shopGroupId } }))) {
      errors.push(userError("UNKNOWN_SHOP_GROUP", `No shop group ${row.shopGroupId}`, ["input", "shopGroupId"]));
    }
    if (row.shopId && !(await em.findOne(ShopEntity, { where: { id: row.shopId } }))) {
      errors.push(userError("UNKNOWN_SHOP", `No shop ${row.shopId}`, ["input", "shopId"]));
    }
    rejectIf(errors);
    await this.authorize(ctx, em, row);
    errors.push(...(await this.withinAllowance(ctx, em, row)));
    if (errors.length === 0) errors.push(...(await this.overlaps(em, row, old)));
    rejectIf(errors);
  }

  /** May the caller hold a row of this scope? Throws FORBIDDEN if not. */
  private async authorize(ctx: RequestContext, em: EntityManager, row: Pick<PriceRowEntity, "shopGroupId" | "shopId" | "productId">): Promise<void> {
    if (isCenterAdmin(ctx)) return;
    if (!row.shopGroupId && !row.shopId) throw forbidden("Only the center admin sets standard prices");
    const group = adminGroupId(ctx);
    if (group !== null) {
      if (row.shopGroupId === group) return;
      if (row.shopId) {
        const shop = await em.findOne(ShopEntity, { where: { id: row.shopId } });
        if (shop && shop.shopGroupId === group) return;
      }
      throw forbidden("A shop-group admin manages the prices of their own group and its shops only");
    }
    const shopId = adminShopId(ctx);
    if (shopId !== null && row.shopId === shopId) {
      const allowance = await em.findOne(ShopPriceAllowanceEntity, { where: { shopId, productId: row.productId } });
      if (!allowance) throw forbidden(`Your group admin has not allowed shop prices for product ${row.productId}`);
      return;
    }
    throw forbidden("You may not set this price");
  }

  /** A shop admin's own price must lie inside the allowance their group admin granted. */
  private async withinAllowance(ctx: RequestContext, em: EntityManager, row: PriceRowEntity): Promise<UserErrorData[]> {
    if (adminShopId(ctx) === null || !row.shopId) return [];
    const a = await em.findOne(ShopPriceAllowanceEntity, { where: { shopId: row.shopId, productId: row.productId } });
    if (!a) return [];
    return allowanceFaults(a, row).map((f) => userError("PRICE_OUT_OF_RANGE", f.message, ["input", f.field]));
  }

  private async overlaps(em: EntityManager, row: PriceRowEntity, old: PriceRowEntity | null): Promise<UserErrorData[]> {
    const same = await em.find(PriceRowEntity, { where: { productId: row.productId } });
    const others = same.filter((r) => r.id !== row.id && r.id !== old?.id && (r.shopGroupId ?? null) === row.shopGroupId && (r.shopId ?? null) === row.shopId);
    const mine = toRowData(row);
    return findOverlaps([...others.map(toRowData), mine])
      .filter(([a, b]) => a.id === mine.id || b.id === mine.id)
      .map(([a, b]) => {
        const other = a.id === mine.id ? b : a;
        const tiers = other.minSheets !== null ? `, sheets ${other.minSheets}-${other.maxSheets ?? "and more"}` : "";
        return userError(
          "OVERLAPPING_PRICE",
          `Overlaps price row ${other.id} (${other.validFrom} to ${other.validUntil ?? "open end"}${tiers}) for the same scope and product`,
          ["input", "validFrom"],
        );
      });
  }

  /**
   * After a write: history, notices to the admins concerned (one more for the gaps the change opened,
   * to the admins of the scope it took prices from), and the cached price books dropped after commit.
   */
  private async written(
    ctx: RequestContext,
    tx: Tx,
    action: "CREATED" | "UPDATED" | "DELETED",
    before: PriceRowEntity | null,
    after: PriceRowEntity | null,
    gapsOpened: PriceGap[],
  ): Promise<void> {
    const row = (after ?? before)!;
    await this.history(ctx, tx, "PRICE_ROW", row.id, row, action, before, after);
    const scope = changeScopeOf(row);
    const what = row.shopId ? `shop ${row.shopId}` : row.shopGroupId ? `shop group ${row.shopGroupId}` : "the standard price book";
    await this.notifications.reportChange(ctx, tx, {
      kind: `PRICE_${action}`,
      message: `${actorName(ctx)} ${action.toLowerCase()} a price of product ${row.productId} for ${what}: ${describe(before)}${before && after ? " -> " : ""}${describe(after)}`,
      scope,
      links: { productId: row.productId },
    });
    await this.effects.reportGaps(ctx, tx, changeScopeOf(before ?? row), row.productId, gapsOpened);
    if (after?.shopId && adminShopId(ctx) === null) await this.warnOutOfAllowance(ctx, tx, [after]);
    // A group's rows (and its shops') live in that group's book; standard rows in every book.
    const groupId = row.shopGroupId ?? (row.shopId ? (await tx.em.findOne(ShopEntity, { where: { id: row.shopId } }))?.shopGroupId : undefined);
    tx.emit("invalidate", { kind: "prices", key: row.shopId || row.shopGroupId ? (groupId ?? undefined) : undefined });
    if (before && after && before.shopGroupId !== after.shopGroupId) tx.emit("invalidate", { kind: "prices" });
  }

  /** Tells a shop's admin and their group admin that a shop price lies outside the shop's allowance. */
  private async warnOutOfAllowance(ctx: RequestContext, tx: Tx, rows: PriceRowEntity[]): Promise<void> {
    for (const row of rows) {
      const a = await tx.em.findOne(ShopPriceAllowanceEntity, { where: { shopId: row.shopId!, productId: row.productId } });
      if (!a) continue;
      const faults = allowanceFaults(a, row);
      if (faults.length === 0) continue;
      const shop = await tx.em.findOne(ShopEntity, { where: { id: row.shopId! } });
      const admins = await tx.em.find(UserEntity, {
        where: [
          { role: Role.SHOP_ADMIN, shopId: row.shopId!, disabled: false },
          { role: Role.SHOP_GROUP_ADMIN, shopGroupId: shop?.shopGroupId ?? "", disabled: false },
        ],
        select: { id: true },
      });
      await this.notifications.send(
        ctx,
        tx,
        admins.map((u) => u.id),
        "SHOP_PRICE_OUT_OF_ALLOWANCE",
        `Shop ${row.shopId}'s price ${row.id} of product ${row.productId} is outside its allowance: ${faults.map((f) => f.message).join("; ")}`,
        { shopId: row.shopId, shopGroupId: shop?.shopGroupId, productId: row.productId },
      );
    }
  }

  // ---------------------------------------------------------------- allowances

  setAllowance(ctx: RequestContext, input: AllowanceInputData, dryRun: boolean): Promise<Outcome<{ allowance: ShopPriceAllowanceEntity; outside: string[] }>> {
    return this.run(ctx, dryRun, async (tx) => {
      // The shop's prices of the product lock the same key: a price set meanwhile is either seen
      // here (and reported if outside) or checked against this allowance.
      await lockPriceKeys(tx.em, [{ shopId: input.shopId, productId: input.productId }]);
      const errors: UserErrorData[] = [];
      const money: Array<keyof AllowanceInputData> = ["minBasicCharge", "maxBasicCharge", "minAmountCharge", "maxAmountCharge"];
      for (const f of money) {
        const v = input[f] as number;
        if (!Number.isSafeInteger(v) || v < 0) errors.push(userError("NEGATIVE_CHARGE", `${f} must be a whole amount of 0 or more`, ["input", f]));
      }
      if (input.minBasicCharge > input.maxBasicCharge)
        errors.push(userError("INVALID_RANGE", "minBasicCharge is above maxBasicCharge", ["input", "minBasicCharge"]));
      if (input.minAmountCharge > input.maxAmountCharge)
        errors.push(userError("INVALID_RANGE", "minAmountCharge is above maxAmountCharge", ["input", "minAmountCharge"]));
      const shop = await tx.em.findOne(ShopEntity, { where: { id: input.shopId } });
      if (!shop) errors.push(userError("UNKNOWN_SHOP", `No shop ${input.shopId}`, ["input", "shopId"]));
      if (!(await tx.em.findOne(ProductEntity, { where: { id: input.productId } })))
        errors.push(userError("UNKNOWN_PRODUCT", `No product ${input.productId}`, ["input", "productId"]));
      if (shop) this.authorizeAllowance(ctx, shop);
      rejectIf(errors);
      const before = await tx.em.findOne(ShopPriceAllowanceEntity, { where: { shopId: input.shopId, productId: input.productId } });
      const allowance = Object.assign(new ShopPriceAllowanceEntity(), input);
      const shopRows = await tx.em.find(PriceRowEntity, { where: { shopId: input.shopId, productId: input.productId } });
      const outside = shopRows.filter((r) => allowanceFaults(allowance, r).length > 0).map((r) => r.id);
      if (!dryRun) {
        await tx.em.save(ShopPriceAllowanceEntity, allowance);
        await this.history(
          ctx,
          tx,
          "ALLOWANCE",
          `${input.shopId}/${input.productId}`,
          { productId: input.productId, shopGroupId: null, shopId: input.shopId },
          before ? "UPDATED" : "CREATED",
          before,
          allowance,
        );
        await this.notifications.reportChange(ctx, tx, {
          kind: before ? "ALLOWANCE_UPDATED" : "ALLOWANCE_CREATED",
          message: `${actorName(ctx)} allowed shop ${input.shopId} to price product ${input.productId}: basic ${input.minBasicCharge}-${input.maxBasicCharge}, per sheet ${input.minAmountCharge}-${input.maxAmountCharge}`,
          scope: { kind: "SHOP", shopId: input.shopId },
          links: { productId: input.productId },
        });
        const outsideRows = shopRows.filter((r) => outside.includes(r.id));
        await this.warnOutOfAllowance(ctx, tx, outsideRows);
      }
      return { allowance, outside };
    });
  }

  removeAllowance(ctx: RequestContext, shopId: string, productId: string): Promise<Outcome<ShopPriceAllowanceEntity>> {
    return inTransaction(ctx, async (tx) => {
      await lockPriceKeys(tx.em, [{ shopId, productId }]);
      const before = await tx.em.findOne(ShopPriceAllowanceEntity, { where: { shopId, productId } });
      if (!before) throw new RollbackWithErrors([userError("NOT_FOUND", `Shop ${shopId} has no allowance for product ${productId}`, ["productId"])]);
      const shop = await tx.em.findOneOrFail(ShopEntity, { where: { id: shopId } });
      this.authorizeAllowance(ctx, shop);
      await tx.em.delete(ShopPriceAllowanceEntity, { shopId, productId });
      await this.history(ctx, tx, "ALLOWANCE", `${shopId}/${productId}`, { productId, shopGroupId: null, shopId }, "DELETED", before, null);
      await this.notifications.reportChange(ctx, tx, {
        kind: "ALLOWANCE_DELETED",
        message: `${actorName(ctx)} withdrew shop ${shopId}'s allowance to price product ${productId}`,
        scope: { kind: "SHOP", shopId },
        links: { productId },
      });
      return before;
    });
  }

  private authorizeAllowance(ctx: RequestContext, shop: ShopEntity): void {
    if (isCenterAdmin(ctx) || adminGroupId(ctx) === shop.shopGroupId) return;
    throw forbidden("Only the center admin and the shop's group admin grant allowances");
  }

  async allowances(ctx: RequestContext, shopId: string): Promise<ShopPriceAllowanceEntity[]> {
    const shop = await ctx.app.ds.getRepository(ShopEntity).findOne({ where: { id: shopId } });
    if (!shop || !this.readsShop(ctx, shop)) return [];
    return ctx.app.ds.getRepository(ShopPriceAllowanceEntity).find({ where: { shopId }, order: { productId: "ASC" } });
  }

  // ---------------------------------------------------------------- reading

  /** Price rows of a scope, as admins in scope may see them (customers read prices through quotes and offers). */
  async priceRows(
    ctx: RequestContext,
    filter: { productId?: string | null; shopGroupId?: string | null; shopId?: string | null; standard?: boolean | null },
  ): Promise<PriceRowEntity[]> {
    const qb = ctx.app.ds
      .getRepository(PriceRowEntity)
      .createQueryBuilder("r")
      .orderBy("r.product_id")
      .addOrderBy("r.valid_from")
      .addOrderBy("r.id")
      .limit(5000);
    if (filter.productId) qb.andWhere("r.product_id = :p", { p: filter.productId });
    if (filter.standard) qb.andWhere("r.shop_group_id IS NULL AND r.shop_id IS NULL");
    if (filter.shopGroupId) qb.andWhere("r.shop_group_id = :g", { g: filter.shopGroupId });
    if (filter.shopId) qb.andWhere("r.shop_id = :s", { s: filter.shopId });
    const group = adminGroupId(ctx);
    const shop = adminShopId(ctx);
    if (!isCenterAdmin(ctx)) {
      if (group !== null) {
        qb.andWhere(
          "(r.shop_group_id = :vg OR r.shop_id IN (SELECT s.id FROM shops s WHERE s.shop_group_id = :vg) OR (r.shop_group_id IS NULL AND r.shop_id IS NULL))",
          { vg: group },
        );
      } else if (shop !== null) {
        qb.andWhere(
          "(r.shop_id = :vs OR r.shop_group_id = (SELECT s.shop_group_id FROM shops s WHERE s.id = :vs) OR (r.shop_group_id IS NULL AND r.shop_id IS NULL))",
          { vs: shop },
        );
      } else {
        throw forbidden("Price rows are for admins; customers see prices through quote and shopOffer");
      }
    }
    return qb.getMany();
  }

  /** The history of a product's prices in a scope (or all scopes the caller may see), newest first. */
  async priceHistory(ctx: RequestContext, filter: HistoryFilter & { first: number }): Promise<PriceHistoryEntity[]> {
    return this.historyQuery(ctx, filter)
      .orderBy("h.at", "DESC")
      .addOrderBy("h.id", "DESC")
      .limit(Math.min(Math.max(filter.first, 1), 500))
      .getMany();
  }

  /** The same history, a page at a time (a Relay connection). */
  priceHistoryPage(ctx: RequestContext, filter: HistoryFilter, page: { first: number; after: string | null }): Promise<Connection<PriceHistoryEntity>> {
    return keysetPage(
      this.historyQuery(ctx, filter),
      { at: "h.at", id: "h.id" },
      page,
      (h) => ({ at: h.at, id: h.id }),
      (h) => h,
    );
  }

  private historyQuery(ctx: RequestContext, filter: HistoryFilter) {
    const qb = ctx.app.ds.getRepository(PriceHistoryEntity).createQueryBuilder("h").where("h.product_id = :p", { p: filter.productId });
    if (filter.shopGroupId) qb.andWhere("h.shop_group_id = :g", { g: filter.shopGroupId });
    if (filter.shopId) qb.andWhere("h.shop_id = :s", { s: filter.shopId });
    const group = adminGroupId(ctx);
    const shop = adminShopId(ctx);
    if (!isCenterAdmin(ctx)) {
      if (group !== null) {
        qb.andWhere(
          "(h.shop_group_id = :vg OR h.shop_id IN (SELECT s.id FROM shops s WHERE s.shop_group_id = :vg) OR (h.shop_group_id IS NULL AND h.shop_id IS NULL))",
          { vg: group },
        );
      } else if (shop !== null) {
        qb.andWhere("(h.shop_id = :vs OR h.shop_group_id = (SELECT s.shop_group_id FROM shops s WHERE s.id = :vs))", { vs: shop });
      } else {
        throw forbidden("The price history is for admins");
      }
    }
    return qb;
  }

  private readsShop(ctx: RequestContext, shop: ShopEntity): boolean {
    return isCenterAdmin(ctx) || adminGroupId(ctx) === shop.shopGroupId || adminShopId(ctx) === shop.id;
  }

  // ---------------------------------------------------------------- shared

  async history(
    ctx: RequestContext,
    tx: Tx,
    kind: "PRICE_ROW" | "ALLOWANCE",
    entityId: string,
    scope: { productId: string; shopGroupId: string | null; shopId: string | null },
    action: "CREATED" | "UPDATED" | "DELETED",
    before: object | null,
    after: object | null,
    changeId: string | null = null,
  ): Promise<void> {
    await tx.em.insert(PriceHistoryEntity, {
      changeId,
      id: randomUUID(),
      entityKind: kind,
      entityId,
      productId: scope.productId,
      shopGroupId: scope.shopGroupId,
      shopId: scope.shopId,
      action,
      actorUserId: ctx.auth.kind === "user" ? ctx.auth.user.id : null,
      at: new Date(),
      before: before ? JSON.stringify(snapshot(before)) : null,
      after: after ? JSON.stringify(snapshot(after)) : null,
    });
  }

  /** Runs a price mutation; a dry run computes its answer inside the transaction and rolls back. */
  async run<T>(ctx: RequestContext, dryRun: boolean, work: (tx: Tx) => Promise<T>): Promise<Outcome<T>> {
    try {
      return await inTransaction(ctx, async (tx) => {
        const value = await work(tx);
        if (dryRun) throw new DryRunDone(value);
        return value;
      });
    } catch (e) {
      if (e instanceof DryRunDone) return { value: e.value as T, errors: [] };
      throw e;
    }
  }
}

function allowanceFaults(a: ShopPriceAllowanceEntity, row: Pick<PriceRowEntity, "basicCharge" | "amountCharge">): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (row.basicCharge < a.minBasicCharge || row.basicCharge > a.maxBasicCharge) {
    out.push({ field: "basicCharge", message: `basicCharge ${row.basicCharge} is outside the allowed range ${a.minBasicCharge} to ${a.maxBasicCharge}` });
  }
  if (row.amountCharge < a.minAmountCharge || row.amountCharge > a.maxAmountCharge) {
    out.push({ field: "amountCharge", message: `amountCharge ${row.amountCharge} is outside the allowed range ${a.minAmountCharge} to ${a.maxAmountCharge}` });
  }
  return out;
}

/** The fields of a price row or allowance worth keeping in history (no timestamps). */
type HistoryFilter = { productId: string; shopGroupId?: string | null; shopId?: string | null };

function snapshot(o: object): Record<string, unknown> {
  const { updatedAt: _u, ...rest } = o as Record<string, unknown>;
  return rest;
}
