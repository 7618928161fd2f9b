import { IsOptional, MaxLength } from "class-validator";
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { PrintSizeType, PrintWarningType } from "../catalog/catalog.types";
import { UserErrorType } from "../graphql/user-error.types";
import { DateScalar, MoneyScalar } from "../graphql/scalars";
import { connectionType } from "../graphql/connection.types";
import { PriceGapType } from "./price-gaps.types";

export enum PriceSourceEnum {
  SHOP_TIER = "SHOP_TIER",
  SHOP = "SHOP",
  GROUP_TIER = "GROUP_TIER",
  GROUP = "GROUP",
  STANDARD_TIER = "STANDARD_TIER",
  STANDARD = "STANDARD",
}
registerEnumType(PriceSourceEnum, {
  name: "PriceSource",
  description:
    "Where a price line came from, most specific first: a shop's own price, the\nshop group's price, or the system-wide standard price; *_TIER when a\nsheet-count tier matched.",
  valuesConfig: {
    SHOP_TIER: { description: "The shop's own price, from a row for a sheet-count tier." },
    SHOP: { description: "The shop's own price." },
    GROUP_TIER: { description: "The shop group's price, from a row for a sheet-count tier." },
    GROUP: { description: "The shop group's price." },
    STANDARD_TIER: { description: "The system-wide standard price, from a row for a sheet-count tier." },
    STANDARD: { description: "The system-wide standard price." },
  },
});

@ObjectType("PriceLine", { description: "A product's price within a sub-order quote.", simpleResolvers: true })
export class PriceLineType {
  @Field(() => ID, { description: "The product." })
  productId!: string;

  @Field(() => PriceSourceEnum, { description: "Which price level supplied the price (shop, group or standard, tiered or not)." })
  source!: PriceSourceEnum;

  @Field(() => ID, { description: "The price row applied." })
  priceRowId!: string;

  @Field(() => MoneyScalar, { description: "Fixed charge per sub-order line, in the currency's minor unit (cents for EUR, yen for JPY)." })
  basicCharge!: number;

  @Field(() => MoneyScalar, { description: "Charge per sheet, in the currency's minor unit (cents for EUR, yen for JPY)." })
  amountCharge!: number;

  @Field(() => Int, { description: "Sheets of this product in the sub-order (selects the tier)." })
  sheets!: number;

  @Field(() => MoneyScalar, { description: "basicCharge + amountCharge * sheets" })
  subtotal!: number;
}

@ObjectType("ImageFee", { simpleResolvers: true, description: "A copyright fee for a charged image: feePerSheet * sheets." })
export class ImageFeeType {
  @Field(() => ID, { description: "The charged image." })
  imageId!: string;

  @Field(() => MoneyScalar, { description: "Copyright fee per printed sheet of the image, in the currency's minor unit (cents for EUR, yen for JPY)." })
  feePerSheet!: number;

  @Field(() => Int, { description: "Sheets of the image printed in the sub-order." })
  sheets!: number;

  @Field(() => MoneyScalar, { description: "feePerSheet x sheets, in the currency's minor unit (cents for EUR, yen for JPY)." })
  subtotal!: number;
}

@ObjectType("SubOrderQuote", { description: "One sub-order priced.", simpleResolvers: true })
export class SubOrderQuoteType {
  @Field(() => ID, { description: "The service." })
  serviceId!: string;

  @Field(() => ID, { description: "The template that offers the service at this shop." })
  templateId!: string;

  @Field(() => Int, { description: "Sheets in the sub-order." })
  sheets!: number;

  @Field(() => [PriceLineType], { description: "Price per product." })
  lines!: PriceLineType[];

  @Field(() => [ImageFeeType], { description: "Copyright fees of charged images in it." })
  imageFees!: ImageFeeType[];

  @Field(() => PrintSizeType, {
    nullable: true,
    description: "What the service prints on, as the catalog stated it when quoted (frozen with an order's quote); null when it states none.",
  })
  printSize?: PrintSizeType | null;

  @Field(() => [PrintWarningType], { description: "The print check's findings on this sub-order's items (LOW_RESOLUTION); empty when none." })
  warnings!: PrintWarningType[];

  @Field(() => MoneyScalar, { description: "Total of this part, in the currency's minor unit (cents for EUR, yen for JPY)." })
  subtotal!: number;

