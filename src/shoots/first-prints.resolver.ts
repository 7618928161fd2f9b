import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from "type-graphql";
import type { RequestContext } from "../core/request-context";
import { ADMIN_ROLES } from "../identity/role";
import { boundedList } from "../graphql/argument-validation";
import { MAX_SUB_ORDERS, SubOrderInput } from "../orders/order.input";
import { ConfirmOrderPayload, type OrderType } from "../orders/orders.types";
import { FirstPrintsService } from "./first-prints.service";

/** First prints of a shoot: admins of its shop, its group and the center; the scope is the service's. */
@Resolver()
export class FirstPrintsResolver {
  constructor(private readonly firstPrints: FirstPrintsService) {}

  @Authorized(...ADMIN_ROLES)
  @Mutation(() => ConfirmOrderPayload, {
    description:
      "First prints of a shoot's images, printed at its first-print lab; placed and confirmed at once by a shop admin of its shop " +
      "(or its group's, or a center admin), priced at the shop by the normal rules. Only the shoot's images (NOT_SHOOT_IMAGE); IMAGES_RETIRED once they are removed.",
  })
  async placeFirstPrints(
    @Ctx() ctx: RequestContext,
    @Arg("shootId", () => ID, { description: "The shoot whose images are printed." }) shootId: string,
    @Arg("subOrders", () => [SubOrderInput], {
      description: "One sub-order per service, of the shoot's images (their imageIds).",
      // As OrderInput.subOrders: beyond the bound, refused before anything is read.
      validateFn: boundedList("subOrders", MAX_SUB_ORDERS * 5),
    })
    subOrders: SubOrderInput[],
  ): Promise<ConfirmOrderPayload> {
    const r = await this.firstPrints.place(ctx, shootId, subOrders);
    return { order: r.value as unknown as OrderType, errors: r.errors };
  }
}
