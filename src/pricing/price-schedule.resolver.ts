import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../core/request-context";
import { DateScalar } from "../graphql/scalars";
import { Role } from "../identity/role";
import { PriceRowInput } from "./pricing.types";
import { PriceGapsPayload, SchedulePricePayload } from "./price-schedule.types";
import { PriceScheduleService } from "./price-schedule.service";

const ADMINS = [Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN, Role.SHOP_ADMIN];

@Resolver()
export class PriceScheduleResolver {
  constructor(private readonly schedule: PriceScheduleService) {}

  @Authorized(...ADMINS)
  @Mutation(() => SchedulePricePayload, {
    description:
      "Set a price for a period in one step: the row is written and the rows of the same scope and product it would overlap are shortened, split or removed, in one transaction, one change in the history and the notices. dryRun: report it all, write nothing.",
  })
  async schedulePrice(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => PriceRowInput, { description: "The price and its period, scope and tier, as for createPriceRow." }) input: PriceRowInput,
    @Arg("dryRun", () => Boolean, {
      description: "true: check and report what would change (rows, prices, gaps) without writing anything.",
      nullable: true,
      defaultValue: false,
    })
    dryRun: boolean | null,
  ): Promise<SchedulePricePayload> {
    const r = await this.schedule.schedulePrice(ctx, input, dryRun ?? false);
    return {
      priceRow: r.value?.row ?? null,
      changeId: r.value?.changeId ?? null,
      rowChanges: (r.value?.rowChanges ?? []) as SchedulePricePayload["rowChanges"],
      changes: (r.value?.changes ?? []) as SchedulePricePayload["changes"],
      gapsOpened: r.value?.gapsOpened ?? [],
      dryRun: (dryRun ?? false) && r.errors.length === 0,
      errors: r.errors,
    };
  }

  @Authorized(...ADMINS)
  @Query(() => PriceGapsPayload, {
    description:
      "Completeness: for a shop group (each of its shops) or one shop and a date range, every template product and sheet range with no price in force. Admins in scope.",
  })
  async priceGaps(
    @Ctx() ctx: RequestContext,
    @Arg("from", () => DateScalar, { description: "First business day to look at." }) from: string,
    @Arg("until", () => DateScalar, { description: "Last business day to look at (inclusive; at most ten years after from)." }) until: string,
    @Arg("shopGroupId", () => ID, { nullable: true, description: "Every shop of this group (group and center admins); or give shopId." })
    shopGroupId?: string | null,
    @Arg("shopId", () => ID, { nullable: true, description: "This shop only; or give shopGroupId." }) shopId?: string | null,
  ): Promise<PriceGapsPayload> {
    const r = await this.schedule.priceGaps(ctx, { shopGroupId, shopId }, from, until);
    return { gaps: r.value ?? [], errors: r.errors };
  }
}
