import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { DateScalar } from "../graphql/scalars";
import { PriceGapType } from "./price-gaps.types";
import { PriceChangeType, PriceRowType } from "./pricing.types";

export enum RowChangeAction {
  CREATED = "CREATED",
  SHORTENED = "SHORTENED",
  SPLIT = "SPLIT",
  REMOVED = "REMOVED",
}
registerEnumType(RowChangeAction, {
  name: "PriceRowChangeAction",
  description: "What a scheduled price did to one price row of its scope and product.",
  valuesConfig: {
    CREATED: { description: "A row written: the scheduled row itself, or the second part of a split row (splitFromPriceRowId)." },
    SHORTENED: { description: "A row whose period now ends before the scheduled period, or starts after it." },
    SPLIT: { description: "A row the scheduled period lay inside: it keeps the part before; the part after is a new row (CREATED)." },
    REMOVED: { description: "A row the scheduled period covered whole: deleted." },
  },
});

@ObjectType("PricePeriod", { description: "A price row's period, in business days." })
export class PricePeriodType {
  @Field(() => DateScalar, { description: "First business day (inclusive)." })
  validFrom!: string;

  @Field(() => DateScalar, { nullable: true, description: "Last business day (inclusive); null: open-ended." })
  validUntil?: string | null;
}

@ObjectType("PriceRowChange", { description: "One price row a scheduled price wrote, cut or removed, with its period before and after." })
export class PriceRowChangeType {
  @Field(() => RowChangeAction, { description: "What was done to the row." })
  action!: RowChangeAction;

  @Field(() => ID, { description: "The row's id (for a dry run, the id it would have)." })
  priceRowId!: string;

  @Field(() => PricePeriodType, { nullable: true, description: "The row's period before; null for a row created." })
  before?: PricePeriodType | null;

  @Field(() => PricePeriodType, { nullable: true, description: "The row's period after; null for a row removed." })
  after?: PricePeriodType | null;

  @Field(() => ID, { nullable: true, description: "For the second part of a split row: the row it was cut from; else null." })
  splitFromPriceRowId?: string | null;
}

@ObjectType("SchedulePricePayload", {
  description: "Result of schedulePrice: the row written, every row cut or removed for it, the prices it moves and the gaps it opens, or errors.",
})
export class SchedulePricePayload {
  @Field(() => PriceRowType, { nullable: true, description: "The scheduled row as written (or as it would be, on a dry run); null when errors is not empty." })
  priceRow?: PriceRowType | null;

  @Field(() => ID, { nullable: true, description: "The change's id, shared by its price history entries (changeId); null when errors is not empty." })
  changeId?: string | null;

  @Field(() => [PriceRowChangeType], { description: "Every row written, shortened, split or removed, the scheduled row first." })
  rowChanges!: PriceRowChangeType[];

  @Field(() => [PriceChangeType], { description: "Every shop's effective price the change moves (or would move)." })
  changes!: PriceChangeType[];

  @Field(() => [PriceGapType], {
    description: "Products of the shops' templates the change leaves (or would leave) without any price for some dates and sheet counts.",
  })
  gapsOpened!: PriceGapType[];

  @Field(() => Boolean, { description: "True when nothing was written because dryRun was asked for." })
  dryRun!: boolean;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("PriceGapsPayload", { description: "Result of priceGaps: the gaps found, or errors." })
export class PriceGapsPayload {
  @Field(() => [PriceGapType], { description: "Every template product and sheet range with no price in force, by shop, service and product." })
  gaps!: PriceGapType[];

  @Field(() => [UserErrorType], { description: "Faults of the request with stable codes (see docs/errors.md)." })
  errors!: UserErrorType[];
}
