import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { OrderType } from "../orders/orders.types";

export enum PrintJobStatusEnum {
  QUEUED = "QUEUED",
  LEASED = "LEASED",
  DONE = "DONE",
  FAILED = "FAILED",
}
registerEnumType(PrintJobStatusEnum, { name: "PrintJobStatus" });

@ObjectType("PrintJobImage", {
  description: "An image the job prints, as its lab downloads it (seed 001, claim 2: the lab asks the center for the image data).",
})
export class PrintJobImageType {
  @Field(() => ID)
  imageId!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "Where to download the original: a path and query (/images/<id>/original?exp=...&job=...&sig=...; it stops working once the job is no longer waiting for or leased to its lab) on the center the job was read from, " +
      "signed and short-lived (urlExpiresAt); no credential needed. Null for an image without stored bytes (a stock or charged " +
      "image the center only knows by id: the lab prints it from its own library) and for a job that is no longer printable (DONE, FAILED).",
  })
  url?: string | null;

  @Field(() => Date, { nullable: true, description: "When url stops working; read the job again for a fresh one." })
  urlExpiresAt?: Date | null;

  @Field(() => String, { nullable: true, description: "SHA-256 of the original's bytes, lower-case hex: check the download against it." })
  sha256?: string | null;

  @Field(() => Int, { nullable: true, description: "Size of the original in bytes." })
  bytes?: number | null;

  @Field(() => Int, { nullable: true })
  width?: number | null;

  @Field(() => Int, { nullable: true })
  height?: number | null;

  @Field(() => String, { nullable: true, description: "image/jpeg, image/png or image/tiff." })
  contentType?: string | null;
}

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

  @Field(() => Int, { description: "How many times the job was tried and did not print: failures and leases that ran out." })
  attempts!: number;

  @Field(() => OrderType)
  order!: OrderType;

  @Field(() => String, { nullable: true, description: "Why the job failed or was withdrawn (cancelled, moved to another lab)." })
  lastError?: string | null;

  @Field(() => Date, { description: "Not claimable before this instant (a retry's growing delay)." })
  availableAt!: Date;

  @Field(() => Date, { nullable: true, description: "While LEASED: when the lease runs out and the job goes back to the queue." })
  leaseExpiresAt?: Date | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  @Field(() => [PrintJobImageType], { description: "Every distinct image of the order's items, in order of first use; for the job's lab only." })
  images!: PrintJobImageType[];
}

@ObjectType("PrintJobEvent", { description: "Sent to a lab's printJobs subscription: a job it may claim. Backlog first, then live." })
export class PrintJobEventType {
  @Field(() => PrintJobType)
  job!: PrintJobType;
}

@ObjectType("ClaimPrintJobPayload")
export class ClaimPrintJobPayload {
  @Field(() => PrintJobType, { nullable: true })
  job?: PrintJobType | null;

  @Field(() => String, { nullable: true, description: "Proof of the lease; completePrintJob and failPrintJob must present it." })
  leaseToken?: string | null;

  @Field(() => Date, { nullable: true })
  leaseExpiresAt?: Date | null;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}

@ObjectType("PrintJobPayload")
export class PrintJobPayload {
  @Field(() => PrintJobType, { nullable: true })
  job?: PrintJobType | null;

  @Field(() => [UserErrorType])
  errors!: UserErrorType[];
}
