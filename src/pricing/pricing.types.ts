import { IsOptional, MaxLength } from "class-validator";
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { DateScalar, MoneyScalar } from "../graphql/scalars";
import { connectionType } from "../graphql/connection.types";

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
});

@ObjectType("PriceLine", { simpleResolvers: true })
export class PriceLineType {
  @Field(() => ID)
  productId!: string;

  @Field(() => PriceSourceEnum)
  source!: PriceSourceEnum;

  @Field(() => ID, { description: "The price row applied." })
  priceRowId!: string;

  @Field(() => MoneyScalar)
  basicCharge!: number;

  @Field(() => MoneyScalar)
  amountCharge!: number;

  @Field(() => Int)
  sheets!: number;

  @Field(() => MoneyScalar, { description: "basicCharge + amountCharge * sheets" })
  subtotal!: number;
}

@ObjectType("ImageFee", { simpleResolvers: true, description: "A copyright fee for a charged image: feePerSheet * sheets." })
export class ImageFeeType {
  @Field(() => ID)
  imageId!: string;

  @Field(() => MoneyScalar)
  feePerSheet!: number;

  @Field(() => Int)
  sheets!: number;

  @Field(() => MoneyScalar)
  subtotal!: number;
}

@ObjectType("SubOrderQuote", { simpleResolvers: true })
export class SubOrderQuoteType {
  @Field(() => ID)
  serviceId!: string;

  @Field(() => ID)
  templateId!: string;

  @Field(() => Int)
  sheets!: number;

  @Field(() => [PriceLineType])
  lines!: PriceLineType[];

  @Field(() => [ImageFeeType])
  imageFees!: ImageFeeType[];

  @Field(() => MoneyScalar)
  subtotal!: number;
}

@ObjectType("Quote", { simpleResolvers: true })
export class QuoteType {
  @Field(() => ID)
  shopId!: string;

  @Field(() => String)
  currency!: string;

  @Field(() => DateScalar, { description: "The business date whose prices were applied." })
  priceDate!: string;

  @Field(() => [SubOrderQuoteType])
  subOrders!: SubOrderQuoteType[];

  @Field(() => MoneyScalar)
  total!: number;
}

@ObjectType("QuotePayload", { simpleResolvers: true })
export class QuotePayload {
  @Field(() => QuoteType, { nullable: true })
  quote?: QuoteType | null;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}

@ObjectType("PriceRow", {
  description:
    "A price row. Its scope: a shop group (shopGroupId), one shop (shopId: a shop\nprice, which wins over the group's), or neither (a standard price, the\nfallback for every group). minSheets/maxSheets make it a sheet-count tier.",
})
export class PriceRowType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { nullable: true })
  shopGroupId?: string | null;

  @Field(() => ID, { nullable: true })
  shopId?: string | null;

  @Field(() => ID)
  productId!: string;

  @Field(() => DateScalar)
  validFrom!: string;

  @Field(() => DateScalar, { nullable: true })
  validUntil?: string | null;

  @Field(() => MoneyScalar)
  basicCharge!: number;

  @Field(() => MoneyScalar)
  amountCharge!: number;

  @Field(() => Int, { nullable: true })
  minSheets?: number | null;

  @Field(() => Int, { nullable: true })
  maxSheets?: number | null;
}

@InputType("PriceRowInput")
export class PriceRowInput {
  @Field(() => ID, { nullable: true, description: "At most one of shopGroupId and shopId; neither for a standard price." })
  @IsOptional()
  @MaxLength(64)
  shopGroupId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @MaxLength(64)
  shopId?: string | null;

  @Field(() => ID)
  @MaxLength(64)
  productId!: string;

  @Field(() => DateScalar)
  validFrom!: string;

  @Field(() => DateScalar, { nullable: true })
  @IsOptional()
  validUntil?: string | null;

  @Field(() => MoneyScalar)
  basicCharge!: number;

  @Field(() => MoneyScalar)
  amountCharge!: number;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  minSheets?: number | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  maxSheets?: number | null;
}

@ObjectType("PriceLevel", { description: "An effective price of a product at a shop: the row that wins and its charges." })
export class PriceLevelType {
  @Field(() => PriceSourceEnum)
  source!: PriceSourceEnum;

  @Field(() => ID)
  priceRowId!: string;

  @Field(() => MoneyScalar)
  basicCharge!: number;

  @Field(() => MoneyScalar)
  amountCharge!: number;
}

@ObjectType("PriceChange", {
  description: "A shop's effective price of a product that a change moves: from a date, for a range of sheet counts, old and new (null: no price).",
})
export class PriceChangeType {
  @Field(() => ID)
  shopId!: string;

  @Field(() => ID)
  productId!: string;

  @Field(() => DateScalar)
  validFrom!: string;

  @Field(() => DateScalar, { nullable: true })
  validUntil?: string | null;

  @Field(() => Int)
  minSheets!: number;

  @Field(() => Int, { nullable: true })
  maxSheets?: number | null;

  @Field(() => PriceLevelType, { nullable: true })
  before?: PriceLevelType | null;

