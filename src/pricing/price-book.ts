/**
 * The price books in memory: quoting is the hottest path, so a group's rows, its shops' own rows and
 * templates are loaded once (a handful of queries) and kept until a change invalidates them. An
 * invalidation is an event on the bus, so with Redis it reaches every center process.
 */
import { In, IsNull, type DataSource } from "typeorm";
import { SettingEntity } from "../catalog/setting.entity";
import { ShopEntity } from "../catalog/shop.entity";
import { TemplateEntity, TemplateProductEntity } from "../catalog/template.entity";
import { ChargedImageEntity } from "./charged-image.entity";
import { PriceBookIndex, type PriceRowData, type ShopPricingContext, type TemplateData } from "./price-calculator";
import { PriceRowEntity } from "./price-row.entity";

interface GroupBook {
  groupRows: PriceBookIndex;
  groupTemplates: TemplateData[];
  shops: Map<string, { shopRows: PriceBookIndex; shopTemplates: TemplateData[] }>;
}

interface Shared {
  standardRows: PriceBookIndex;
  chargedImages: Map<string, number>;
  shopGroup: Map<string, string>;
  currency: string;
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

  /** Everything the pure calculator needs to price at one shop, or null for an unknown shop. */
  async contextFor(shopId: string): Promise<ShopPricingContext | null> {
    const shared = await this.loadShared();
    const groupId = shared.shopGroup.get(shopId);
    if (groupId === undefined) return null;
    const book = await this.loadGroup(groupId);
    const shop = book.shops.get(shopId);
    return {
      shopId,
      shopGroupId: groupId,
      shopTemplates: shop?.shopTemplates ?? [],
      groupTemplates: book.groupTemplates,
      shopRows: shop?.shopRows ?? PriceBookIndex.empty(),
      groupRows: book.groupRows,
      standardRows: shared.standardRows,
      chargedImages: shared.chargedImages,
    };
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
        this.ds.getRepository(PriceRowEntity).find({ where: { shopGroupId: IsNull(), shopId: IsNull() } }),
        this.ds.getRepository(ChargedImageEntity).find(),
        this.ds.getRepository(ShopEntity).find({ select: { id: true, shopGroupId: true } }),
        this.ds.getRepository(SettingEntity).findOne({ where: { key: "currency" } }),
      ]);
      return {
        standardRows: PriceBookIndex.from(standard.map(toRowData)),
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

  private loadGroup(groupId: string): Promise<GroupBook> {
    const cached = this.groups.get(groupId);
    if (cached) return cached;
    const p = (async () => {
      this.stats.groupLoads++;
      const shops = (await this.ds.getRepository(ShopEntity).find({ where: { shopGroupId: groupId }, select: { id: true } })).map((s) => s.id);
      const [groupRows, shopRows, templates] = await Promise.all([
        this.ds.getRepository(PriceRowEntity).find({ where: { shopGroupId: groupId, shopId: IsNull() } }),
        shops.length ? this.ds.getRepository(PriceRowEntity).find({ where: { shopId: In(shops) } }) : Promise.resolve([]),
        this.ds.getRepository(TemplateEntity).find({
          where: shops.length ? [{ shopGroupId: groupId }, { shopId: In(shops) }] : [{ shopGroupId: groupId }],
        }),
      ]);
      const links = templates.length
        ? await this.ds.getRepository(TemplateProductEntity).find({ where: { templateId: In(templates.map((t) => t.id)) }, order: { position: "ASC" } })
        : [];
      const productsOf = new Map<string, string[]>();
      for (const l of links) {
        const list = productsOf.get(l.templateId) ?? [];
        list.push(l.productId);
        productsOf.set(l.templateId, list);
      }
      const data = (t: TemplateEntity): TemplateData => ({ id: t.id, serviceId: t.serviceId, productIds: productsOf.get(t.id) ?? [] });
      const book: GroupBook = {
        groupRows: PriceBookIndex.from(groupRows.map(toRowData)),
        groupTemplates: templates.filter((t) => t.shopGroupId === groupId).map(data),
        shops: new Map(),
      };
      const rowsByShop = new Map<string, PriceRowData[]>();
      for (const r of shopRows) {
        const list = rowsByShop.get(r.shopId!) ?? [];
        list.push(toRowData(r));
        rowsByShop.set(r.shopId!, list);
      }
      for (const shopId of shops) {
        book.shops.set(shopId, {
          shopRows: PriceBookIndex.from(rowsByShop.get(shopId) ?? []),
          shopTemplates: templates.filter((t) => t.shopId === shopId).map(data),
        });
      }
      return book;
    })();
    this.groups.set(groupId, p);
    p.catch(() => {
      if (this.groups.get(groupId) === p) this.groups.delete(groupId);
    });
    return p;
  }
}