  @Field(() => Boolean, {
    nullable: true,
    description:
      "From quote: true when some lab can print the service for the shop and the order's fulfilment method; null where not checked (an order's frozen quote).",
  })
  fulfillable?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description: "From quote, when fulfillable is false: why no lab can print it (each of the shop's labs and its reasons).",
  })
  unfulfillableReason?: string | null;
}

@ObjectType("Quote", { description: "An order priced at one shop, on one business date. Money in the currency's minor unit.", simpleResolvers: true })
export class QuoteType {
  @Field(() => ID, { description: "The shop whose prices apply." })
  shopId!: string;

  @Field(() => String, { description: "ISO 4217 currency code (e.g. EUR); every Money amount of it is in its minor unit." })
  currency!: string;

  @Field(() => DateScalar, { description: "The business date whose prices were applied." })
  priceDate!: string;

  @Field(() => [SubOrderQuoteType], { description: "Each sub-order priced." })
  subOrders!: SubOrderQuoteType[];

  @Field(() => MoneyScalar, { description: "Grand total, in the currency's minor unit (cents for EUR, yen for JPY)." })
  total!: number;
}

@ObjectType("QuotePayload", { description: "Result of a quote: the priced order, or errors.", simpleResolvers: true })
export class QuotePayload {
  @Field(() => QuoteType, { description: "The priced order.", nullable: true })
  quote?: QuoteType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("PriceRow", {
  description:
    "A price row. Its scope: a shop group (shopGroupId), one shop (shopId: a shop\nprice, which wins over the group's), or neither (a standard price, the\nfallback for every group). minSheets/maxSheets make it a sheet-count tier.",
})
export class PriceRowType {
  @Field(() => ID, { description: "Unique id of this price row." })
  id!: string;

  @Field(() => ID, { description: "The group whose price it is; null for a standard or shop price.", nullable: true })
  shopGroupId?: string | null;

  @Field(() => ID, { description: "The shop whose price it is; null for a group or standard price.", nullable: true })
  shopId?: string | null;

  @Field(() => ID, { description: "The product priced." })
  productId!: string;

  @Field(() => DateScalar, { description: "First business day the price applies (a date in the business time zone, inclusive)." })
  validFrom!: string;

  @Field(() => DateScalar, { description: "Last business day the price applies (inclusive; null: open-ended).", nullable: true })
  validUntil?: string | null;

  @Field(() => MoneyScalar, { description: "Fixed charge per sub-order line, in the currency's minor unit (cents for EUR, yen for JPY)." })
  basicCharge!: number;

  @Field(() => MoneyScalar, { description: "Charge per sheet, in the currency's minor unit (cents for EUR, yen for JPY)." })
  amountCharge!: number;

  @Field(() => Int, { description: "Smallest sheet count this tier applies to (inclusive; 1 when unset).", nullable: true })
  minSheets?: number | null;

  @Field(() => Int, { description: "Largest sheet count this tier applies to (inclusive; null: no upper bound).", nullable: true })
  maxSheets?: number | null;
}

@InputType("PriceRowInput", { description: "A price row: a product's basic and per-sheet charge for a period and a sheet-count tier, at one scope." })
export class PriceRowInput {
  @Field(() => ID, { nullable: true, description: "At most one of shopGroupId and shopId; neither for a standard price." })
  @IsOptional()
  @MaxLength(64)
  shopGroupId?: string | null;

  @Field(() => ID, {
    description: "The shop, for a shop's own price (within the allowance its group's admin set); at most one of shopGroupId and shopId.",
    nullable: true,
  })
  @IsOptional()
  @MaxLength(64)
  shopId?: string | null;

  @Field(() => ID, { description: "The product to price." })
  @MaxLength(64)
  productId!: string;

  @Field(() => DateScalar, { description: "First business day the price applies (a date in the business time zone, inclusive)." })
  validFrom!: string;

  @Field(() => DateScalar, { description: "Last business day the price applies (inclusive; null: open-ended).", nullable: true })
  @IsOptional()
  validUntil?: string | null;

  @Field(() => MoneyScalar, { description: "Fixed charge per sub-order line, in the currency's minor unit (cents for EUR, yen for JPY)." })
  basicCharge!: number;

  @Field(() => MoneyScalar, { description: "Charge per sheet, in the currency's minor unit (cents for EUR, yen for JPY)." })
  amountCharge!: number;

  @Field(() => Int, { description: "Smallest sheet count this tier applies to (inclusive; 1 when unset).", nullable: true })
  @IsOptional()
  minSheets?: number | null;