  @Field(() => PriceLevelType, { nullable: true })
  after?: PriceLevelType | null;
}

@ObjectType("PriceRowPayload")
export class PriceRowPayload {
  @Field(() => PriceRowType, { nullable: true, description: "The row as written (or as it would be, on a dry run); null when errors is not empty." })
  priceRow?: PriceRowType | null;

  @Field(() => [PriceChangeType], { description: "On a dry run: every shop's effective price the change would move. Empty otherwise." })
  changes!: PriceChangeType[];

  @Field(() => Boolean, { description: "True when nothing was written because dryRun was asked for." })
  dryRun!: boolean;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}

@ObjectType("ShopPriceAllowance", { description: "What a shop admin may set for their own shop, per product, as the group admin allows." })
export class ShopPriceAllowanceType {
  @Field(() => ID)
  shopId!: string;

  @Field(() => ID)
  productId!: string;

  @Field(() => MoneyScalar)
  minBasicCharge!: number;

  @Field(() => MoneyScalar)
  maxBasicCharge!: number;

  @Field(() => MoneyScalar)
  minAmountCharge!: number;

  @Field(() => MoneyScalar)
  maxAmountCharge!: number;
}

@InputType("ShopPriceAllowanceInput")
export class ShopPriceAllowanceInput {
  @Field(() => ID)
  @MaxLength(64)
  shopId!: string;

  @Field(() => ID)
  @MaxLength(64)
  productId!: string;

  @Field(() => MoneyScalar)
  minBasicCharge!: number;

  @Field(() => MoneyScalar)
  maxBasicCharge!: number;

  @Field(() => MoneyScalar)
  minAmountCharge!: number;

  @Field(() => MoneyScalar)
  maxAmountCharge!: number;
}

@ObjectType("ShopPriceAllowancePayload")
export class ShopPriceAllowancePayload {
  @Field(() => ShopPriceAllowanceType, { nullable: true })
  allowance?: ShopPriceAllowanceType | null;

  @Field(() => [ID], { description: "The shop's existing price rows for this product that lie outside the allowance (their admins are told)." })
  outsideRowIds!: string[];

  @Field(() => Boolean)
  dryRun!: boolean;

  @Field(() => [UserErrorType])
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
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "PRICE_ROW or ALLOWANCE." })
  entityKind!: string;

  @Field(() => ID)
  entityId!: string;

  @Field(() => ID)
  productId!: string;

  @Field(() => ID, { nullable: true })
  shopGroupId?: string | null;

  @Field(() => ID, { nullable: true })
  shopId?: string | null;

  @Field(() => String, { description: "CREATED, UPDATED or DELETED." })
  action!: string;

  @Field(() => ID, { nullable: true })
  actorUserId?: string | null;

  @Field(() => Date)
  at!: Date;

  /** The stored snapshots (JSON), typed by PriceHistoryResolver. */
  before?: string | null;
  after?: string | null;
}

@ObjectType("OfferedPrice", { simpleResolvers: true, description: "The price of a product for a range of sheet counts on a date." })
export class OfferedPriceType {
  @Field(() => PriceSourceEnum)
  source!: PriceSourceEnum;

  @Field(() => ID)
  priceRowId!: string;

  @Field(() => MoneyScalar)
  basicCharge!: number;

  @Field(() => MoneyScalar)
  amountCharge!: number;

  @Field(() => Int)
  minSheets!: number;

  @Field(() => Int, { nullable: true, description: "null: no upper end." })
  maxSheets?: number | null;

  @Field(() => DateScalar)
  validFrom!: string;

  @Field(() => DateScalar, { nullable: true })
  validUntil?: string | null;
}

@ObjectType("OfferedProduct", { simpleResolvers: true })
export class OfferedProductType {
  @Field(() => ID)
  productId!: string;

  @Field(() => [OfferedPriceType], { description: "Empty when no price is in force (quotes would answer NO_PRICE)." })
  prices!: OfferedPriceType[];
}

@ObjectType("OfferedService", { simpleResolvers: true })
export class OfferedServiceType {
  @Field(() => ID)
  serviceId!: string;

  @Field(() => ID)
  templateId!: string;

  @Field(() => Boolean, { description: "True when the template is the shop's own (it wins over the group's)." })
  ownTemplate!: boolean;

  @Field(() => [OfferedProductType])
  products!: OfferedProductType[];
}

@ObjectType("ShopOffer", { simpleResolvers: true, description: "What a shop offers on a date and at what price: a price list for frontends." })
export class ShopOfferType {
  @Field(() => ID)
  shopId!: string;

  @Field(() => ID)
  shopGroupId!: string;

  @Field(() => String)
  currency!: string;

  @Field(() => DateScalar)
  priceDate!: string;

  @Field(() => [OfferedServiceType])
  services!: OfferedServiceType[];
}

export const PriceHistoryEntryConnection = connectionType(
  "PriceHistoryEntry",
  PriceHistoryEntryType,
  "Changes to a product's prices and allowances, newest first, a page at a time (cursor-based).",
);
