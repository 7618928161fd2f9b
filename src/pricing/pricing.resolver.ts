import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../core/request-context";
import { listPage, type Connection } from "../core/pagination";
import { AFTER_ARG, FIRST_ARG, page } from "../graphql/connection.types";
import { DateScalar } from "../graphql/scalars";
import { PUBLIC_READ, Role } from "../identity/role";
import { OrderInput } from "../orders/order.input";
import { FulfilmentMethod } from "../catalog/fulfilment";
import {
  PriceHistoryEntryType,
  PriceRowInput,
  PriceRowPayload,
  PriceRowConnection,
  PriceRowType,
  PriceHistoryEntryConnection,
  QuotePayload,
  ShopOfferType,
  ShopPriceAllowanceConnection,
  ShopPriceAllowanceInput,
  ShopPriceAllowancePayload,
  ShopPriceAllowanceType,
} from "./pricing.types";
import type { Outcome } from "../core/unit-of-work";
import type { PriceRowResult } from "./price-admin.service";
import { PriceAdminService } from "./price-admin.service";
import { PricingService } from "./pricing.service";

const ADMINS = [Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN, Role.SHOP_ADMIN];

function rowPayload(r: Outcome<PriceRowResult>, dryRun: boolean): PriceRowPayload {
  return {
    priceRow: r.value?.row ?? null,
    changes: (r.value?.changes ?? []) as PriceRowPayload["changes"],
    gapsOpened: r.value?.gapsOpened ?? [],
    dryRun: dryRun && r.errors.length === 0,
    errors: r.errors,
  };
}

@Resolver()
export class PricingResolver {
  constructor(
    private readonly priceAdmin: PriceAdminService,
    private readonly pricing: PricingService,
  ) {}

