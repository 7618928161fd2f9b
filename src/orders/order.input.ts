/**
 * The contract's order input (seed 003 Fig. 18: an order of sub-orders, one per service, of items
 * with an image and its place on the sheet). Shape is checked here; rules live in the services.
 */
import { ArrayMaxSize, IsOptional, Max, MaxLength, Min, ValidateNested } from "class-validator";
import { Field, Float, ID, InputType, Int } from "type-graphql";
import { FulfilmentMethod, FulfilmentSpeed } from "../catalog/fulfilment";

export const MAX_SUB_ORDERS = 20;
export const MAX_ITEMS_PER_ORDER = 1000;
export const MAX_SHEETS = 100_000;

@InputType("GeoPointInput")
export class GeoPointInput {
  @Field(() => Float)
  @Min(-90)
  @Max(90)
  lat!: number;

  @Field(() => Float)
  @Min(-180)
  @Max(180)
  lng!: number;
}

@InputType("AddressInput")
export class AddressInput {
  @Field(() => String)
  @MaxLength(56)
  country!: string;

  @Field(() => String)
  @MaxLength(20)
  postalCode!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  region?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  city?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(200)
  line1?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(200)
  line2?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(200)
  recipient?: string | null;

  @Field(() => GeoPointInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  location?: GeoPointInput | null;
}

@InputType("FulfilmentInput")
export class FulfilmentInput {
  @Field(() => FulfilmentMethod)
  method!: FulfilmentMethod;

  @Field(() => FulfilmentSpeed, { defaultValue: FulfilmentSpeed.STANDARD })
  speed!: FulfilmentSpeed;

  @Field(() => AddressInput, { nullable: true, description: "Required for DELIVERY; used to rank labs by distance." })
  @IsOptional()
  @ValidateNested()
  address?: AddressInput | null;
}

@InputType("LayoutInput", { description: "Where an image lands on a sheet, in millimetres from the sheet's top-left corner." })
export class LayoutInput {
  @Field(() => Int, { defaultValue: 1 })
  @Min(1)
  @Max(10000)
  page!: number;

  @Field(() => Float)
  @Min(-10000)
  @Max(10000)
  x!: number;

  @Field(() => Float)
  @Min(-10000)
  @Max(10000)
  y!: number;

  @Field(() => Float)
  @Min(0)
  @Max(10000)
  width!: number;

  @Field(() => Float)
  @Min(0)
  @Max(10000)
  height!: number;

  @Field(() => Float, { defaultValue: 0 })
  @Min(-360)
  @Max(360)
  rotation!: number;
}

@InputType("OrderItemInput")
export class OrderItemInput {
  @Field(() => ID)
  @MaxLength(64)
  imageId!: string;

  @Field(() => ID, { nullable: true, description: "A design template (frame, card layout) the lab applies; the lab must hold its full file." })
  @IsOptional()
  @MaxLength(64)
  designTemplateId?: string | null;

  @Field(() => LayoutInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  layout?: LayoutInput | null;
}

@InputType("SubOrderInput", { description: "One sub-order per service (A4 printing, postcard printing, ...)." })
export class SubOrderInput {
  @Field(() => ID)
  @MaxLength(64)
  serviceId!: string;

  @Field(() => Int, { description: "Number of sheets ordered for this service; 1 or more." })
  sheets!: number;

  @Field(() => [OrderItemInput])
  @ArrayMaxSize(MAX_ITEMS_PER_ORDER)
  @ValidateNested({ each: true })
  items!: OrderItemInput[];
}

@InputType("OrderInput")
export class OrderInput {
  @Field(() => ID, { nullable: true, description: "The printing shop the customer designates. Omit it to let the center assign a lab (and so its shop)." })
  @IsOptional()
  @MaxLength(64)
  shopId?: string | null;

  @Field(() => ID, { nullable: true, description: "A specific lab the customer designates (selection information from the two-phase pick)." })
  @IsOptional()
  @MaxLength(64)
  labId?: string | null;

  @Field(() => FulfilmentInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  fulfilment?: FulfilmentInput | null;

  @Field(() => [SubOrderInput])
  @ArrayMaxSize(MAX_SUB_ORDERS * 5)
  @ValidateNested({ each: true })
  subOrders!: SubOrderInput[];
}
