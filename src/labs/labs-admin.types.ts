/**
 * GraphQL edge of the labs registry (issue 5): the inputs to register, correct and delete labs, their
 * payloads, and what the daemon's presence adds to a lab (online, last load, last seen).
 *
 * Only the shape is checked here (bounded sizes). The business rules - id format, name length,
 * references, fulfilment, capacity, location ranges, scopes, what is still in use - are the
 * service's, and come back as payload errors with the field at fault.
 */
import { ArrayMaxSize, IsOptional, MaxLength } from "class-validator";
import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { FulfilmentMethod } from "../catalog/fulfilment";
import { LabType } from "../catalog/catalog.types";
import { UserErrorType } from "../graphql/user-error.types";
import { GeoPointInput } from "../orders/order.input";
import { MAX_LAB_SERVICES } from "./labs-admin.service";
import { IsHumanName } from "../common/names";

/** Ids and names longer than this are refused at the edge; the service's own limits are tighter. */
const MAX_EDGE_TEXT = 1000;
/** Lists are bounded at the edge a little above the service's limit, so that the service names the fault. */
const MAX_EDGE_LIST = MAX_LAB_SERVICES + 1;

const ID_DESCRIPTION = "Chosen by the caller: 1 to 64 letters, digits, '.', '_' or '-'; unique ignoring letter case.";

@InputType("CreateLabInput", { description: "A lab (print server) of a shop: what it prints, how the prints reach customers, how fast, where." })
export class CreateLabInput {
  @Field(() => ID, { description: ID_DESCRIPTION })
  @MaxLength(MAX_EDGE_TEXT)
  id!: string;

  @Field(() => String, { description: "1 to 200 characters." })
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name!: string;

  @Field(() => ID, { description: "The shop the lab belongs to; its group prices the lab's orders. A group admin: a shop of their group." })
  @MaxLength(MAX_EDGE_TEXT)
  shopId!: string;

  @Field(() => [ID], { description: `The services the lab prints: at least one, each once, at most ${MAX_LAB_SERVICES}.` })
  @ArrayMaxSize(MAX_EDGE_LIST)
  @MaxLength(MAX_EDGE_TEXT, { each: true })
  serviceIds!: string[];

  @Field(() => [FulfilmentMethod], { description: "The fulfilment flows it offers: a non-empty subset of the methods, each once." })
  @ArrayMaxSize(10)
  fulfilment!: FulfilmentMethod[];

  @Field(() => Boolean, { defaultValue: false, description: "Whether it takes express orders." })
  express!: boolean;

  @Field(() => Int, { description: "Sheets it prints per hour: 1 or more." })
  capacitySheetsPerHour!: number;

  @Field(() => Int, { description: "The largest order, in sheets, it takes: 1 or more; null or unset: no limit.", nullable: true })
  @IsOptional()
  maxOrderSheets?: number | null;

  // No @ValidateNested on purpose: an out-of-range point is a business fault (INVALID_LOCATION,
  // naming lat or lng), reported by the service in the payload like every other.
  @Field(() => GeoPointInput, { nullable: true, description: "Where it is, to rank labs by distance to a delivery address." })
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

@InputType("UpdateLabInput", { description: "Fields to change; omitted fields stay as they are, null clears location, postalCode or region." })
export class UpdateLabInput {
  @Field(() => String, { description: "Display name. Unset: unchanged.", nullable: true })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  @IsHumanName()
  name?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: "Moves the lab to another shop (a group admin: within their group); not while it has unfinished print jobs.",
  })
  @IsOptional()
  @MaxLength(MAX_EDGE_TEXT)
  shopId?: string | null;

  @Field(() => [ID], { nullable: true, description: "Replaces the lab's services." })
  @IsOptional()
  @ArrayMaxSize(MAX_EDGE_LIST)
  @MaxLength(MAX_EDGE_TEXT, { each: true })
  serviceIds?: string[] | null;

  @Field(() => [FulfilmentMethod], { nullable: true, description: "Replaces the lab's fulfilment flows." })
  @IsOptional()
  @ArrayMaxSize(10)
  fulfilment?: FulfilmentMethod[] | null;

  @Field(() => Boolean, { description: "Can print express orders.", nullable: true })
  @IsOptional()
  express?: boolean | null;

  @Field(() => Int, { description: "Sheets the lab can print per hour; feeds the ranking. Unset: unchanged.", nullable: true })
  @IsOptional()
  capacitySheetsPerHour?: number | null;

  @Field(() => Int, { description: "The largest order, in sheets, the lab takes (1 or more); 0 removes the limit. Unset: unchanged.", nullable: true })
  @IsOptional()
  maxOrderSheets?: number | null;

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

  @Field(() => Boolean, { nullable: true, description: "A disabled lab is offered no orders and its keys stop working at once." })
  @IsOptional()
  disabled?: boolean | null;
}

@ObjectType("LabPayload", { description: "Result of a mutation on a lab: the lab, or errors." })
export class LabPayload {
  @Field(() => LabType, { nullable: true, description: "The lab as written (as it was, for a delete); null when errors is not empty." })
  lab?: LabType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}