  @Field(() => Int, { description: "Largest sheet count this tier applies to (inclusive; null: no upper bound).", nullable: true })
  @IsOptional()
  maxSheets?: number | null;
}

@ObjectType("PriceLevel", { description: "An effective price of a product at a shop: the row that wins and its charges." })
export class PriceLevelType {
  @Field(() => PriceSourceEnum, { description: "Which price level supplied the price (shop, group or standard, tiered or not)." })
  source!: PriceSourceEnum;

  @Field(() => ID, { description: "The price row the price came from." })
  priceRowId!: string;

  @Field(() => MoneyScalar, { description: "Fixed charge per sub-order line, in the currency's minor unit (cents for EUR, yen for JPY)." })
  basicCharge!: number;

  @Field(() => MoneyScalar, { description: "Charge per sheet, in the currency's minor unit (cents for EUR, yen for JPY)." })
  amountCharge!: number;
}

@ObjectType("PriceChange", {
  description: "A shop's effective price of a product that a change moves: from a date, for a range of sheet counts, old and new (null: no price).",
})
export class PriceChangeType {
  @Field(() => ID, { description: "The shop whose customers see the change." })
  shopId!: string;

  @Field(() => ID, { description: "The product whose price changes." })
  productId!: string;

  @Field(() => DateScalar, { description: "First business day concerned." })
  validFrom!: string;

  @Field(() => DateScalar, { description: "Last business day concerned (null: open-ended).", nullable: true })
  validUntil?: string | null;

  @Field(() => Int, { description: "Smallest sheet count concerned." })
  minSheets!: number;

  @Field(() => Int, { description: "Largest sheet count concerned (null: no bound).", nullable: true })
  maxSheets?: number | null;

  @Field(() => PriceLevelType, { description: "The price before the change; null when it was not priced.", nullable: true })
  before?: PriceLevelType | null;

  @Field(() => PriceLevelType, { description: "The price after the change; null when the product is no longer priced.", nullable: true })
  after?: PriceLevelType | null;
}

@ObjectType("PriceRowPayload", { description: "Result of a mutation on a price row: the row, the change notices, or errors." })
export class PriceRowPayload {
  @Field(() => PriceRowType, { nullable: true, description: "The row as written (or as it would be, on a dry run); null when errors is not empty." })
  priceRow?: PriceRowType | null;

  @Field(() => [PriceChangeType], { description: "On a dry run: every shop's effective price the change would move. Empty otherwise." })
  changes!: PriceChangeType[];

  @Field(() => [PriceGapType], {
    description:
      "Products of the shops' templates the change leaves (or would leave, on a dry run) without any price for some dates and sheet counts that had one before; the admins concerned are told (PRICE_GAP_OPENED).",
  })
  gapsOpened!: PriceGapType[];

  @Field(() => Boolean, { description: "True when nothing was written because dryRun was asked for." })
  dryRun!: boolean;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("ShopPriceAllowance", { description: "What a shop admin may set for their own shop, per product, as the group admin allows." })
export class ShopPriceAllowanceType {
  @Field(() => ID, { description: "The shop." })
  shopId!: string;

  @Field(() => ID, { description: "The product." })
  productId!: string;

  @Field(() => MoneyScalar, { description: "Lowest basic charge a shop may set, in the currency's minor unit (cents for EUR, yen for JPY)." })
  minBasicCharge!: number;

  @Field(() => MoneyScalar, { description: "Highest basic charge a shop may set, in the currency's minor unit (cents for EUR, yen for JPY)." })
  maxBasicCharge!: number;

  @Field(() => MoneyScalar, { description: "Lowest per-sheet charge a shop may set, in the currency's minor unit (cents for EUR, yen for JPY)." })
  minAmountCharge!: number;

  @Field(() => MoneyScalar, { description: "Highest per-sheet charge a shop may set, in the currency's minor unit (cents for EUR, yen for JPY)." })
  maxAmountCharge!: number;
}

@InputType("ShopPriceAllowanceInput", { description: "The range within which a shop may set its own price for a product (set by the group's admin)." })
export class ShopPriceAllowanceInput {
  @Field(() => ID, { description: "The shop's id." })
  @MaxLength(64)
  shopId!: string;

  @Field(() => ID, { description: "The product's id." })
  @MaxLength(64)
  productId!: string;

  @Field(() => MoneyScalar, { description: "Lowest basic charge the shop may set, in the currency's minor unit (cents for EUR, yen for JPY)." })
  minBasicCharge!: number;

