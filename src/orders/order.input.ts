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

@InputType("GeoPointInput", { description: "A point on the earth (WGS 84 decimal degrees)." })
export class GeoPointInput {
  @Field(() => Float, { description: "Latitude in decimal degrees (WGS 84), -90 to 90." })
  @Min(-90)
  @Max(90)
  lat!: number;

  @Field(() => Float, { description: "Longitude in decimal degrees (WGS 84), -180 to 180." })
  @Min(-180)
  @Max(180)
  lng!: number;
}

@InputType("AddressInput", { description: "A postal address; country and postal code required, coordinates optional." })
export class AddressInput {
  @Field(() => String, { description: "ISO 3166-1 alpha-2 country code (e.g. DE)." })
  @MaxLength(56)
  country!: string;

  @Field(() => String, { description: "Postal code." })
  @MaxLength(20)
  postalCode!: string;

  @Field(() => String, { description: "Region or state.", nullable: true })
  @IsOptional()
  @MaxLength(100)
  region?: string | null;

  @Field(() => String, { description: "City or town.", nullable: true })
  @IsOptional()
  @MaxLength(100)
  city?: string | null;

  @Field(() => String, { description: "Street and number.", nullable: true })
  @IsOptional()
  @MaxLength(200)
  line1?: string | null;

  @Field(() => String, { description: "Further address line.", nullable: true })
  @IsOptional()
  @MaxLength(200)
  line2?: string | null;

  @Field(() => String, { description: "Name on the parcel.", nullable: true })
  @IsOptional()
  @MaxLength(200)
  recipient?: string | null;

  @Field(() => GeoPointInput, { description: "Coordinates of the address, when known (better lab ranking than the postal code).", nullable: true })
  @IsOptional()
  @ValidateNested()
  location?: GeoPointInput | null;
}

@InputType("FulfilmentInput", { description: "How the customer wants the prints: the flow information that narrows the labs." })
export class FulfilmentInput {
  @Field(() => FulfilmentMethod, { description: "Pick-up at a shop or delivery." })
  method!: FulfilmentMethod;

  @Field(() => FulfilmentSpeed, { description: "Standard or express (only labs that print express).", defaultValue: FulfilmentSpeed.STANDARD })
  speed!: FulfilmentSpeed;

  @Field(() => AddressInput, { nullable: true, description: "Required for DELIVERY; used to rank labs by distance." })
  @IsOptional()
  @ValidateNested()
  address?: AddressInput | null;
}

@InputType("LayoutInput", { description: "Where an image lands on a sheet, in millimetres from the sheet's top-left corner." })
export class LayoutInput {
  @Field(() => Int, { description: "Page of the product the image lands on, from 1.", defaultValue: 1 })
  @Min(1)
  @Max(10000)
  page!: number;

  @Field(() => Float, { description: "Distance of the left edge from the sheet's left edge, in millimetres." })
  @Min(-10000)
  @Max(10000)
  x!: number;

  @Field(() => Float, { description: "Distance of the top edge from the sheet's top edge, in millimetres." })
  @Min(-10000)
  @Max(10000)
  y!: number;

  @Field(() => Float, { description: "Width in millimetres (0 to 10000)." })
  @Min(0)
  @Max(10000)
  width!: number;

  @Field(() => Float, { description: "Height in millimetres (0 to 10000)." })
  @Min(0)
  @Max(10000)
  height!: number;

  @Field(() => Float, { description: "Clockwise rotation in degrees (-360 to 360).", defaultValue: 0 })
  @Min(-360)
  @Max(360)
  rotation!: number;
}

@InputType("OrderItemInput", { description: "One image in a sub-order." })
export class OrderItemInput {
  @Field(() => ID, { description: "An image uploaded by the caller (POST /images)." })
  @MaxLength(64)
  imageId!: string;

  @Field(() => ID, { nullable: true, description: "A design template (frame, card layout) the lab applies; the lab must hold its full file." })
  @IsOptional()
  @MaxLength(64)
  designTemplateId?: string | null;

  @Field(() => LayoutInput, { description: "Where the image lands on the sheet; default: the whole page.", nullable: true })
  @IsOptional()
  @ValidateNested()
  layout?: LayoutInput | null;
}

@InputType("SubOrderInput", { description: "One sub-order per service (A4 printing, postcard printing, ...)." })
export class SubOrderInput {
  @Field(() => ID, { description: "The service (prints, posters, ...)." })
  @MaxLength(64)
  serviceId!: string;

  @Field(() => Int, { description: "Number of sheets ordered for this service; 1 or more." })
  sheets!: number;

  @Field(() => [OrderItemInput], { description: "The images to print (at most 1000)." })
  @ArrayMaxSize(MAX_ITEMS_PER_ORDER)
  @ValidateNested({ each: true })
  items!: OrderItemInput[];
}

/** The longest customer reference an order keeps (INVALID_CUSTOMER_REFERENCE beyond). */
export const MAX_CUSTOMER_REFERENCE = 64;
/** Longer is refused at the edge, before the service's own check. */
const MAX_EDGE_REFERENCE = 1000;

@InputType("OrderInput", { description: "An order to quote or place: sub-orders (one per service) of images." })
export class OrderInput {
  @Field(() => ID, { nullable: true, description: "The printing shop the customer designates. Omit it to let the center assign a lab (and so its shop)." })
  @IsOptional()
  @MaxLength(64)
  shopId?: string | null;

  @Field(() => ID, { nullable: true, description: "A specific lab the customer designates (selection information from the two-phase pick)." })
  @IsOptional()
  @MaxLength(64)
  labId?: string | null;

  @Field(() => FulfilmentInput, { description: "Pick-up or delivery, standard or express; default pick-up, standard.", nullable: true })
  @IsOptional()
  @ValidateNested()
  fulfilment?: FulfilmentInput | null;

  @Field(() => [SubOrderInput], { description: "One per service." })
  @ArrayMaxSize(MAX_SUB_ORDERS * 5)
  @ValidateNested({ each: true })
  subOrders!: SubOrderInput[];

  @Field(() => String, {
    nullable: true,
    description: `The customer's own reference for the order (a job number, a name on the envelope): 1 to ${MAX_CUSTOMER_REFERENCE} characters; kept with the order and printed on the lab's ticket.`,
  })
  @IsOptional()
  @MaxLength(MAX_EDGE_REFERENCE)
  customerReference?: string | null;
}
