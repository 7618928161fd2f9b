import { Field, ID, Int, ObjectType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { connectionType } from "../graphql/connection.types";

@ObjectType("Notification", { description: "A report of a change, to an administrator concerned by it." })
export class NotificationType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Stable, machine-readable, e.g. PRICE_CHANGED, SHOP_PRICE_OUT_OF_ALLOWANCE, PRINT_JOB_FAILED." })
  kind!: string;

  @Field(() => String)
  message!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Boolean)
  read!: boolean;
}

@ObjectType("MarkNotificationsReadPayload")
export class MarkNotificationsReadPayload {
  @Field(() => Int, { description: "How many notices were marked read now." })
  updated!: number;

  @Field(() => Int)
  unreadCount!: number;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}

export const NotificationConnection = connectionType("Notification", NotificationType, "The caller's notices, newest first, a page at a time (cursor-based).");