  @Field(() => MoneyScalar, { description: "Highest basic charge the shop may set, in the currency's minor unit (cents for EUR, yen for JPY)." })
  maxBasicCharge!: number;

  @Field(() => MoneyScalar, { description: "Lowest per-sheet charge the shop may set, in the currency's minor unit (cents for EUR, yen for JPY)." })
  minAmountCharge!: number;

  @Field(() => MoneyScalar, { description: "Highest per-sheet charge the shop may set, in the currency's minor unit (cents for EUR, yen for JPY)." })
  maxAmountCharge!: number;
}

@ObjectType("ShopPriceAllowancePayload", { description: "Result of setting an allowance." })
export class ShopPriceAllowancePayload {
  @Field(() => ShopPriceAllowanceType, { description: "The allowance as set (or as it would be, on a dry run).", nullable: true })
  allowance?: ShopPriceAllowanceType | null;

  @Field(() => [ID], { description: "The shop's existing price rows for this product that lie outside the allowance (their admins are told)." })
  outsideRowIds!: string[];

  @Field(() => Boolean, { description: "true when nothing was written." })
  dryRun!: boolean;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("PriceRowValue", {
  description: "A price row as it was at one point of its history (no id of its own: a client's cache never mixes it with the row as it is now).",
})
export class PriceRowValueType {
  @Field(() => ID, { description: "The price row this is a state of." })
  priceRowId!: string;

  @Field(() => ID, { nullable: true, description: "The group of a group price." })
  shopGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: "The shop of a shop price." })
  shopId?: string | null;

  @Field(() => ID, { description: "The product priced." })
  productId!: string;

  @Field(() => DateScalar, { description: "First business date the row applied." })
  validFrom!: string;

  @Field(() => DateScalar, { nullable: true, description: "Last business date the row applied; null for open-ended." })
  validUntil?: string | null;

  @Field(() => MoneyScalar, { description: "The fixed charge." })
  basicCharge!: number;

  @Field(() => MoneyScalar, { description: "The charge per sheet." })
  amountCharge!: number;

  @Field(() => Int, { nullable: true, description: "Least sheet count of a tier." })
  minSheets?: number | null;

  @Field(() => Int, { nullable: true, description: "Most sheet count of a tier." })
  maxSheets?: number | null;
}

@ObjectType("ShopPriceAllowanceValue", { description: "A shop's allowance for a product as it was at one point of its history." })
export class ShopPriceAllowanceValueType {
  @Field(() => ID, { description: "The shop allowed." })
  shopId!: string;

  @Field(() => ID, { description: "The product the allowance bounds." })
  productId!: string;

  @Field(() => MoneyScalar, { description: "Least basic charge the shop may set." })
  minBasicCharge!: number;

  @Field(() => MoneyScalar, { description: "Most basic charge the shop may set." })
  maxBasicCharge!: number;

  @Field(() => MoneyScalar, { description: "Least charge per sheet the shop may set." })
  minAmountCharge!: number;

  @Field(() => MoneyScalar, { description: "Most charge per sheet the shop may set." })
  maxAmountCharge!: number;
}

/**
 * An object with one of two fields set, not a GraphQL union: the center's compiled execution
 * (graphql-jit) does not resolve type-graphql's abstract types.
 */
@ObjectType("PriceHistoryValue", {
  description: "What a price history entry changed, as it was: priceRow for entityKind PRICE_ROW, allowance for ALLOWANCE (the other null).",
})
export class PriceHistoryValueType {
  @Field(() => PriceRowValueType, { nullable: true, description: "The price row, for entityKind PRICE_ROW." })
  priceRow?: PriceRowValueType | null;

  @Field(() => ShopPriceAllowanceValueType, { nullable: true, description: "The allowance, for entityKind ALLOWANCE." })
  allowance?: ShopPriceAllowanceValueType | null;
}

@ObjectType("PriceHistoryEntry", { description: "One change to a price row or an allowance: who, when, before and after." })
export class PriceHistoryEntryType {
  @Field(() => ID, { description: "Unique id of this history entry." })
  id!: string;

  @Field(() => String, { description: "PRICE_ROW or ALLOWANCE." })
  entityKind!: string;

  @Field(() => ID, { description: "The changed record (price row or allowance)." })
  entityId!: string;

  @Field(() => ID, { description: "The product concerned." })
  productId!: string;

  @Field(() => ID, { description: "The shop group concerned, if any.", nullable: true })
  shopGroupId?: string | null;

  @Field(() => ID, { description: "The shop concerned, if any.", nullable: true })
  shopId?: string | null;

