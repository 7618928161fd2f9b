import { Field, ID, Int, ObjectType } from "type-graphql";
import { DateScalar } from "../graphql/scalars";

@ObjectType("PriceGap", {
  description: "A product of a service a shop offers with no price in force for a run of days and a range of sheet counts: a quote there answers NO_PRICE.",
})
export class PriceGapType {
  @Field(() => ID, { description: "The shop." })
  shopId!: string;

  @Field(() => ID, { description: "The template by which the shop offers the service." })
  templateId!: string;

  @Field(() => ID, { description: "The service." })
  serviceId!: string;

  @Field(() => ID, { description: "The product without a price." })
  productId!: string;

  @Field(() => DateScalar, { description: "First business day without a price." })
  validFrom!: string;

  @Field(() => DateScalar, { nullable: true, description: "Last business day without a price (inclusive); null: from validFrom on, with no end." })
  validUntil?: string | null;

  @Field(() => Int, { description: "Smallest sheet count without a price." })
  minSheets!: number;

  @Field(() => Int, { nullable: true, description: "Largest sheet count without a price (inclusive); null: no upper end." })
  maxSheets?: number | null;
}
