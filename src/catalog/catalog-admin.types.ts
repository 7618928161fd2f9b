import { connectionType } from "../graphql/connection.types";
/**
 * GraphQL edge of catalog management (seed 003, Fig. 19-21): the inputs to register, correct and
 * delete shop groups, shops, services, products, templates and charged images, and their payloads.
 *
 * Only the shape is checked here (bounded sizes, so that nothing absurd reaches a service). The
 * business rules - id format, name length, references, scopes, what is still in use - are the
 * service's, and come back as payload errors with the field at fault.
 */
import { ArrayMaxSize, IsOptional, MaxLength } from "class-validator";
import { Field, Float, ID, InputType, ObjectType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { MoneyScalar } from "../graphql/scalars";
import { GeoPointInput } from "../orders/order.input";
import { MAX_TEMPLATE_PRODUCTS } from "./products-admin.service";
import { PrintFitEnum, ProductType, ServiceType, ShopGroupType, ShopType, TemplateType } from "./catalog.types";
import { IsHumanName } from "../common/names";

/** Ids and names longer than this are refused at the edge; the service's own limits are tighter. */
export const MAX_EDGE_TEXT = 1000;

const ID_DESCRIPTION = "Chosen by the caller: 1 to 64 letters, digits, '.', '_' or '-'; unique per kind ignoring letter case.";

// --- Shop groups -------------------------------------------------------------------------------

@InputType("CreateShopGroupInput", { description: "A new shop group (shops sharing one price list)." })
export class CreateShopGroupInput {
  @Field(() => ID, { description: ID_DESCRIPTION })
  @MaxLength(MAX_EDGE_TEXT)
  id!: string;

  @Field(() => String, { description: "1 to 200 characters." })
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name!: string;
}

@InputType("UpdateShopGroupInput", { description: "Fields to change; omitted fields stay as they are. A group admin may rename their own group." })
export class UpdateShopGroupInput {
  @Field(() => String, { description: "Display name. Unset: unchanged.", nullable: true })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name?: string | null;
}

@ObjectType("ShopGroupPayload", { description: "Result of a mutation on a shop group." })
export class ShopGroupPayload {
  @Field(() => ShopGroupType, { nullable: true, description: "The group as written (as it was, for a delete); null when errors is not empty." })
  shopGroup?: ShopGroupType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

// --- Shops -------------------------------------------------------------------------------------

@InputType("CreateShopInput", { description: "A new shop within a shop group." })
export class CreateShopInput {
  @Field(() => ID, { description: ID_DESCRIPTION })
  @MaxLength(MAX_EDGE_TEXT)
  id!: string;

  @Field(() => String, { description: "1 to 200 characters." })
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name!: string;

  @Field(() => ID, { description: "A shop always belongs to exactly one shop group." })
  @MaxLength(MAX_EDGE_TEXT)
  shopGroupId!: string;

  // No @ValidateNested on purpose: an out-of-range point is a business fault (INVALID_LOCATION,
  // naming lat or lng), reported by the service in the payload like every other.
  @Field(() => GeoPointInput, { description: "Coordinates, for the distance to customers when ranking labs.", nullable: true })
  @IsOptional()
  location?: GeoPointInput | null;

  @Field(() => String, { description: "Postal code (used with region when no coordinates are known).", nullable: true })
  @IsOptional()
  @MaxLength(20)
  postalCode?: string | null;

  @Field(() => String, { description: "Region or state, free text.", nullable: true })
  @IsOptional()
  @MaxLength(100)
  region?: string | null;
}

@InputType("UpdateShopInput", {
  description: "Fields to change; omitted fields stay as they are, null clears an optional one. The group changes with moveShopToGroup.",
})
export class UpdateShopInput {
  @Field(() => String, { description: "Display name. Unset: unchanged.", nullable: true })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name?: string | null;

  @Field(() => GeoPointInput, { description: "Coordinates, for the distance to customers when ranking labs. Unset: unchanged.", nullable: true })
  @IsOptional()
  location?: GeoPointInput | null;

  @Field(() => String, { description: "Postal code (used with region when no coordinates are known). Unset: unchanged.", nullable: true })
  @IsOptional()
  @MaxLength(20)
  postalCode?: string | null;

  @Field(() => String, { description: "Region or state, free text. Unset: unchanged.", nullable: true })
  @IsOptional()
  @MaxLength(100)
  region?: string | null;
}

@ObjectType("ShopPayload", { description: "Result of a mutation on a shop." })
export class ShopPayload {
  @Field(() => ShopType, { nullable: true, description: "The shop as written (as it was, for a delete); null when errors is not empty." })
  shop?: ShopType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

// --- Services and products ---------------------------------------------------------------------

@InputType("PrintSizeInput", {
  description: "What a service prints on: a named size (name) or both sides in millimetres (widthMm and heightMm), not both.",
})
export class PrintSizeInput {
  @Field(() => String, { nullable: true, description: "A named size: L, 2L, KG, A3, A4, A5, A6, B5, LETTER or POSTCARD (any letter case)." })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  name?: string | null;

  @Field(() => Float, { nullable: true, description: "With heightMm, for a custom size: 1 to 5000 millimetres, in tenths at most." })
  widthMm?: number | null;

  @Field(() => Float, { nullable: true, description: "With widthMm, for a custom size: 1 to 5000 millimetres, in tenths at most." })
  heightMm?: number | null;

  @Field(() => Boolean, { nullable: true, description: "Printed edge to edge; default false." })
  borderless?: boolean | null;

  @Field(() => PrintFitEnum, { nullable: true, description: "Fill (crop) or fit (margins) for an image without a layout; default FILL." })
  fit?: PrintFitEnum | null;
}

@InputType("CreateServiceInput", { description: "A new service (a kind of print product: prints, posters, ...)." })
export class CreateServiceInput {
  @Field(() => ID, { description: ID_DESCRIPTION })
  @MaxLength(MAX_EDGE_TEXT)
  id!: string;

  @Field(() => String, { description: "1 to 200 characters." })
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name!: string;

  @Field(() => PrintSizeInput, { nullable: true, description: "What it prints on; unset: none stated (the lab's default applies)." })
  // Checked by the service (UNKNOWN_PRINT_SIZE, INVALID_PRINT_SIZE with the field at fault).
  printSize?: PrintSizeInput | null;
}

@InputType("UpdateServiceInput", { description: "Fields to change; omitted fields stay as they are." })
export class UpdateServiceInput {
  @Field(() => String, { description: "Display name. Unset: unchanged.", nullable: true })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name?: string | null;

  @Field(() => PrintSizeInput, { nullable: true, description: "What it prints on. Omitted: unchanged; null: no size stated any more." })
  // Checked by the service (UNKNOWN_PRINT_SIZE, INVALID_PRINT_SIZE with the field at fault).
  printSize?: PrintSizeInput | null;
}

@ObjectType("ServicePayload", { description: "Result of a mutation on a service." })
export class ServicePayload {
  @Field(() => ServiceType, { description: "The service.", nullable: true })
  service?: ServiceType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@InputType("CreateProductInput", { description: "A new product (a printable format) of a service." })
export class CreateProductInput {
  @Field(() => ID, { description: ID_DESCRIPTION })
  @MaxLength(MAX_EDGE_TEXT)
  id!: string;

  @Field(() => String, { description: "1 to 200 characters." })
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name!: string;
}

@InputType("UpdateProductInput", { description: "Fields to change; omitted fields stay as they are." })
export class UpdateProductInput {
  @Field(() => String, { description: "Display name. Unset: unchanged.", nullable: true })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name?: string | null;
}

@ObjectType("ProductPayload", { description: "Result of a mutation on a product." })
export class ProductPayload {
  @Field(() => ProductType, { description: "The product.", nullable: true })
  product?: ProductType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

// --- Templates ---------------------------------------------------------------------------------

@InputType("CreateTemplateInput", {
  description: "A template belongs to a shop group (shopGroupId) or, for a service only one shop offers, to that shop (shopId): exactly one of the two.",
})
export class CreateTemplateInput {
  @Field(() => ID, { description: ID_DESCRIPTION })
  @MaxLength(MAX_EDGE_TEXT)
  id!: string;

  @Field(() => String, { description: "1 to 200 characters." })
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name!: string;

  @Field(() => ID, { description: "The service the template offers." })
  @MaxLength(MAX_EDGE_TEXT)
  serviceId!: string;

  @Field(() => ID, { description: "The shop group the template belongs to; null: a center-wide template.", nullable: true })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  shopGroupId?: string | null;

  @Field(() => ID, { nullable: true, description: "A shop's own template wins over its group's for the same service." })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  shopId?: string | null;

  @Field(() => [ID], { description: `The template's products, in order: at least one, each once, at most ${MAX_TEMPLATE_PRODUCTS}.` })
  @ArrayMaxSize(MAX_TEMPLATE_PRODUCTS)
  @MaxLength(MAX_EDGE_TEXT, { each: true })
  productIds!: string[];
}

@InputType("UpdateTemplateInput", { description: "Fields to change; omitted fields stay as they are. The service and the owner of a template do not change." })
export class UpdateTemplateInput {
  @Field(() => String, { description: "Display name. Unset: unchanged.", nullable: true })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name?: string | null;

  @Field(() => [ID], { nullable: true, description: "Replaces the template's products, in this order." })
  @IsOptional()
  @ArrayMaxSize(MAX_TEMPLATE_PRODUCTS)
  @MaxLength(MAX_EDGE_TEXT, { each: true })
  productIds?: string[] | null;
}

@ObjectType("TemplatePayload", { description: "Result of a mutation on a template." })
export class TemplatePayload {
  @Field(() => TemplateType, { nullable: true, description: "The template as written (as it was, for a delete); null when errors is not empty." })
  template?: TemplateType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("TemplateExcludedShopsPayload", { description: "Result of setTemplateExcludedShops: the shops the group's template now leaves out, or errors." })
export class TemplateExcludedShopsPayload {
  @Field(() => ID, { nullable: true, description: "The template; null when errors is not empty." })
  templateId?: string | null;

  @Field(() => [ID], { description: "The shops of the group left out of the template, by id (empty when errors is not empty)." })
  excludedShopIds!: string[];

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

// --- Charged images ----------------------------------------------------------------------------

@ObjectType("ChargedImage", { description: "A copyrighted stock image: every sheet it is printed on adds feePerSheet to the order." })
export class ChargedImageType {
  @Field(() => ID, { description: "The image that carries a copyright fee." })
  imageId!: string;

  @Field(() => MoneyScalar, { description: "Copyright fee per printed sheet of the image, in the currency's minor unit (cents for EUR, yen for JPY)." })
  feePerSheet!: number;

  @Field(() => String, { description: "Who the fee is for." })
  rightsHolder!: string;
}

@InputType("CreateChargedImageInput", { description: "An image that carries a copyright fee per printed sheet." })
export class CreateChargedImageInput {
  @Field(() => ID, { description: "The stock image's id. " + ID_DESCRIPTION })
  @MaxLength(MAX_EDGE_TEXT)
  imageId!: string;

  @Field(() => MoneyScalar, { description: "0 or more, in minor units." })
  feePerSheet!: number;

  @Field(() => String, { description: "1 to 200 characters." })
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  rightsHolder!: string;
}

@InputType("UpdateChargedImageInput", { description: "Fields to change; omitted fields stay as they are." })
export class UpdateChargedImageInput {
  @Field(() => MoneyScalar, {
    description: "Copyright fee per printed sheet of the image, in the currency's minor unit (cents for EUR, yen for JPY). Unset: unchanged.",
    nullable: true,
  })
  @IsOptional()
  feePerSheet?: number | null;

  @Field(() => String, { description: "Who holds the rights, free text.", nullable: true })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  rightsHolder?: string | null;
}

@ObjectType("ChargedImagePayload", { description: "Result of a mutation on a charged image." })
export class ChargedImagePayload {
  @Field(() => ChargedImageType, { description: "The charged image.", nullable: true })
  chargedImage?: ChargedImageType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

export const ChargedImageConnection = connectionType(
  "ChargedImage",
  ChargedImageType,
  "Charged images and their fees, by image id, a page at a time (cursor-based).",
);
