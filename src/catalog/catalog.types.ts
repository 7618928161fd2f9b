import { connectionType } from "../graphql/connection.types";
import { Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { FulfilmentMethod, FulfilmentSpeed } from "./fulfilment";

registerEnumType(FulfilmentMethod, {
  name: "FulfilmentMethod",
  description: "How the prints reach the customer: the flow information used to pick a lab.",
  valuesConfig: {
    PICKUP: { description: "The customer collects the prints at a shop." },
    DELIVERY: { description: "The prints are sent to the customer's address." },
  },
});
registerEnumType(FulfilmentSpeed, {
  name: "FulfilmentSpeed",
  description: "How fast the prints are wanted: express narrows the labs to those that print express.",
  valuesConfig: {
    STANDARD: { description: "The lab's usual turnaround." },
    EXPRESS: { description: "Printed first; only labs marked express are chosen." },
  },
});

@ObjectType("GeoPoint", { description: "A point on the earth (WGS 84 decimal degrees)." })
export class GeoPoint {
  @Field(() => Float, { description: "Latitude in decimal degrees (WGS 84), -90 to 90." })
  lat!: number;

  @Field(() => Float, { description: "Longitude in decimal degrees (WGS 84), -180 to 180." })
  lng!: number;
}

@ObjectType("ShopGroup", { description: "A group of shops whose templates and prices are managed together." })
export class ShopGroupType {
  @Field(() => ID, { description: "Unique id of this shop group." })
  id!: string;

  @Field(() => String, { description: "Display name." })
  name!: string;
}

@ObjectType("Shop", { description: "A printing shop. Its group's prices apply unless it has its own." })
export class ShopType {
  @Field(() => ID, { description: "Unique id of this shop." })
  id!: string;

  @Field(() => String, { description: "Display name." })
  name!: string;

  @Field(() => ID, { description: "The shop group's id." })
  shopGroupId!: string;

  @Field(() => GeoPoint, { nullable: true, description: "Coordinates of the shop; null when unknown." })
  location?: GeoPoint | null;

  @Field(() => String, { description: "Postal code (used with region when no coordinates are known).", nullable: true })
  postalCode?: string | null;

  @Field(() => String, { description: "Region or state, free text.", nullable: true })
  region?: string | null;
}

export enum PrintFitEnum {
  FILL = "FILL",
  FIT = "FIT",
}
registerEnumType(PrintFitEnum, {
  name: "PrintFit",
  description: "How an image without a layout is put on its print.",
  valuesConfig: {
    FILL: { description: "The image covers the whole print, cropped to its proportions (a photo print)." },
    FIT: { description: "The whole image shows inside the print, with white margins where the proportions differ." },
  },
});

@ObjectType("PrintSize", { description: "The paper a service prints on: a named size or millimetres, borderless or not, fill or fit.", simpleResolvers: true })
export class PrintSizeType {
  @Field(() => String, {
    nullable: true,
    description: "A named size (L, 2L, KG, A3, A4, A5, A6, B5, LETTER, POSTCARD); null for a custom size given in millimetres.",
  })
  name!: string | null;

  @Field(() => Float, { description: "The shorter-or-first side in millimetres (a named size's portrait width, e.g. 89 for L)." })
  widthMm!: number;

  @Field(() => Float, { description: "The other side in millimetres (a named size's portrait height, e.g. 127 for L)." })
  heightMm!: number;

  @Field(() => Boolean, { description: "Printed edge to edge, without a white border." })
  borderless!: boolean;

  @Field(() => PrintFitEnum, { description: "Fill (crop) or fit (margins) for an image without a layout." })
  fit!: PrintFitEnum;
}

export enum PrintWarningCodeEnum {
  LOW_RESOLUTION = "LOW_RESOLUTION",
}
registerEnumType(PrintWarningCodeEnum, {
  name: "PrintWarningCode",
  description: "What the print check found on an item (see docs/errors.md).",
  valuesConfig: {
    LOW_RESOLUTION: { description: "The image has too few pixels for the print size: it prints below PRINT_MIN_DPI and may look soft." },
  },
});

@ObjectType("PrintWarning", {
  description: "A finding of the print check on one item: shown to the customer, never a refusal (the order may still be placed and confirmed).",
  simpleResolvers: true,
})
export class PrintWarningType {
  @Field(() => PrintWarningCodeEnum, { description: "What was found." })
  code!: PrintWarningCodeEnum;

  @Field(() => Int, { description: "The item's place in its sub-order's items, from 0, as they were given." })
  itemIndex!: number;

  @Field(() => ID, { description: "The item's image." })
  imageId!: string;

  @Field(() => Int, { description: "The resolution the image prints at on the service's print size (dots per inch, rounded down)." })
  dpi!: number;

  @Field(() => Int, { description: "The center's floor (PRINT_MIN_DPI) the image falls below." })
  minDpi!: number;

  @Field(() => String, { description: "For people: the image, its pixels, the resolution and the floor." })
  message!: string;
}

@ObjectType("Service", { description: "A kind of print, e.g. A4 printing." })
export class ServiceType {
  @Field(() => ID, { description: "Unique id of this service." })
  id!: string;

  @Field(() => String, { description: "Display name." })
  name!: string;

  @Field(() => PrintSizeType, { nullable: true, description: "What the service prints on; null when the catalog states none (the lab's default applies)." })
  printSize?: PrintSizeType | null;
}

@ObjectType("Product", { description: "A chargeable part of a service; price rows price products." })
export class ProductType {
  @Field(() => ID, { description: "Unique id of this product." })
  id!: string;

  @Field(() => String, { description: "Display name." })
  name!: string;
}

@ObjectType("Template", { description: "How a group (or one shop) makes up a service from products." })
export class TemplateType {
  @Field(() => ID, { description: "Unique id of this template." })
  id!: string;

  @Field(() => String, { description: "Display name." })
  name!: string;

  @Field(() => ID, { description: "The service it offers." })
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
  @Field(() => ID, { description: "Unique id of this lab." })
  id!: string;

  @Field(() => String, { description: "Display name." })
  name!: string;

  @Field(() => ID, { description: "The shop the lab belongs to; its prices apply to orders printed there." })
  shopId!: string;

  @Field(() => [ID], { description: "Services the lab can print." })
  serviceIds!: string[];

  @Field(() => [FulfilmentMethod], { description: "Fulfilment methods the lab offers." })
  fulfilment!: FulfilmentMethod[];

  @Field(() => Boolean, { description: "Can print express orders." })
  express!: boolean;

  @Field(() => Int, { description: "Sheets the lab can print per hour; feeds the ranking." })
  capacitySheetsPerHour!: number;

  @Field(() => Int, { description: "The largest order, in sheets, the lab takes (larger orders go to other labs); null: no limit.", nullable: true })
  maxOrderSheets?: number | null;

  @Field(() => GeoPoint, { description: "Coordinates of the lab; null when unknown.", nullable: true })
  location?: GeoPoint | null;

  @Field(() => String, { description: "Postal code (used with region when no coordinates are known).", nullable: true })
  postalCode?: string | null;

  @Field(() => String, { description: "Region or state, free text.", nullable: true })
  region?: string | null;

  @Field(() => Boolean, { description: "true: the lab gets no new jobs." })
  disabled!: boolean;
}

export const ShopGroupConnection = connectionType("ShopGroup", ShopGroupType, "Shop groups the caller may see, by id, a page at a time (cursor-based).");
export const ShopConnection = connectionType("Shop", ShopType, "Shops the caller may see, by id, a page at a time (cursor-based).");
export const ServiceConnection = connectionType("Service", ServiceType, "Services, by id, a page at a time (cursor-based).");
export const ProductConnection = connectionType("Product", ProductType, "Products, by id, a page at a time (cursor-based).");
export const TemplateConnection = connectionType("Template", TemplateType, "Templates the caller may see, by id, a page at a time (cursor-based).");
export const LabConnection = connectionType("Lab", LabType, "Labs the caller may see, by id, a page at a time (cursor-based).");
