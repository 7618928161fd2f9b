import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { badInput } from "../common/errors";
import type { RequestContext } from "../core/request-context";
import { ADMIN_ROLES, LAB, type Principal } from "../identity/role";
import type { OrderEntity } from "../orders/order.entity";
import { OrderPayload, OrderType } from "../orders/orders.types";
import { MAX_TO_SHIP, ShippingService } from "./shipping.service";
import { ShipmentPayload, ShipmentStatusEnum, ShipmentType } from "./shipping.types";

/** The shipping terminal's operations: the lab's list to ship, its status reports, and pickup orders collected. */
@Resolver()
export class ShippingResolver {
  constructor(private readonly shipping: ShippingService) {}

  @Authorized<Principal>(...ADMIN_ROLES, LAB)
  @Query(() => [ShipmentType], { description: "Delivery orders printed and not yet shipped, for the lab (its key) or admins in scope; oldest first." })
  async shipmentsToShip(
    @Ctx() ctx: RequestContext,
    @Arg("labId", () => ID, {
      nullable: true,
      description: "The lab; unset: the calling lab, or every lab the calling admin administers. A lab may name only itself.",
    })
    labId: string | null | undefined,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50, description: `At most this many, oldest first (1 to ${MAX_TO_SHIP}).` })
    first: number | null,
  ): Promise<ShipmentType[]> {
    if (first !== null && (first < 1 || first > MAX_TO_SHIP)) throw badInput(`first must be 1 to ${MAX_TO_SHIP}`, ["first"]);
    return (await this.shipping.toShip(ctx, labId ?? null, first ?? 50)) as unknown as ShipmentType[];
  }

  @Authorized<Principal>(...ADMIN_ROLES, LAB)
  @Mutation(() => ShipmentPayload, {
    description:
      "The shipping terminal (the printing lab's key, or an admin in scope). A status already passed is ignored: late or repeated updates never move a shipment back.",
  })
  async updateShipment(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "The shipment's id." }) id: string,
    @Arg("status", () => ShipmentStatusEnum, { description: "The status reached: TO_PACK -> PACKED -> SHIPPED -> DELIVERED, RETURNED after it left." })
    status: ShipmentStatusEnum,
    @Arg("carrier", () => String, { nullable: true, description: "The carrier (at most 100 characters); unset: kept as it is." })
    carrier?: string | null,
    @Arg("trackingNumber", () => String, {
      nullable: true,
      description: "The carrier's tracking number (at most 100 characters); unset: kept as it is. Never overwrites one given with a newer update.",
    })
    trackingNumber?: string | null,
    @Arg("at", () => Date, {
      nullable: true,
      description: "When the status happened (at most 5 minutes ahead of the center's clock); unset: now. Updates are ordered by it, not by arrival.",
    })
    at?: Date | null,
  ): Promise<ShipmentPayload> {
    const r = await this.shipping.update(ctx, id, { status, carrier: carrier ?? null, trackingNumber: trackingNumber ?? null, at: at ?? null });
    return { shipment: r.value as unknown as ShipmentType | null, errors: r.errors };
  }

  @Authorized(...ADMIN_ROLES)
  @Mutation(() => OrderPayload, {
    description: "A pickup order handed over at the counter: PRINTED -> COMPLETED, by an admin of its shop (its group's, the center's).",
  })
  async markCollected(@Ctx() ctx: RequestContext, @Arg("orderId", () => ID, { description: "The order's id." }) orderId: string): Promise<OrderPayload> {
    const r = await this.shipping.markCollected(ctx, orderId);
    return { order: r.value as unknown as OrderType | null, errors: r.errors };
  }
}

/** An order's shipment, read for a whole page in one batch. */
@Resolver(() => OrderType)
export class OrderShipmentResolver {
  constructor(private readonly shipping: ShippingService) {}

  @FieldResolver(() => ShipmentType, {
    nullable: true,
    description: "A delivery order's parcel once printed (status, carrier, tracking); null for a pickup order and before printing.",
  })
  async shipment(@Root() order: OrderEntity, @Ctx() ctx: RequestContext): Promise<ShipmentType | null> {
    return (await this.shipping.ofOrder(ctx, order)) as unknown as ShipmentType | null;
  }
}
