/**
 * Quoting (seed 003, Fig. 22, 24, 26) and what a shop offers. The arithmetic is the pure
 * calculator's; this service resolves the shop and the business date, bounds the input and feeds the
 * calculator from the in-memory price books (no query per line).
 */
import { forbidden, unauthenticated, userError, type UserErrorData } from "../common/errors";
import { LabEntity } from "../labs/lab.entity";
import type { RequestContext } from "../core/request-context";
import { Role } from "../identity/role";
import { MAX_ITEMS_PER_ORDER, MAX_SHEETS, MAX_SUB_ORDERS } from "../orders/order.input";
import type { PrintChecksService, PrintWarningView } from "../catalog/print-checks.service";
import type { PrintSize } from "../catalog/print-sizes";
import { businessDate } from "./business-date";
import { FulfilmentMethod, FulfilmentSpeed } from "../catalog/fulfilment";
import type { AssignmentService } from "../assignment/assignment.service";
import { safeSum } from "./money";
import { PriceBooks } from "./price-book";
import { findPrice, quoteOrder, type PriceSource, type ShopPricingContext, type SubOrderQuoteResult } from "./price-calculator";

export interface QuoteRequest {
  shopId?: string | null;
  labId?: string | null;
  /** How the prints reach the customer: which labs could print (null: picked up at the shop). */
  fulfilment?: { method: FulfilmentMethod; speed?: FulfilmentSpeed | null } | null;
  subOrders: Array<{ serviceId: string; sheets: number; items: Array<{ imageId: string }> }>;
}

/** A sub-order priced, with what it prints on and the print check's findings (older stored quotes lack both). */
export interface SubOrderQuoteView extends SubOrderQuoteResult {
  printSize?: PrintSize | null;
  warnings?: PrintWarningView[];
}

export interface QuoteView {
  shopId: string;
  currency: string;
  priceDate: string;
  subOrders: Array<SubOrderQuoteView & { fulfillable?: boolean; unfulfillableReason?: string | null }>;
  total: number;
}

export interface OfferedPrice {
  source: PriceSource;
  priceRowId: string;
  basicCharge: number;
  amountCharge: number;
  minSheets: number;
  maxSheets: number | null;
  validFrom: string;
  validUntil: string | null;
}

export interface ShopOffer {
  shopId: string;
  shopGroupId: string;
  currency: string;
  priceDate: string;
  services: Array<{
    serviceId: string;
    templateId: string;
    ownTemplate: boolean;
    products: Array<{ productId: string; prices: OfferedPrice[] }>;
    /** Some lab can print it for the shop and fulfilment method asked for. */
    fulfillable: boolean;
    unfulfillableReason: string | null;
  }>;
}

export class PricingService {
  readonly books: PriceBooks;

  constructor(
    private readonly app: RequestContext["app"],
    private readonly assignment: AssignmentService,
    private readonly printChecks?: PrintChecksService,
  ) {
    const books = new PriceBooks(app.ds);
    this.books = books;
    void (async () => {
      for await (const e of app.events.subscribe("invalidate")) if (e.kind === "prices" || e.kind === "catalog") books.invalidate(e.key);
    })();
  }

  /** The business date of an instant, in BUSINESS_TIMEZONE. */
  priceDate(at: Date): string {
    return businessDate(at, this.app.config.businessTimeZone);
  }

  /** Checks the bounds every order must keep (before any lookup). */
  checkBounds(input: QuoteRequest): UserErrorData[] {
    const errors: UserErrorData[] = [];
    if (input.subOrders.length === 0) errors.push(userError("EMPTY_ORDER", "An order needs at least one sub-order", ["input", "subOrders"]));
    if (input.subOrders.length > MAX_SUB_ORDERS) {
      errors.push(
        userError("TOO_MANY_SUB_ORDERS", `An order may have at most ${MAX_SUB_ORDERS} sub-orders, got ${input.subOrders.length}`, ["input", "subOrders"]),
      );
    }
    let items = 0;
    input.subOrders.forEach((s, i) => {
      items += s.items.length;
      if (Number.isInteger(s.sheets) && s.sheets > MAX_SHEETS) {
        errors.push(userError("TOO_MANY_SHEETS", `At most ${MAX_SHEETS} sheets per sub-order, got ${s.sheets}`, ["input", "subOrders", i, "sheets"]));
      }
    });
    if (items > MAX_ITEMS_PER_ORDER) {
      errors.push(userError("TOO_MANY_ITEMS", `An order may have at most ${MAX_ITEMS_PER_ORDER} items, got ${items}`, ["input", "subOrders"]));
    }
    return errors;
  }

