import { Field, ID, Int, ObjectType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { connectionType } from "../graphql/connection.types";

@ObjectType("Notification", { description: "A report of a change, to an administrator concerned by it." })
export class NotificationType {
  @Field(() => ID, { description: "Unique id of this notification." })
  id!: string;

  @Field(() => String, { description: "Stable, machine-readable, e.g. PRICE_CHANGED, SHOP_PRICE_OUT_OF_ALLOWANCE, PRINT_JOB_FAILED, PRINT_JOB_REFUSED." })
  kind!: string;

  @Field(() => String, { description: "The notice, for a person." })
  message!: string;

  @Field(() => Date, { description: "When it was sent (UTC instant)." })
  createdAt!: Date;

  @Field(() => Boolean, { description: "true once marked read." })
  read!: boolean;

  @Field(() => ID, {
    nullable: true,
    description: "The order the notice is about (e.g. a failed print job's); null when none, and for notices older than links.",
  })
  orderId!: string | null;

  @Field(() => ID, { nullable: true, description: "The product the notice is about (a product or one of its prices or allowances); null when none." })
  productId!: string | null;

  @Field(() => ID, { nullable: true, description: "The lab the notice is about; null when none." })
  labId!: string | null;

  @Field(() => ID, { nullable: true, description: "The shop the notice is about (a change in a shop's scope); null when none." })
  shopId!: string | null;

  @Field(() => ID, { nullable: true, description: "The shop group the notice is about (a change in a group's scope); null when none." })
  shopGroupId!: string | null;
}

@ObjectType("MarkNotificationsReadPayload", { description: "Result of marking notifications read." })
export class MarkNotificationsReadPayload {
  @Field(() => Int, { description: "How many notices were marked read now." })
  updated!: number;

  @Field(() => Int, { description: "Unread notifications left for the caller." })
  unreadCount!: number;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

export const NotificationConnection = connectionType("Notification", NotificationType, "The caller's notices, newest first, a page at a time (cursor-based).");
