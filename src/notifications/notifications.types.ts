import { Field, ID, Int, ObjectType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { connectionType } from "../graphql/connection.types";

@ObjectType("Notification", { description: "A report of a change, to an administrator concerned by it." })
export class NotificationType {
  @Field(() => ID, { description: "Unique id of this notification." })
  id!: string;

  @Field(() => String, { description: "Stable, machine-readable, e.g. PRICE_CHANGED, SHOP_PRICE_OUT_OF_ALLOWANCE, PRINT_JOB_FAILED." })
  kind!: string;

  @Field(() => String, { description: "The notice, for a person." })
  message!: string;

  @Field(() => Date, { description: "When it was sent (UTC instant)." })
  createdAt!: Date;

  @Field(() => Boolean, { description: "true once marked read." })
  read!: boolean;
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
