/**
 * The price books in memory: quoting is the hottest path, so a group's rows, its shops' own rows and
 * templates are loaded once (a handful of queries) and kept until a change invalidates them. An
 * invalidation is an event on the bus, so with Redis it reaches every center process.
 *
 * A group's book holds each of its shops' {@link ShopPricingContext}, built once at load: a quote
 * reuses it and allocates nothing for it. Rows are read as plain columns (no entity objects, which
 * cost a Date per row and several times the memory while a million rows load) and their repeated
 * strings (dates, product ids) and scopes are shared, so a large book stays a fraction of its size.
 */
import { In, type DataSource, type SelectQueryBuilder } from "typeorm";
import { SettingEntity } from "../catalog/setting.entity";
import { ShopEntity } from "../catalog/shop.entity";
import { TemplateEntity, TemplateExcludedShopEntity, TemplateProductEntity } from "../catalog/template.entity";
import { toSafeInteger } from "../db/columns";
import { ChargedImageEntity } from "./charged-image.entity";
import { PriceBookIndex, type PriceRowData, type PriceScope, type ShopPricingContext, type TemplateData } from "./price-calculator";
import { PriceRowEntity } from "./price-row.entity";

interface GroupBook {
  groupRows: PriceBookIndex;
  groupTemplates: TemplateData[];
  /** Each shop's context, shared by every quote at that shop: read only. */
  contexts: Map<string, ShopPricingContext>;
}

interface Shared {
  standardRows: PriceBookIndex;
  chargedImages: Map<string, number>;
  shopGroup: Map<string, string>;
  currency: string;
}

/** A price row as selected by {@link selectRows}: columns only, money still as the driver gives it. */
interface RawPriceRow {
  id: string;
  shopGroupId: string | null;
  shopId: string | null;
  productId: string;
  validFrom: string;
  validUntil: string | null;
  basicCharge: number | string;
  amountCharge: number | string;
  minSheets: number | null;
  maxSheets: number | null;
}

/**
 * One instance per distinct string and per scope while rows are turned into {@link PriceRowData}:
 * a book repeats a few dates and product ids over thousands of rows.
 */
class Interner {
  private readonly strings = new Map<string, string>();
  private readonly scopes = new Map<string, PriceScope>();

  str(s: string): string;
  str(s: string | null): string | null;
  str(s: string | null): string | null {
    if (s === null) return null;
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }

  scope(shopId: string | null, shopGroupId: string | null): PriceScope {
    const key = shopId ? `S:${shopId}` : shopGroupId ? `G:${shopGroupId}` : "STANDARD";
    let scope = this.scopes.get(key);
    if (scope === undefined) {
      scope = shopId ? { kind: "SHOP", shopId } : shopGroupId ? { kind: "GROUP", shopGroupId } : { kind: "STANDARD" };
      this.scopes.set(key, scope);
    }
    return scope;
  }

  row(r: RawPriceRow): PriceRowData {
    return {
      id: r.id,
      scope: this.scope(r.shopId, r.shopGroupId),
      productId: this.str(r.productId),
      validFrom: this.str(r.validFrom),
      validUntil: this.str(r.validUntil),
      // BIGINT: a number from SQLite, a string from MariaDB; exact or an error, as the entity's transformer.
      basicCharge: toSafeInteger(r.basicCharge, "basic_charge"),
      amountCharge: toSafeInteger(r.amountCharge, "amount_charge"),
      minSheets: r.minSheets === null ? null : Number(r.minSheets),
      maxSheets: r.maxSheets === null ? null : Number(r.maxSheets),
    };
  }
}

export function toRowData(r: PriceRowEntity): PriceRowData {
  const scope: PriceRowData["scope"] = r.shopId
    ? { kind: "SHOP", shopId: r.shopId }
    : r.shopGroupId
      ? { kind: "GROUP", shopGroupId: r.shopGroupId }
      : { kind: "STANDARD" };
  return {
    id: r.id,
    scope,
    productId: r.productId,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    basicCharge: r.basicCharge,
    amountCharge: r.amountCharge,
    minSheets: r.minSheets,
    maxSheets: r.maxSheets,
  };
}

