import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import { forbidden, unauthenticated } from "../common/errors";
import type { RequestContext } from "../graphql/context";
import { LAB } from "../identity/role";
import { OrderType as OrderTypeClass, type OrderType } from "../orders/orders.types";
import type { PrintJobEntity } from "./print-job.entity";
import { PrintJobEventType, PrintJobType } from "./print-jobs.types";

@Resolver(() => PrintJobType)
export class PrintJobsResolver {
  @Authorized(LAB)
  @Query(() => PrintJobType, { nullable: true, description: "A lab fetches its job's full content (pull)." })
  printJob(@Ctx() ctx: RequestContext, @Arg("id", () => ID) id: string): Promise<PrintJobType | null> {
    return ctx.app.services.printJobs.get(ctx, id) as unknown as Promise<PrintJobType | null>;
  }

  @Subscription(() => PrintJobEventType, {
    name: "printJobs",
    description: "For lab daemons (lab API key): every claimable job of this lab, backlog first, then as they come.",
    subscribe: ({ context }: SubscribeResolverData<unknown, unknown, RequestContext>) => {
      if (context.auth.kind === "anonymous") throw unauthenticated();
      if (context.auth.kind !== "lab") throw forbidden("printJobs is for lab daemons (a lab API key)");
      return context.app.services.printJobs.stream(context, context.auth.labId);
    },
  })
  printJobsLive(@Root() event: { job: PrintJobEntity }): PrintJobEventType {
    return event as unknown as PrintJobEventType;
  }

  @FieldResolver(() => OrderTypeClass)
  async order(@Root() job: PrintJobEntity, @Ctx() ctx: RequestContext): Promise<OrderType> {
    const order = await ctx.app.services.orders.get(ctx, job.orderId);
    if (!order) throw forbidden(`Order ${job.orderId} is not visible to you`);
    return order as unknown as OrderType;
  }
}
