import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";

export enum ShipmentStatusEnum {
  TO_PACK = "TO_PACK",
  PACKED = "PACKED",
  SHIPPED = "SHIPPED",
  DELIVERED = "DELIVERED",
  RETURNED = "RETURNED",
}
registerEnumType(ShipmentStatusEnum, {
  name: "ShipmentStatus",
  description: "Shipment states, in order; RETURNED may follow SHIPPED or DELIVERED.",
  valuesConfig: {
    TO_PACK: { description: "Printed; waiting at the lab to be packed." },
    PACKED: { description: "Packed and waiting for the carrier." },
    SHIPPED: { description: "Handed to the carrier; the order is SHIPPED." },
    DELIVERED: { description: "Delivered to the recipient; the order is COMPLETED." },
    RETURNED: { description: "Came back to the lab after it was shipped or delivered." },
  },
});

@ObjectType("Shipment", { description: "The shipping terminal's record of one delivery order's parcel." })
export class ShipmentType {
  @Field(() => ID, { description: "Unique id of this shipment." })
  id!: string;

  @Field(() => ID, { description: "The delivery order it carries (one shipment per order)." })
  orderId!: string;

  @Field(() => ID, { description: "The lab that printed the order and ships it." })
  labId!: string;

  @Field(() => ShipmentStatusEnum, { description: "Where the parcel is." })
  status!: ShipmentStatusEnum;

  @Field(() => String, { nullable: true, description: "The carrier, as the shipping terminal last reported it; null until reported." })
  carrier?: string | null;

  @Field(() => String, { nullable: true, description: "The carrier's tracking number, as the shipping terminal last reported it; null until reported." })
  trackingNumber?: string | null;

  @Field(() => Date, { description: "When the current status happened (as reported), not when it was received." })
  statusAt!: Date;
}

@ObjectType("ShipmentPayload", {
  description: "Result of a shipping update: the shipment as it now is (unchanged when the update was late or repeated), or errors.",
})
export class ShipmentPayload {
  @Field(() => ShipmentType, { nullable: true, description: "The shipment as it now is." })
  shipment?: ShipmentType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}