  /**
   * Prices an order at a shop without storing it. `at` (default now) is for admins pricing a
   * scheduled change; the shop is the one named, else the named lab's.
   */
  async quote(
    ctx: RequestContext,
    input: QuoteRequest,
    at?: Date | null,
    onlyFulfillable = false,
  ): Promise<{ quote: QuoteView | null; errors: UserErrorData[] }> {
    // Anonymous callers (PUBLIC_CATALOG) price at now only: another instant needs an admin's login.
    if (at && ctx.auth.kind === "anonymous") throw unauthenticated();
    if (at && !(ctx.auth.kind === "user" && ctx.auth.user.role !== Role.GENERAL_USER)) {
      throw forbidden("Only admins may price as of another instant (at)");
    }
    const errors = this.checkBounds(input);
    const shop = await this.resolveShop(input);
    if ("error" in shop) errors.push(shop.error);
    if (errors.length > 0 || "error" in shop) return { quote: null, errors };
    // The context resolving the shop found is the one quoted against: one lookup per quote.
    const r = await this.quoteWith(shop.shopId, shop.pricing, input, at ?? new Date());
    return r.quote ? { quote: await this.markFulfillable(r.quote, input.fulfilment ?? null, onlyFulfillable), errors: [] } : r;
  }

  /**
   * Each sub-order marked with whether some lab can print its service for the shop and flow (the
   * reason when none can); with `leaveOut`, those are left out of the quote and its total.
   */
  private async markFulfillable(quote: QuoteView, fulfilment: QuoteRequest["fulfilment"], leaveOut: boolean): Promise<QuoteView> {
    const flow = fulfilment ? { method: fulfilment.method, speed: fulfilment.speed ?? FulfilmentSpeed.STANDARD } : null;
    const why = await this.assignment.unprintable(quote.shopId, [...new Set(quote.subOrders.map((s) => s.serviceId))], flow);
    const marked = quote.subOrders.map((s) => ({ ...s, fulfillable: !why.has(s.serviceId), unfulfillableReason: why.get(s.serviceId) ?? null }));
    if (!leaveOut) return { ...quote, subOrders: marked };
    const kept = marked.filter((s) => s.fulfillable);
    return { ...quote, subOrders: kept, total: safeSum(kept.map((s) => s.subtotal)) ?? 0 };
  }

  /** Prices at a known shop (used by orders and lab candidates too). */
  async quoteAt(shopId: string, input: QuoteRequest, at: Date): Promise<{ quote: QuoteView | null; errors: UserErrorData[] }> {
    return this.quoteWith(shopId, await this.books.contextFor(shopId), input, at);
  }

  private async quoteWith(
    shopId: string,
    pricing: ShopPricingContext | null,
    input: QuoteRequest,
    at: Date,
  ): Promise<{ quote: QuoteView | null; errors: UserErrorData[] }> {
    if (!pricing) return { quote: null, errors: [userError("UNKNOWN_SHOP", `No shop ${shopId}`, ["input", "shopId"])] };
    const priceDate = this.priceDate(at);
    const r = quoteOrder(pricing, { priceDate, subOrders: input.subOrders });
    if (!r.ok) return { quote: null, errors: r.errors.map((e) => userError(e.code, e.message, e.field)) };
    // The print check rides with the quote, so the order placed with it keeps what it was told.
    const checks = this.printChecks ? await this.printChecks.check(input) : null;
    const subOrders: SubOrderQuoteView[] = r.subOrders.map((s, i) => ({
      ...s,
      printSize: checks?.[i]?.printSize ?? null,
      warnings: checks?.[i]?.warnings ?? [],
    }));
    return { quote: { shopId, currency: await this.books.currency(), priceDate, subOrders, total: r.total }, errors: [] };
  }