export class PriceBooks {
  private shared: Promise<Shared> | null = null;
  private readonly groups = new Map<string, Promise<GroupBook>>();
  /** Loads and invalidations, for tests and the benchmark. */
  readonly stats = { groupLoads: 0, sharedLoads: 0, invalidations: 0 };

  constructor(private readonly ds: DataSource) {}

  /** Drops one group's book (key) or everything. */
  invalidate(groupId?: string): void {
    this.stats.invalidations++;
    if (groupId) {
      this.groups.delete(groupId);
      return;
    }
    this.shared = null;
    this.groups.clear();
  }

  async currency(): Promise<string> {
    return (await this.loadShared()).currency;
  }

  /**
   * Everything the pure calculator needs to price at one shop, or null for an unknown shop. The
   * object is shared by every caller until the next invalidation: read it, never change it (derive
   * a copy, as dry runs do).
   */
  async contextFor(shopId: string): Promise<ShopPricingContext | null> {
    const shared = await this.loadShared();
    const groupId = shared.shopGroup.get(shopId);
    if (groupId === undefined) return null;
    const book = await this.loadGroup(groupId, shared);
    return book.contexts.get(shopId) ?? shopContext(shopId, groupId, book, shared, PriceBookIndex.empty(), []);
  }

  /** Which of these ids are charged images (stock photos with a copyright fee), as known to the cache. */
  async chargedImageIds(ids: readonly string[]): Promise<Set<string>> {
    const { chargedImages } = await this.loadShared();
    return new Set(ids.filter((id) => chargedImages.has(id)));
  }

  /** The shops of every group, as known to the cache. */
  async shopIds(groupId?: string): Promise<string[]> {
    const shared = await this.loadShared();
    return [...shared.shopGroup.entries()].filter(([, g]) => groupId === undefined || g === groupId).map(([s]) => s);
  }

  private loadShared(): Promise<Shared> {
    if (this.shared) return this.shared;
    const p = (async () => {
      this.stats.sharedLoads++;
      const [standard, charged, shops, currency] = await Promise.all([
        this.selectRows((q) => q.where("r.shop_group_id IS NULL AND r.shop_id IS NULL")),
        this.ds.getRepository(ChargedImageEntity).find(),
        this.ds.getRepository(ShopEntity).find({ select: { id: true, shopGroupId: true } }),
        this.ds.getRepository(SettingEntity).findOne({ where: { key: "currency" } }),
      ]);
      const interner = new Interner();
      return {
        standardRows: PriceBookIndex.from(standard.map((r) => interner.row(r))),
        chargedImages: new Map(charged.map((c) => [c.imageId, c.feePerSheet])),
        shopGroup: new Map(shops.map((s) => [s.id, s.shopGroupId])),
        currency: currency?.value ?? "JPY",
      };
    })();
    this.shared = p;
    p.catch(() => {
      if (this.shared === p) this.shared = null;
    });
    return p;
  }