  @Authorized(PUBLIC_READ)
  @Query(() => QuotePayload, { description: "Price an order without storing it. at: price as of that instant (default now); admins only for other than now." })
  async quote(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => OrderInput, { description: "The order to price." }) input: OrderInput,
    @Arg("at", () => Date, { description: "Price the order as of this instant (for dry runs and previews); default now.", nullable: true }) at?: Date | null,
    @Arg("onlyFulfillable", () => Boolean, {
      nullable: true,
      defaultValue: false,
      description:
        "true: leave out (of the sub-orders and the total) the services no lab can print for the shop and the order's fulfilment method; false: mark them (fulfillable).",
    })
    onlyFulfillable?: boolean | null,
  ): Promise<QuotePayload> {
    return this.pricing.quote(ctx, input, at, onlyFulfillable ?? false) as Promise<QuotePayload>;
  }

  @Authorized(PUBLIC_READ)
  @Query(() => ShopOfferType, {
    nullable: true,
    description: "What a shop offers on a date (default today), each service with its template and the prices that would apply.",
  })
  shopOffer(
    @Ctx() ctx: RequestContext,
    @Arg("shopId", () => ID, { description: "The shop's id." }) shopId: string,
    @Arg("date", () => DateScalar, { description: "The business day to show prices for; default today in the business time zone.", nullable: true })
    date?: string | null,
    @Arg("fulfilment", () => FulfilmentMethod, {
      nullable: true,
      description: "The fulfilment method the customer would choose (unset: picked up at the shop); decides which labs could print each service.",
    })
    fulfilment?: FulfilmentMethod | null,
    @Arg("onlyFulfillable", () => Boolean, {
      nullable: true,
      defaultValue: false,
      description: "true: leave out the services no lab can print for this shop and fulfilment method; false: list them, marked (fulfillable).",
    })
    onlyFulfillable?: boolean | null,
  ): Promise<ShopOfferType | null> {
    return this.pricing.offer(ctx, shopId, date ?? null, fulfilment ?? null, onlyFulfillable ?? false) as Promise<ShopOfferType | null>;
  }

  @Authorized(...ADMINS)
  @Query(() => [PriceRowType], { description: "Price rows the caller may see (at most 5000), by product and scope." })
  priceRows(
    @Ctx() ctx: RequestContext,
    @Arg("productId", () => ID, { description: "The product's id.", nullable: true }) productId?: string | null,
    @Arg("shopGroupId", () => ID, { description: "The shop group's id.", nullable: true }) shopGroupId?: string | null,
    @Arg("shopId", () => ID, { description: "The shop's id.", nullable: true }) shopId?: string | null,
    @Arg("standard", () => Boolean, { nullable: true, description: "Only standard rows." }) standard?: boolean | null,
  ): Promise<PriceRowType[]> {
    return this.priceAdmin.priceRows(ctx, { productId, shopGroupId, shopId, standard });
  }

  @Authorized(...ADMINS)
  @Query(() => PriceRowConnection, {
    description: "The same rows as priceRows (at most 5000), as a Relay connection: by id, a page at a time with first (1 to 100) and after.",
  })
  async priceRowsConnection(
    @Ctx() ctx: RequestContext,
    @Arg("productId", () => ID, { description: "Only this product's rows.", nullable: true }) productId: string | null,
    @Arg("shopGroupId", () => ID, { description: "Only this group's rows.", nullable: true }) shopGroupId: string | null,
    @Arg("shopId", () => ID, { description: "Only this shop's rows.", nullable: true }) shopId: string | null,
    @Arg("standard", () => Boolean, { nullable: true, description: "Only standard rows." }) standard: boolean | null,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<PriceRowType>> {
    return listPage(await this.priceAdmin.priceRows(ctx, { productId, shopGroupId, shopId, standard }), page(first, after), (r) => r.id);
  }

  @Authorized(...ADMINS)
  @Query(() => PriceHistoryEntryConnection, {
    description:
      "The same changes as priceHistory (which stays a plain list of the first ones), as a Relay connection: newest first, a page at a time with first (1 to 100) and after.",
  })
  priceHistoryConnection(
    @Ctx() ctx: RequestContext,
    @Arg("productId", () => ID, { description: "The product whose prices changed." }) productId: string,
    @Arg("shopGroupId", () => ID, { nullable: true, description: "Only changes to this group's prices." }) shopGroupId?: string | null,
    @Arg("shopId", () => ID, { nullable: true, description: "Only changes to this shop's prices and allowances." }) shopId?: string | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20, description: "At most this many changes (1 to 100)." }) first?: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the page before." }) after?: string | null,
  ): Promise<Connection<PriceHistoryEntryType>> {
    return this.priceAdmin.priceHistoryPage(ctx, { productId, shopGroupId, shopId }, { first: first ?? 20, after: after ?? null });
  }

  @Authorized(...ADMINS)
  @Query(() => [PriceHistoryEntryType], { description: "Every change to a product's prices and allowances in the scopes the caller may see, newest first." })
  priceHistory(
    @Ctx() ctx: RequestContext,
    @Arg("productId", () => ID, { description: "The product's id." }) productId: string,
    @Arg("shopGroupId", () => ID, { description: "The shop group's id.", nullable: true }) shopGroupId?: string | null,
    @Arg("shopId", () => ID, { description: "The shop's id.", nullable: true }) shopId?: string | null,
    @Arg("first", () => Int, { description: "Most recent entries to return.", nullable: true, defaultValue: 50 }) first?: number | null,
  ): Promise<PriceHistoryEntryType[]> {
    return this.priceAdmin.priceHistory(ctx, { productId, shopGroupId, shopId, first: first ?? 50 });
  }

  @Authorized(...ADMINS)
  @Query(() => [ShopPriceAllowanceType], { description: "A shop's allowances, for admins in scope." })
  shopPriceAllowances(
    @Ctx() ctx: RequestContext,
    @Arg("shopId", () => ID, { description: "The shop's id." }) shopId: string,
  ): Promise<ShopPriceAllowanceType[]> {
    return this.priceAdmin.allowances(ctx, shopId);
  }

  @Authorized(...ADMINS)
  @Query(() => ShopPriceAllowanceConnection, {
    description: "The same allowances as shopPriceAllowances, as a Relay connection: by product id, a page at a time with first (1 to 100) and after.",
  })
  async shopPriceAllowancesConnection(
    @Ctx() ctx: RequestContext,
    @Arg("shopId", () => ID, { description: "The shop whose allowances to read." }) shopId: string,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<ShopPriceAllowanceType>> {
    return listPage(await this.priceAdmin.allowances(ctx, shopId), page(first, after), (a) => a.productId);
  }

  @Authorized(...ADMINS)
  @Mutation(() => PriceRowPayload, { description: "Register, correct and delete price rows. dryRun: check and report, write nothing." })
  async createPriceRow(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => PriceRowInput, { description: "What to create or set." }) input: PriceRowInput,
    @Arg("dryRun", () => Boolean, {
      description: "true: check and report what would change (errors, change notices) without writing anything.",
      nullable: true,
      defaultValue: false,
    })
    dryRun: boolean | null,
  ): Promise<PriceRowPayload> {
    return rowPayload(await this.priceAdmin.createPriceRow(ctx, input, dryRun ?? false), dryRun ?? false);
  }

  @Authorized(...ADMINS)
  @Mutation(() => PriceRowPayload, { description: "Change a price row; change notices go to the admins concerned." })
  async updatePriceRow(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the price row." }) id: string,
    @Arg("input", () => PriceRowInput, { description: "What to set; unset fields stay as they are." }) input: PriceRowInput,
    @Arg("dryRun", () => Boolean, {
      description: "true: check and report what would change (errors, change notices) without writing anything.",
      nullable: true,
      defaultValue: false,
    })
    dryRun: boolean | null,
  ): Promise<PriceRowPayload> {
    return rowPayload(await this.priceAdmin.updatePriceRow(ctx, id, input, dryRun ?? false), dryRun ?? false);
  }

  @Authorized(...ADMINS)
  @Mutation(() => PriceRowPayload, { description: "Delete a price row; its change notices go to the admins concerned." })
  async deletePriceRow(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the price row." }) id: string,
    @Arg("dryRun", () => Boolean, {
      description: "true: check and report what would change (errors, change notices) without writing anything.",
      nullable: true,
      defaultValue: false,
    })
    dryRun: boolean | null,
  ): Promise<PriceRowPayload> {
    return rowPayload(await this.priceAdmin.deletePriceRow(ctx, id, dryRun ?? false), dryRun ?? false);
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => ShopPriceAllowancePayload, { description: "Grant or change what a shop admin may set for their shop's price of a product." })
  async setShopPriceAllowance(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => ShopPriceAllowanceInput, { description: "What to create or set." }) input: ShopPriceAllowanceInput,
    @Arg("dryRun", () => Boolean, {
      description: "true: check and report what would change (errors, change notices) without writing anything.",
      nullable: true,
      defaultValue: false,
    })
    dryRun: boolean | null,
  ): Promise<ShopPriceAllowancePayload> {
    const r = await this.priceAdmin.setAllowance(ctx, input, dryRun ?? false);
    return {
      allowance: r.value?.allowance ?? null,
      outsideRowIds: r.value?.outside ?? [],
      dryRun: (dryRun ?? false) && r.errors.length === 0,
      errors: r.errors,
    };
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => ShopPriceAllowancePayload, { description: "Withdraw a shop's allowance for a product." })
  async removeShopPriceAllowance(
    @Ctx() ctx: RequestContext,
    @Arg("shopId", () => ID, { description: "The shop's id." }) shopId: string,
    @Arg("productId", () => ID, { description: "The product's id." }) productId: string,
  ): Promise<ShopPriceAllowancePayload> {
    const r = await this.priceAdmin.removeAllowance(ctx, shopId, productId);
    return { allowance: r.value, outsideRowIds: [], dryRun: false, errors: r.errors };
  }
}
