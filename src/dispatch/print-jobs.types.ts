import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { UserErrorType } from "../graphql/user-error.types";
import { OrderType } from "../orders/orders.types";

export enum PrintJobStatusEnum {
  QUEUED = "QUEUED",
  LEASED = "LEASED",
  DONE = "DONE",
  FAILED = "FAILED",
}
registerEnumType(PrintJobStatusEnum, {
  name: "PrintJobStatus",
  description: "Print job lifecycle: QUEUED, LEASED to a lab daemon, then DONE or FAILED.",
  valuesConfig: {
    QUEUED: { description: "Waiting for the lab to claim it (again, after a lapsed lease or a retryable failure)." },
    LEASED: { description: "Claimed by the lab under a lease; back to QUEUED if the lease lapses." },
    DONE: { description: "Printed; the lab completed it." },
    FAILED: { description: "Given up: failed without retry, or too many attempts." },
  },
});

@ObjectType("PrintJobImage", {
  description: "An image the job prints, as its lab downloads it (seed 001, claim 2: the lab asks the center for the image data).",
})
export class PrintJobImageType {
  @Field(() => ID, { description: "The image." })
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

  @Field(() => Int, { description: "Width in pixels; null until known.", nullable: true })
  width?: number | null;

  @Field(() => Int, { description: "Height in pixels; null until known.", nullable: true })
  height?: number | null;

  @Field(() => String, { nullable: true, description: "image/jpeg, image/png or image/tiff." })
  contentType?: string | null;
}

@ObjectType("PrintJob", { description: "The work of printing one order at one lab. QUEUED, LEASED to a daemon, then DONE or FAILED." })
export class PrintJobType {
  @Field(() => ID, { description: "Unique id of this print job." })
  id!: string;

  @Field(() => ID, { description: "The order to print." })
  orderId!: string;

  @Field(() => ID, { description: "The lab the job is for." })
  labId!: string;

  @Field(() => PrintJobStatusEnum, { description: "Where the job is in its lifecycle." })
  status!: PrintJobStatusEnum;

  @Field(() => Int, { description: "How many times the job was tried and did not print: failures and leases that ran out." })
  attempts!: number;

  @Field(() => OrderType, { description: "The order to print, with its sub-orders and items." })
  order!: OrderType;

  @Field(() => String, { nullable: true, description: "Why the job failed or was withdrawn (cancelled, moved to another lab)." })
  lastError?: string | null;

  @Field(() => Date, { description: "Not claimable before this instant (a retry's growing delay)." })
  availableAt!: Date;

  @Field(() => Date, { nullable: true, description: "While LEASED: when the lease runs out and the job goes back to the queue." })
  leaseExpiresAt?: Date | null;

  @Field(() => Date, { description: "When it was created (UTC instant)." })
  createdAt!: Date;

  @Field(() => Date, { description: "When it last changed (UTC instant)." })
  updatedAt!: Date;

  @Field(() => [PrintJobImageType], { description: "Every distinct image of the order's items, in order of first use; for the job's lab only." })
  images!: PrintJobImageType[];
}

@ObjectType("PrintJobEvent", { description: "Sent to a lab's printJobs subscription: a job it may claim. Backlog first, then live." })
export class PrintJobEventType {
  @Field(() => PrintJobType, { description: "The job as it now stands." })
  job!: PrintJobType;
}

@ObjectType("ClaimPrintJobPayload", { description: "Result of claiming a print job: the job and its lease, or errors." })
export class ClaimPrintJobPayload {
  @Field(() => PrintJobType, { description: "The claimed job, now LEASED to the caller.", nullable: true })
  job?: PrintJobType | null;

  @Field(() => String, { nullable: true, description: "Proof of the lease; completePrintJob and failPrintJob must present it." })
  leaseToken?: string | null;

  @Field(() => Date, { description: "When the lease lapses (UTC instant) and the job is offered again unless completed or failed.", nullable: true })
  leaseExpiresAt?: Date | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}

@ObjectType("PrintJobPayload", { description: "Result of a mutation on a print job." })
export class PrintJobPayload {
  @Field(() => PrintJobType, { description: "The job as it now stands.", nullable: true })
  job?: PrintJobType | null;

  @Field(() => [UserErrorType], {
    description: "Business failures with stable codes and the input path (see docs/errors.md); when not empty, nothing was written.",
  })
  errors!: UserErrorType[];
}