  private loadGroup(groupId: string, shared: Shared): Promise<GroupBook> {
    const cached = this.groups.get(groupId);
    if (cached) return cached;
    const p = (async () => {
      this.stats.groupLoads++;
      const shops = (await this.ds.getRepository(ShopEntity).find({ where: { shopGroupId: groupId }, select: { id: true } })).map((s) => s.id);
      const [groupRows, shopRows, templates] = await Promise.all([
        this.selectRows((q) => q.where("r.shop_group_id = :groupId AND r.shop_id IS NULL", { groupId })),
        shops.length ? this.selectRows((q) => q.where("r.shop_id IN (:...shops)", { shops })) : Promise.resolve([]),
        this.ds.getRepository(TemplateEntity).find({
          where: shops.length ? [{ shopGroupId: groupId }, { shopId: In(shops) }] : [{ shopGroupId: groupId }],
        }),
      ]);
      const links = templates.length
        ? await this.ds.getRepository(TemplateProductEntity).find({ where: { templateId: In(templates.map((t) => t.id)) }, order: { position: "ASC" } })
        : [];
      const groupTemplateIds = templates.filter((t) => t.shopGroupId === groupId).map((t) => t.id);
      const excluded = groupTemplateIds.length
        ? await this.ds.getRepository(TemplateExcludedShopEntity).find({ where: { templateId: In(groupTemplateIds) } })
        : [];
      const leftOut = new Set(excluded.map((e) => `${e.templateId}\u0000${e.shopId}`));
      const productsOf = new Map<string, string[]>();
      for (const l of links) {
        const list = productsOf.get(l.templateId) ?? [];
        list.push(l.productId);
        productsOf.set(l.templateId, list);
      }
      const data = (t: TemplateEntity): TemplateData => ({ id: t.id, serviceId: t.serviceId, productIds: productsOf.get(t.id) ?? [] });
      const interner = new Interner();
      const book: GroupBook = {
        groupRows: PriceBookIndex.from(groupRows.map((r) => interner.row(r))),
        groupTemplates: templates.filter((t) => t.shopGroupId === groupId).map(data),
        contexts: new Map(),
      };
      const rowsByShop = new Map<string, PriceRowData[]>();
      for (const r of shopRows) {
        const list = rowsByShop.get(r.shopId!) ?? [];
        list.push(interner.row(r));
        rowsByShop.set(r.shopId!, list);
      }
      for (const shopId of shops) {
        const own = rowsByShop.get(shopId);
        const shopTemplates = templates.filter((t) => t.shopId === shopId).map(data);
        // A shop left out of a group template does not offer its service by it (shared when none is).
        const theirs = book.groupTemplates.some((t) => leftOut.has(`${t.id}\u0000${shopId}`))
          ? { ...book, groupTemplates: book.groupTemplates.filter((t) => !leftOut.has(`${t.id}\u0000${shopId}`)) }
          : book;
        book.contexts.set(shopId, shopContext(shopId, groupId, theirs, shared, own ? PriceBookIndex.from(own) : PriceBookIndex.empty(), shopTemplates));
      }
      return book;
    })();
    this.groups.set(groupId, p);
    p.catch(() => {
      if (this.groups.get(groupId) === p) this.groups.delete(groupId);
    });
    return p;
  }

  /** Price rows as plain columns, filtered by `where` (on alias r). */
  private selectRows(where: (q: SelectQueryBuilder<PriceRowEntity>) => SelectQueryBuilder<PriceRowEntity>): Promise<RawPriceRow[]> {
    const q = this.ds
      .getRepository(PriceRowEntity)
      .createQueryBuilder("r")
      .select("r.id", "id")
      .addSelect("r.shop_group_id", "shopGroupId")
      .addSelect("r.shop_id", "shopId")
      .addSelect("r.product_id", "productId")
      .addSelect("r.valid_from", "validFrom")
      .addSelect("r.valid_until", "validUntil")
      .addSelect("r.basic_charge", "basicCharge")
      .addSelect("r.amount_charge", "amountCharge")
      .addSelect("r.min_sheets", "minSheets")
      .addSelect("r.max_sheets", "maxSheets");
    return where(q).getRawMany<RawPriceRow>();
  }
}

function shopContext(
  shopId: string,
  shopGroupId: string,
  book: Pick<GroupBook, "groupRows" | "groupTemplates">,
  shared: Shared,
  shopRows: PriceBookIndex,
  shopTemplates: TemplateData[],
): ShopPricingContext {
  return {
    shopId,
    shopGroupId,
    shopTemplates,
    groupTemplates: book.groupTemplates,
    shopRows,
    groupRows: book.groupRows,
    standardRows: shared.standardRows,
    chargedImages: shared.chargedImages,
  };
}