  private async resolveShop(input: QuoteRequest): Promise<{ shopId: string; pricing: ShopPricingContext | null } | { error: UserErrorData }> {
    if (input.shopId) {
      const pricing = await this.books.contextFor(input.shopId);
      return pricing ? { shopId: input.shopId, pricing } : { error: userError("UNKNOWN_SHOP", `No shop ${input.shopId}`, ["input", "shopId"]) };
    }
    if (input.labId) {
      const lab = await this.app.ds.getRepository(LabEntity).findOne({ where: { id: input.labId } });
      return lab
        ? { shopId: lab.shopId, pricing: await this.books.contextFor(lab.shopId) }
        : { error: userError("UNKNOWN_LAB", `No lab ${input.labId}`, ["input", "labId"]) };
    }
    return { error: userError("SHOP_REQUIRED", "Name a shop (shopId) or a lab (labId) to price at", ["input", "shopId"]) };
  }

  /**
   * What a shop offers on a date: each service with the template that applies and, per product,
   * the price that would apply for each range of sheet counts (with its source), for a price list.
   */
  async offer(
    ctx: RequestContext,
    shopId: string,
    date: string | null,
    fulfilment: FulfilmentMethod | null = null,
    onlyFulfillable = false,
  ): Promise<ShopOffer | null> {
    const pricing = await this.books.contextFor(shopId);
    if (!pricing) return null;
    const priceDate = date ?? this.priceDate(new Date());
    const own = new Set(pricing.shopTemplates.map((t) => t.serviceId));
    const templates = [...pricing.shopTemplates, ...pricing.groupTemplates.filter((t) => !own.has(t.serviceId))].sort((a, b) =>
      a.serviceId.localeCompare(b.serviceId),
    );
    const flow = fulfilment ? { method: fulfilment, speed: FulfilmentSpeed.STANDARD } : null;
    const why = await this.assignment.unprintable(
      shopId,
      templates.map((t) => t.serviceId),
      flow,
    );
    const services = templates.map((t) => ({
      serviceId: t.serviceId,
      templateId: t.id,
      ownTemplate: own.has(t.serviceId),
      products: t.productIds.map((productId) => ({ productId, prices: priceLadder(pricing, productId, priceDate) })),
      fulfillable: !why.has(t.serviceId),
      unfulfillableReason: why.get(t.serviceId) ?? null,
    }));
    return {
      shopId,
      shopGroupId: pricing.shopGroupId,
      currency: await this.books.currency(),
      priceDate,
      services: onlyFulfillable ? services.filter((s) => s.fulfillable) : services,
    };
  }
}

/**
 * The prices of a product on a date as a ladder of sheet ranges: the boundaries of every tier in
 * force cut the range 1..infinity into segments, each priced by the calculator's own precedence.
 */
export function priceLadder(pricing: ShopPricingContext, productId: string, date: string): OfferedPrice[] {
  const cuts = new Set<number>([1]);
  for (const index of [pricing.shopRows, pricing.groupRows, pricing.standardRows]) {
    for (const r of index.rowsFor(productId)) {
      if (r.minSheets === null || r.validFrom > date || (r.validUntil !== null && r.validUntil < date)) continue;
      cuts.add(r.minSheets);
      if (r.maxSheets !== null) cuts.add(r.maxSheets + 1);
    }
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out: OfferedPrice[] = [];
  points.forEach((from, i) => {
    const until = i + 1 < points.length ? points[i + 1] - 1 : null;
    const hit = findPrice(pricing, productId, date, from);
    if (!hit) return;
    const last = out[out.length - 1];
    if (last && last.priceRowId === hit.row.id && last.maxSheets === from - 1) {
      last.maxSheets = until;
      return;
    }
    out.push({
      source: hit.source,
      priceRowId: hit.row.id,
      basicCharge: hit.row.basicCharge,
      amountCharge: hit.row.amountCharge,
      minSheets: from,
      maxSheets: until,
      validFrom: hit.row.validFrom,
      validUntil: hit.row.validUntil,
    });
  });
  return out;
}
