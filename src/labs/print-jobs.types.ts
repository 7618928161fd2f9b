import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { OrderType } from "../orders/orders.types";

export enum PrintJobStatusEnum {
  QUEUED = "QUEUED",
  LEASED = "LEASED",
  DONE = "DONE",
  FAILED = "FAILED",
}
registerEnumType(PrintJobStatusEnum, { name: "PrintJobStatus" });

@ObjectType("PrintJob")
export class PrintJobType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  orderId!: string;

  @Field(() => ID)
  labId!: string;

  @Field(() => PrintJobStatusEnum)
  status!: PrintJobStatusEnum;

  @Field(() => Int)
  attempts!: number;

  @Field(() => OrderType)
  order!: OrderType;

  @Field(() => String, { nullable: true, description: "Why the job failed or was withdrawn (cancelled, moved to another lab)." })
  lastError?: string | null;
}

@ObjectType("PrintJobEvent", { description: "Sent to a lab's printJobs subscription: a job it may claim. Backlog first, then live." })
export class PrintJobEventType {
  @Field(() => PrintJobType)
  job!: PrintJobType;
}
