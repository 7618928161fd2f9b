import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { ArrayMaxSize, IsOptional, MaxLength } from "class-validator";
import { UserErrorType } from "../graphql/user-error.types";
import { PageInfo } from "../graphql/connection.types";
import { MoneyScalar } from "../graphql/scalars";
import { QuoteType } from "../pricing/pricing.types";
import { PrintSizeType, PrintWarningType } from "../catalog/catalog.types";
import { FulfilmentType } from "./order-fulfilment.types";
import { ORDER_STATUSES, type OrderStatus } from "./order-state";

export const OrderStatusEnum = Object.fromEntries(ORDER_STATUSES.map((s) => [s, s])) as { [K in OrderStatus]: K };
registerEnumType(OrderStatusEnum, {
  name: "OrderStatus",
  description: "Order lifecycle. More states may be added.",
  valuesConfig: {
    QUOTED: { description: "Placed and priced; waiting for the customer to confirm the total." },
    AWAITING_PAYMENT: { description: "A reorder waiting for its payment to be settled; nothing is printed before." },
    CONFIRMED: { description: "The customer accepted the total; a lab is being chosen." },
    ASSIGNED: { description: "A lab is chosen and its print job queued." },
    PRINTING: { description: "The lab claimed the print job and is printing." },
    PRINTED: { description: "The lab finished printing." },
    SHIPPED: { description: "Sent to the customer (delivery)." },
    COMPLETED: { description: "Handed over: the order is done." },
    CANCELLED: { description: "Cancelled before printing; final." },
    FAILED: { description: "No lab could print it, or printing failed too often; final." },
  },
});

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

@ObjectType("OrderItem", { description: "An image of a sub-order and its place on the sheet." })
export class OrderItemType {
  @Field(() => ID, { description: "Made by the center when the order is placed; unique across all orders." })
  id!: string;

  @Field(() => ID, { description: "The uploaded image (POST /images)." })
  imageId!: string;

  @Field(() => ID, { nullable: true, description: "A design template (frame, card layout) the lab applies." })
  designTemplateId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Where the image lands on the sheet, as JSON (LayoutInput). Kept for the lab daemons that read it.",
    deprecationReason: "Use placement, the same layout typed.",
  })
  layout?: string | null;

  @Field(() => [PrintWarningType], {
    description: "The print check's findings on this item when the order was quoted (LOW_RESOLUTION: too few pixels for the print size); empty when none.",
  })
  warnings!: PrintWarningType[];
}

@ObjectType("SubOrder", { description: "The part of an order for one service: its sheets and items." })
export class SubOrderType {
  @Field(() => ID, {
    description:
      "Unique across all orders, so that a client's normalised cache (keyed on type and id) never mixes two orders: `<orderId>:<number>`. Its place in the order is `number`.",
  })
  id!: string;

  @Field(() => Int, { description: "1, 2, ... in the order the sub-orders were given." })
  number!: number;

  @Field(() => ID, { description: "The service." })
  serviceId!: string;

  @Field(() => Int, { description: "Sheets the sub-order prints." })
  sheets!: number;

  @Field(() => PrintSizeType, {
    nullable: true,
    description: "What the sub-order prints on: its service's print size, frozen with the order's quote; null when none was stated.",
  })
  printSize?: PrintSizeType | null;

  @Field(() => [OrderItemType], { description: "The images to print." })
  items!: OrderItemType[];
}

/** Where a candidate's sheets ahead came from (lab-ranking.ts, LoadSource). */
export enum LoadSource {
  REPORT = "REPORT",
  QUEUE = "QUEUE",
}
registerEnumType(LoadSource, {
  name: "LoadSource",
  description: "Where the sheets ahead of an order at a lab came from.",
  valuesConfig: {
    REPORT: { description: "The lab's latest load report: fresh, and not older than the latest job the center gave the lab." },
    QUEUE: { description: "The jobs the center has queued and leased at the lab (the report is missing, stale, or older than the latest job)." },
  },
});

@ObjectType("AssignmentCandidate", { description: "A lab considered for an order, with its score (lower is better) and the reasons." })
export class AssignmentCandidateType {
  @Field(() => ID, { description: "The candidate lab." })
  labId!: string;

  @Field(() => ID, { description: "The shop the lab belongs to (its prices apply)." })
  shopId!: string;

  @Field(() => Float, { description: "Ranking score; lower is better." })
  score!: number;

