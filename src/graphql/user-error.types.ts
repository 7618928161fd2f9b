import { Field, ObjectType } from "type-graphql";

@ObjectType("UserError", { simpleResolvers: true, description: "A business failure that the caller can act on. Nothing was written." })
export class UserErrorType {
  @Field(() => String, { description: "Stable, machine-readable, SCREAMING_SNAKE_CASE, e.g. NO_PRICE, SERVICE_NOT_OFFERED, PRICE_OUT_OF_RANGE." })
  code!: string;

  @Field(() => String, { description: "Text for a person, in English; match on code, not on this." })
  message!: string;

  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault, e.g. ["input", "subOrders", "0", "sheets"].' })
  field?: string[] | null;
}
