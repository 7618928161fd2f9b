import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import { forbidden, unauthenticated } from "../common/errors";
import type { RequestContext } from "../core/request-context";
import { LAB } from "../identity/role";
import { OrderType as OrderTypeClass, type OrderType } from "../orders/orders.types";
import type { PrintJobEntity } from "./print-job.entity";
import { ClaimPrintJobPayload, PrintJobEventType, PrintJobImageType, PrintJobPayload, PrintJobType } from "./print-jobs.types";
import { PrintJobLifecycleService } from "./print-job-lifecycle.service";
import { PrintJobsService } from "./print-jobs.service";

const asJob = (job: PrintJobEntity | null): PrintJobType | null => job as unknown as PrintJobType | null;

@Resolver(() => PrintJobType)
export class PrintJobsResolver {
  constructor(
    private readonly printJobLifecycle: PrintJobLifecycleService,
    private readonly printJobs: PrintJobsService,
  ) {}

  @Authorized(LAB)
  @Query(() => PrintJobType, { nullable: true, description: "A lab fetches its job's full content (pull)." })
  printJob(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the print job." }) id: string): Promise<PrintJobType | null> {
    return this.printJobs.get(ctx, id) as unknown as Promise<PrintJobType | null>;
  }

  @Authorized(LAB)
  @Mutation(() => ClaimPrintJobPayload, {
    description:
      "Take a QUEUED job of the calling lab under a lease of PRINT_JOB_LEASE_SECONDS; exactly one of racing claimers wins (the others: ALREADY_CLAIMED or NOT_CLAIMABLE). A claimKey the claimer chooses makes the claim safe to send again: the same claim with the same key, while its lease holds, answers the same lease.",
  })
  async claimPrintJob(
    @Ctx() ctx: RequestContext,
    @Arg("jobId", () => ID, { description: "The print job's id." }) jobId: string,
    @Arg("claimKey", () => String, {
      nullable: true,
      description: "16 to 64 characters of A-Z, a-z, 0-9, _ and -, new for each claim (INVALID_CLAIM_KEY otherwise).",
    })
    claimKey?: string | null,
  ): Promise<ClaimPrintJobPayload> {
    const r = await this.printJobLifecycle.claim(ctx, jobId, claimKey ?? null);
    if (!r.value) return { job: null, leaseToken: null, leaseExpiresAt: null, errors: r.errors };
    return { job: asJob(r.value.job), leaseToken: r.value.leaseToken, leaseExpiresAt: r.value.leaseExpiresAt, errors: [] };
  }

  @Authorized(LAB)
  @Mutation(() => PrintJobPayload, {
    description: "The job printed; the order becomes PRINTED. Sending it again with the same token answers the job again (LEASE_LOST for any other token).",
  })
  async completePrintJob(
    @Ctx() ctx: RequestContext,
    @Arg("jobId", () => ID, { description: "The print job's id." }) jobId: string,
    @Arg("leaseToken", () => String, { description: "The lease token claimPrintJob returned." }) leaseToken: string,
  ): Promise<PrintJobPayload> {
    const r = await this.printJobLifecycle.complete(ctx, jobId, leaseToken);
    return { job: asJob(r.value), errors: r.errors };
  }

  @Authorized(LAB)
  @Mutation(() => PrintJobPayload, {
    description:
      "The lab still works on the job (e.g. its minilab controller has not answered yet): the lease runs out PRINT_JOB_LEASE_SECONDS from now instead (never earlier than before; the job's leaseExpiresAt says when). LEASE_LOST when this token no longer holds the job.",
  })
  async renewPrintJobLease(
    @Ctx() ctx: RequestContext,
    @Arg("jobId", () => ID, { description: "The print job's id." }) jobId: string,
    @Arg("leaseToken", () => String, { description: "The lease token claimPrintJob returned." }) leaseToken: string,
  ): Promise<PrintJobPayload> {
    const r = await this.printJobLifecycle.renew(ctx, jobId, leaseToken);
    return { job: asJob(r.value), errors: r.errors };
  }

  @Authorized(LAB)
  @Mutation(() => PrintJobPayload, {
    description:
      "The job could not be printed. retryable: back in the queue after a growing delay, until PRINT_JOB_MAX_ATTEMPTS; otherwise the job and its order fail and the admins concerned are told.",
  })
  async failPrintJob(
    @Ctx() ctx: RequestContext,
    @Arg("jobId", () => ID, { description: "The print job's id." }) jobId: string,
    @Arg("leaseToken", () => String, { description: "The lease token claimPrintJob returned." }) leaseToken: string,
    @Arg("reason", () => String, { description: "Why it failed, for admins." }) reason: string,
    @Arg("retryable", () => Boolean, { description: "true: offer the job again (up to the attempt limit); false: fail job and order now." }) retryable: boolean,
  ): Promise<PrintJobPayload> {
    const r = await this.printJobLifecycle.fail(ctx, jobId, leaseToken, reason, retryable);
    return { job: asJob(r.value), errors: r.errors };
  }

  /** The printJobs subscription's source: its `subscribe` option runs outside any instance, so it asks the context for this one. */
  labStream(ctx: RequestContext, labId: string): AsyncIterableIterator<{ job: PrintJobEntity }> {
    return this.printJobs.stream(ctx, labId);
  }

  @Subscription(() => PrintJobEventType, {
    name: "printJobs",
    description: "For lab daemons (lab API key): every claimable job of this lab, backlog first, then as they come.",
    subscribe: ({ context }: SubscribeResolverData<unknown, unknown, RequestContext>) => {
      if (context.auth.kind === "anonymous") throw unauthenticated();
      if (context.auth.kind !== "lab") throw forbidden("printJobs is for lab daemons (a lab API key)");
      return context.resolvers.get(PrintJobsResolver).labStream(context, context.auth.labId);
    },
  })
  printJobsLive(@Root() event: { job: PrintJobEntity }): PrintJobEventType {
    return event as unknown as PrintJobEventType;
  }

  @FieldResolver(() => OrderTypeClass)
  async order(@Root() job: PrintJobEntity, @Ctx() ctx: RequestContext): Promise<OrderType> {
    const order = await this.printJobs.orderOf(ctx, job);
    if (!order) throw forbidden(`Order ${job.orderId} is not visible to you`);
    return order as unknown as OrderType;
  }

  @FieldResolver(() => [PrintJobImageType])
  images(@Root() job: PrintJobEntity, @Ctx() ctx: RequestContext): Promise<PrintJobImageType[]> {
    return this.printJobLifecycle.images(ctx, job);
  }
}