  @Field(() => Float, { description: "Distance from the customer in kilometres; null when unknown.", nullable: true })
  distanceKm?: number | null;

  @Field(() => Float, {
    description: "The lab's last reported load, when that report gave the sheets ahead; null when the center's queue did.",
    nullable: true,
  })
  load?: number | null;

  @Field(() => Float, {
    description:
      "Estimated hours to print the order at the lab: (sheetsAhead + the order's sheets) / its capacity; null in decisions stored before it was estimated.",
    nullable: true,
  })
  hoursToPrint?: number | null;

  @Field(() => Int, { description: "Sheets ahead of the order at the lab; null in decisions stored before it was estimated.", nullable: true })
  sheetsAhead?: number | null;

  @Field(() => LoadSource, { description: "Where sheetsAhead came from; null in decisions stored before it was estimated.", nullable: true })
  loadSource?: `${LoadSource}` | null;

  @Field(() => [String], { description: "Why, in words for an admin (not stable codes)." })
  reasons!: string[];
}

@ObjectType("AssignmentRejection", { description: "A lab that could not print the order, and why." })
export class AssignmentRejectionType {
  @Field(() => ID, { description: "The lab that was rejected." })
  labId!: string;

  @Field(() => [String], { description: "Why, in words for an admin (not stable codes)." })
  reasons!: string[];
}

@ObjectType("Assignment", { description: "How the center chose the lab for an order (stored with the order; admins only)." })
export class AssignmentType {
  @Field(() => String, { description: "NAMED_LAB (the customer's pick), HOME_LAB (the customer's home lab), RANKED, or REASSIGNED (an admin's move)." })
  rule!: string;

  @Field(() => Date, { description: "When the choice was made (UTC instant)." })
  decidedAt!: Date;

  @Field(() => ID, { description: "The lab the order went to; null when none could print it.", nullable: true })
  chosenLabId?: string | null;

  @Field(() => [String], { description: "Why the pricing shop was what it was (named, home lab's, home shop, best lab's shop)." })
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

@ObjectType("Order", { description: "A customer's order: sub-orders (one per service) of items, its price, status and lab." })
export class OrderType {
  @Field(() => ID, { description: "Unique id of this order." })
  id!: string;

  @Field(() => OrderStatusEnum, { description: "Where the order is in its lifecycle." })
  status!: OrderStatus;

  @Field(() => ID, { description: "The shop whose prices apply; null until decided.", nullable: true })
  shopId?: string | null;

  @Field(() => ID, { description: "The lab printing it; null until assigned.", nullable: true })
  labId?: string | null;

  @Field(() => QuoteType, { nullable: true, description: "The quote the order was placed with, frozen (money in minor units); null when it has none." })
  quote?: QuoteType | null;

  @Field(() => [SubOrderType], { description: "The order's parts, one per service, with their items." })
  subOrders!: SubOrderType[];

  @Field(() => Date, { description: "When it was placed (UTC instant)." })
  placedAt!: Date;

  @Field(() => ID, { description: "The customer who placed it." })
  customerUserId!: string;

  @Field(() => MoneyScalar, { nullable: true, description: "The quoted total, frozen with the order." })
  total?: number | null;

  @Field(() => String, { description: "ISO 4217 currency code (e.g. EUR); every Money amount of it is in its minor unit." })
  currency!: string;

  @Field(() => Date, { description: "When it was confirmed (UTC instant); null while QUOTED.", nullable: true })
  confirmedAt?: Date | null;

  @Field(() => AssignmentType, { nullable: true, description: "The assignment decision; admins in scope only (null for others)." })
  assignment?: AssignmentType | null;

  @Field(() => ID, { nullable: true, description: "For first prints and reorders: the shoot their images come from; null for other orders." })
  shootId?: string | null;

  @Field(() => FulfilmentType, {
    nullable: true,
    description:
      "Where and how the order is handed over, as the customer gave it at placeOrder; null when none was given. A lab sees it only while the order is at that lab.",
  })
  fulfilment?: FulfilmentType | null;

  @Field(() => String, {
    nullable: true,
    description: "The customer's own reference given at placeOrder; null when none. A lab sees it only while the order is at that lab.",
  })
  customerReference?: string | null;

