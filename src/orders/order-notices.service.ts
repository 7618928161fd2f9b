/**
 * What a shop hears of its orders (seed 003, S22012–13: the order and its amount reach the shop):
 * each order confirmed at the shop, its total and its lab, to the shop's admins. The notices are
 * written with the confirmation (same transaction, or same batch) and rung after its commit.
 */
import type { RequestContext } from "../core/request-context";
import type { Tx } from "../core/unit-of-work";
import type { NotificationsService, ShopAdminsNotice } from "../notifications/notifications.service";
import type { OrderEntity } from "./order.entity";

export const ORDER_RECEIVED = "ORDER_RECEIVED";

export class OrderNoticesService {
  constructor(private readonly notifications: NotificationsService) {}

  /**
   * The notice telling the order's shop admins it was confirmed at `labId` (null: no lab could take
   * it yet), for the confirmation to write with its own statements; null for an order of no shop.
   */
  received(ctx: RequestContext, order: OrderEntity, labId: string | null): ShopAdminsNotice | null {
    if (order.shopId === null) return null;
    const at = labId === null ? "no lab yet" : `lab ${labId}`;
    const message = `Order ${order.id} received at shop ${order.shopId}: total ${order.quoteTotal ?? 0} ${order.currency}, ${at}`;
    return this.notifications.toShopAdmins(ctx, order.shopId, ORDER_RECEIVED, message, { orderId: order.id, labId, shopId: order.shopId });
  }

  /** The same, written in the caller's transaction and rung after its commit. */
  async tellReceived(ctx: RequestContext, tx: Tx, order: OrderEntity, labId: string | null): Promise<void> {
    await this.received(ctx, order, labId)?.write(tx);
  }
}
