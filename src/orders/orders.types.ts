import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { ArrayMaxSize, IsOptional, MaxLength } from "class-validator";
import { UserErrorType } from "../graphql/user-error.types";
import { PageInfo } from "../graphql/connection.types";
import { MoneyScalar } from "../graphql/scalars";
import { QuoteType } from "../pricing/pricing.types";
import { ORDER_STATUSES, type OrderStatus } from "./order-state";

export const OrderStatusEnum = Object.fromEntries(ORDER_STATUSES.map((s) => [s, s])) as { [K in OrderStatus]: K };
registerEnumType(OrderStatusEnum, { name: "OrderStatus", description: "Order lifecycle. More states may be added." });

@ObjectType("Layout", { description: "Where an image lands on a sheet, in millimetres from the sheet's top-left corner (as LayoutInput gave it)." })
export class LayoutType {
  @Field(() => Int, { description: "The page of the sub-order the image is on, 1 or more." })
  page!: number;

  @Field(() => Float, { description: "Distance of the image's left edge from the sheet's left edge." })
  x!: number;

  @Field(() => Float, { description: "Distance of the image's top edge from the sheet's top edge." })
  y!: number;

  @Field(() => Float, { description: "Width of the image's box." })
  width!: number;

  @Field(() => Float, { description: "Height of the image's box." })
  height!: number;

  @Field(() => Float, { description: "Rotation in degrees (-360 to 360), as LayoutInput gave it." })
  rotation!: number;
}

@ObjectType("OrderItem")
export class OrderItemType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  imageId!: string;

  @Field(() => ID, { nullable: true, description: "A design template (frame, card layout) the lab applies." })
  designTemplateId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Where the image lands on the sheet, as JSON (LayoutInput). Kept for the lab daemons that read it.",
    deprecationReason: "Use placement, the same layout typed.",
  })
  layout?: string | null;
}

@ObjectType("SubOrder")
export class SubOrderType {
  @Field(() => ID, { description: "Unique within its order: 1, 2, ..." })
  id!: string;

  @Field(() => ID)
  serviceId!: string;

  @Field(() => Int)
  sheets!: number;

  @Field(() => [OrderItemType])
  items!: OrderItemType[];
}

@ObjectType("AssignmentCandidate", { description: "A lab considered for an order, with its score (lower is better) and the reasons." })
export class AssignmentCandidateType {
  @Field(() => ID)
  labId!: string;

  @Field(() => ID)
  shopId!: string;

  @Field(() => Float)
  score!: number;

  @Field(() => Float, { nullable: true })
  distanceKm?: number | null;

  @Field(() => Float, { nullable: true })
  load?: number | null;

  @Field(() => [String])
  reasons!: string[];
}

@ObjectType("AssignmentRejection", { description: "A lab that could not print the order, and why." })
export class AssignmentRejectionType {
  @Field(() => ID)
  labId!: string;

  @Field(() => [String])
  reasons!: string[];
}

@ObjectType("Assignment", { description: "How the center chose the lab for an order (stored with the order; admins only)." })
export class AssignmentType {
  @Field(() => String, { description: "NAMED_LAB (the customer's pick), RANKED, or REASSIGNED (an admin's move)." })
  rule!: string;

  @Field(() => Date)
  decidedAt!: Date;

  @Field(() => ID, { nullable: true })
  chosenLabId?: string | null;

  @Field(() => [String], { description: "Why the pricing shop was what it was (named, home shop, best lab's shop)." })
  notes!: string[];

  @Field(() => [AssignmentCandidateType], { description: "The best candidates, best first (at most 10; the chosen lab always among them)." })
  candidates!: AssignmentCandidateType[];

  @Field(() => Int, { description: "Capable labs ranked but not listed in candidates." })
  candidatesOmitted!: number;

  @Field(() => [AssignmentRejectionType], { description: "Labs that could not print the order, by lab id (at most 20)." })
  rejected!: AssignmentRejectionType[];

  @Field(() => Int, { description: "Labs that could not print the order, beyond those listed in rejected." })
  rejectedOmitted!: number;
}

@ObjectType("Order")
export class OrderType {
  @Field(() => ID)
  id!: string;

  @Field(() => OrderStatusEnum)
  status!: OrderStatus;

  @Field(() => ID, { nullable: true })
  shopId?: string | null;

  @Field(() => ID, { nullable: true })
  labId?: string | null;

  @Field(() => QuoteType, { nullable: true })
  quote?: QuoteType | null;

  @Field(() => [SubOrderType])
  subOrders!: SubOrderType[];

  @Field(() => Date)
  placedAt!: Date;

  @Field(() => ID)
  customerUserId!: string;

  @Field(() => MoneyScalar, { nullable: true, description: "The quoted total, frozen with the order." })
  total?: number | null;

  @Field(() => String)
  currency!: string;

  @Field(() => Date, { nullable: true })
  confirmedAt?: Date | null;

  @Field(() => AssignmentType, { nullable: true, description: "The assignment decision; admins in scope only (null for others)." })
  assignment?: AssignmentType | null;
}

@ObjectType("PlaceOrderPayload")
export class PlaceOrderPayload {
  @Field(() => OrderType, { nullable: true })
  order?: OrderType | null;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}

@ObjectType("ConfirmOrderPayload")
export class ConfirmOrderPayload {
  @Field(() => OrderType, { nullable: true })
  order?: OrderType | null;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}

@ObjectType("OrderPayload")
export class OrderPayload {
  @Field(() => OrderType, { nullable: true })
  order?: OrderType | null;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}

@ObjectType("LabCandidate")
export class LabCandidateType {
  @Field(() => ID)
  labId!: string;

  @Field(() => ID)
  shopId!: string;

  @Field(() => Float, { nullable: true, description: "Great-circle distance to the delivery address, when both locations are known." })
  distanceKm?: number | null;

  @Field(() => Float, { nullable: true, description: "The lab's last reported load, 0 (idle) to 1 (full) or more (overbooked)." })
  load?: number | null;

  @Field(() => QuoteType, { nullable: true })
  quote?: QuoteType | null;

  @Field(() => [String], { description: "Why this lab ranks where it does, in words a person can read." })
  reasons!: string[];
}

@InputType("OrderFilter")
export class OrderFilter {
  @Field(() => [OrderStatusEnum], { nullable: true, description: `Any of these statuses (at most ${ORDER_STATUSES.length}: each status once).` })
  @IsOptional()
  @ArrayMaxSize(ORDER_STATUSES.length)
  status?: OrderStatus[] | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @MaxLength(64)
  shopId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @MaxLength(64)
  labId?: string | null;

  @Field(() => Date, { nullable: true, description: "Placed at or after." })
  @IsOptional()
  placedFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: "Placed before." })
  @IsOptional()
  placedBefore?: Date | null;
}

@ObjectType("OrderEdge")
export class OrderEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => OrderType)
  node!: OrderType;
}

@ObjectType("OrderConnection", { description: "Orders newest first, a page at a time (cursor-based)." })
export class OrderConnection {
  @Field(() => [OrderEdge])
  edges!: OrderEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType("HomeShopPayload")
export class HomeShopPayload {
  @Field(() => ID, { nullable: true })
  homeShopId?: string | null;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}
