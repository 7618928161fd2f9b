import { Field, ObjectType } from "type-graphql";
import { FulfilmentMethod, FulfilmentSpeed } from "../catalog/fulfilment";

@ObjectType("Address", { description: "A postal address, as the customer gave it." })
export class AddressType {
  @Field(() => String, { description: "The country, as given." })
  country!: string;

  @Field(() => String, { description: "The postal code, as given." })
  postalCode!: string;

  @Field(() => String, { nullable: true, description: "Prefecture, state or province." })
  region?: string | null;

  @Field(() => String, { nullable: true, description: "City, town or ward." })
  city?: string | null;

  @Field(() => String, { nullable: true, description: "First line of the street address." })
  line1?: string | null;

  @Field(() => String, { nullable: true, description: "Second line of the street address." })
  line2?: string | null;

  @Field(() => String, { nullable: true, description: "Whom the prints are for." })
  recipient?: string | null;
}

@ObjectType("Fulfilment", { description: "Where and how an order is handed over, as the customer gave it." })
export class FulfilmentType {
  @Field(() => FulfilmentMethod, { description: "Picked up at the shop, or delivered." })
  method!: FulfilmentMethod;

  @Field(() => FulfilmentSpeed, { description: "Standard or express." })
  speed!: FulfilmentSpeed;

  @Field(() => AddressType, { nullable: true, description: "Set for DELIVERY." })
  address?: AddressType | null;
}