  @Field(() => String, { description: "CREATED, UPDATED or DELETED." })
  action!: string;

  @Field(() => ID, { description: "Who made the change; null for imports and the system.", nullable: true })
  actorUserId?: string | null;

  @Field(() => Date, { description: "When (UTC instant)." })
  at!: Date;

  @Field(() => ID, {
    nullable: true,
    description: "Shared by the entries of one change that wrote several rows (schedulePrice: the row and the rows it cut); null for a single write.",
  })
  changeId?: string | null;

  /** The stored snapshots (JSON), typed by PriceHistoryResolver. */
  before?: string | null;
  after?: string | null;
}

@ObjectType("OfferedPrice", { simpleResolvers: true, description: "The price of a product for a range of sheet counts on a date." })
export class OfferedPriceType {
  @Field(() => PriceSourceEnum, { description: "Which price level supplied the price (shop, group or standard, tiered or not)." })
  source!: PriceSourceEnum;

  @Field(() => ID, { description: "The price row the price comes from." })
  priceRowId!: string;

  @Field(() => MoneyScalar, { description: "Fixed charge per sub-order line, in the currency's minor unit (cents for EUR, yen for JPY)." })
  basicCharge!: number;

  @Field(() => MoneyScalar, { description: "Charge per sheet, in the currency's minor unit (cents for EUR, yen for JPY)." })
  amountCharge!: number;

  @Field(() => Int, { description: "Smallest sheet count this tier applies to (inclusive; 1 when unset)." })
  minSheets!: number;

  @Field(() => Int, { nullable: true, description: "null: no upper end." })
  maxSheets?: number | null;

  @Field(() => DateScalar, { description: "First business day the price applies (a date in the business time zone, inclusive)." })
  validFrom!: string;

  @Field(() => DateScalar, { description: "Last business day the price applies (inclusive; null: open-ended).", nullable: true })
  validUntil?: string | null;
}

@ObjectType("OfferedProduct", { description: "A product of a service, with the prices the shop offers for it.", simpleResolvers: true })
export class OfferedProductType {
  @Field(() => ID, { description: "The product's id." })
  productId!: string;

  @Field(() => [OfferedPriceType], { description: "Empty when no price is in force (quotes would answer NO_PRICE)." })
  prices!: OfferedPriceType[];
}

@ObjectType("OfferedService", { description: "A service the shop offers, with its products and prices.", simpleResolvers: true })
export class OfferedServiceType {
  @Field(() => ID, { description: "The service's id." })
  serviceId!: string;

  @Field(() => ID, { description: "The template that puts the service on offer." })
  templateId!: string;

  @Field(() => Boolean, { description: "True when the template is the shop's own (it wins over the group's)." })
  ownTemplate!: boolean;

  @Field(() => [OfferedProductType], { description: "The service's products with their prices." })
  products!: OfferedProductType[];

  @Field(() => Boolean, {
    description: "True when some lab can print the service for this shop and the fulfilment method asked for (placeOrder would find one).",
  })
  fulfillable!: boolean;

  @Field(() => String, {
    nullable: true,
    description: "When fulfillable is false: why no lab can print it (each of the shop's labs and its reasons); else null.",
  })
  unfulfillableReason?: string | null;
}

@ObjectType("ShopOffer", { simpleResolvers: true, description: "What a shop offers on a date and at what price: a price list for frontends." })
export class ShopOfferType {
  @Field(() => ID, { description: "The shop." })
  shopId!: string;

  @Field(() => ID, { description: "The shop's group." })
  shopGroupId!: string;

  @Field(() => String, { description: "ISO 4217 currency code (e.g. EUR); every Money amount of it is in its minor unit." })
  currency!: string;

  @Field(() => DateScalar, { description: "The business day the prices are for." })
  priceDate!: string;

  @Field(() => [OfferedServiceType], { description: "The services on offer with their prices." })
  services!: OfferedServiceType[];
}

export const PriceHistoryEntryConnection = connectionType(
  "PriceHistoryEntry",
  PriceHistoryEntryType,
  "Changes to a product's prices and allowances, newest first, a page at a time (cursor-based).",
);

export const PriceRowConnection = connectionType("PriceRow", PriceRowType, "Price rows the caller may see, by id, a page at a time (cursor-based).");
export const ShopPriceAllowanceConnection = connectionType(
  "ShopPriceAllowance",
  ShopPriceAllowanceType,
  "A shop's allowances, by product id, a page at a time (cursor-based).",
);