  @Field(() => Date, {
    nullable: true,
    description:
      "When the prints are due: the confirmation plus PRINT_DUE_HOURS (standard) or PRINT_DUE_HOURS_EXPRESS (express) hours; null while not confirmed.",
  })
  dueAt?: Date | null;
}

@ObjectType("PlaceOrderPayload", { description: "Result of placing an order: the QUOTED order with its quote, or errors." })
export class PlaceOrderPayload {
  @Field(() => OrderType, { description: "The placed order (status QUOTED).", nullable: true })
  order?: OrderType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("ConfirmOrderPayload", { description: "Result of confirming an order: the order (CONFIRMED or already assigned), or errors." })
export class ConfirmOrderPayload {
  @Field(() => OrderType, { description: "The confirmed order.", nullable: true })
  order?: OrderType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("OrderPayload", { description: "Result of a mutation on an order: the order, or errors." })
export class OrderPayload {
  @Field(() => OrderType, { description: "The order as it now stands.", nullable: true })
  order?: OrderType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("LabCandidate", { description: "A lab that could print an order, with the quote at its shop's prices." })
export class LabCandidateType {
  @Field(() => ID, { description: "The candidate lab." })
  labId!: string;

  @Field(() => ID, { description: "The shop the lab belongs to." })
  shopId!: string;

  @Field(() => Float, { nullable: true, description: "Great-circle distance to the delivery address, when both locations are known." })
  distanceKm?: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "The lab's last reported load, 0 (idle) to 1 (full) or more (overbooked), when that report gave the sheets ahead; null when the center's queue did.",
  })
  load?: number | null;

  @Field(() => Float, { description: "Estimated hours to print the order at the lab: (sheetsAhead + the order's sheets) / its capacity in sheets per hour." })
  hoursToPrint!: number;

  @Field(() => Int, { description: "Sheets ahead of the order at the lab (its fresh report's, or the jobs the center has queued and leased there)." })
  sheetsAhead!: number;

  @Field(() => LoadSource, { description: "Where sheetsAhead came from: the lab's fresh report, or the center's own queue." })
  loadSource!: LoadSource;

  @Field(() => QuoteType, { description: "The order priced at the lab's shop; null when it cannot be priced there.", nullable: true })
  quote?: QuoteType | null;

  @Field(() => [String], { description: "Why this lab ranks where it does, in words a person can read." })
  reasons!: string[];
}

@InputType("OrderFilter", { description: "Narrows a list of orders, within those the caller may see." })
export class OrderFilter {
  @Field(() => [OrderStatusEnum], { nullable: true, description: `Any of these statuses (at most ${ORDER_STATUSES.length}: each status once).` })
  @IsOptional()
  @ArrayMaxSize(ORDER_STATUSES.length)
  status?: OrderStatus[] | null;

  @Field(() => ID, { description: "Only orders priced at this shop.", nullable: true })
  @IsOptional()
  @MaxLength(64)
  shopId?: string | null;

  @Field(() => ID, { description: "Only orders printed by this lab.", nullable: true })
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

@ObjectType("OrderEdge", { description: "An order in a page of orders." })
export class OrderEdge {
  @Field(() => String, { description: "Opaque cursor: pass as after for the orders after this one." })
  cursor!: string;

  @Field(() => OrderType, { description: "The order." })
  node!: OrderType;
}

@ObjectType("OrderConnection", { description: "Orders newest first, a page at a time (cursor-based)." })
export class OrderConnection {
  @Field(() => [OrderEdge], { description: "The orders of this page, newest first." })
  edges!: OrderEdge[];

  @Field(() => PageInfo, { description: "Whether there is a next page and its cursor." })
  pageInfo!: PageInfo;
}

@ObjectType("HomeLabPayload", { description: "Result of setting a customer's home lab." })
export class HomeLabPayload {
  @Field(() => ID, { nullable: true, description: "The customer's home lab now; null when cleared or on errors." })
  homeLabId?: string | null;

  @Field(() => ID, { nullable: true, description: "The customer whose home lab it is; null on errors." })
  userId?: string | null;

  @Field(() => [UserErrorType], { description: "Business failures (UNKNOWN_LAB, NOT_FOUND); when not empty, nothing was written." })
  errors!: UserErrorType[];
}

@ObjectType("HomeShopPayload", { description: "Result of setting the caller's home shop." })
export class HomeShopPayload {
  @Field(() => ID, { description: "The home shop now set; null when cleared.", nullable: true })
  homeShopId?: string | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}
