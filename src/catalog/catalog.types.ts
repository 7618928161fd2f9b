import { Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { FulfilmentMethod, FulfilmentSpeed } from "./fulfilment";

registerEnumType(FulfilmentMethod, { name: "FulfilmentMethod", description: "How the prints reach the customer: the flow information used to pick a lab." });
registerEnumType(FulfilmentSpeed, { name: "FulfilmentSpeed" });

@ObjectType("GeoPoint")
export class GeoPoint {
  @Field(() => Float)
  lat!: number;

  @Field(() => Float)
  lng!: number;
}

@ObjectType("ShopGroup", { description: "A group of shops whose templates and prices are managed together." })
export class ShopGroupType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType("Shop", { description: "A printing shop. Its group's prices apply unless it has its own." })
export class ShopType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => ID)
  shopGroupId!: string;

  @Field(() => GeoPoint, { nullable: true })
  location?: GeoPoint | null;

  @Field(() => String, { nullable: true })
  postalCode?: string | null;

  @Field(() => String, { nullable: true })
  region?: string | null;
}

@ObjectType("Service", { description: "A kind of print, e.g. A4 printing." })
export class ServiceType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType("Product", { description: "A chargeable part of a service; price rows price products." })
export class ProductType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType("Template", { description: "How a group (or one shop) makes up a service from products." })
export class TemplateType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => ID)
  serviceId!: string;

  @Field(() => ID, { nullable: true, description: "Set for a group's template." })
  shopGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: "Set for a shop's own template (a service only that shop offers); wins over the group's." })
  shopId?: string | null;

  @Field(() => [ID], { description: "The template's products, in order." })
  productIds!: string[];
}

@ObjectType("Lab", { description: "A lab's print server: pulls its print jobs from the center." })
export class LabType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => ID)
  shopId!: string;

  @Field(() => [ID])
  serviceIds!: string[];

  @Field(() => [FulfilmentMethod])
  fulfilment!: FulfilmentMethod[];

  @Field(() => Boolean)
  express!: boolean;

  @Field(() => Int)
  capacitySheetsPerHour!: number;

  @Field(() => GeoPoint, { nullable: true })
  location?: GeoPoint | null;

  @Field(() => String, { nullable: true })
  postalCode?: string | null;

  @Field(() => String, { nullable: true })
  region?: string | null;

  @Field(() => Boolean)
  disabled!: boolean;
}
