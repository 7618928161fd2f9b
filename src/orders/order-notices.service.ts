/**
 * What a shop hears of its orders (seed 003, S22012–13: the order and its amount reach the shop):
 * each order confirmed at the shop, its total and its lab, to the shop's admins. The notices are
 * written with the confirmation (same transaction, or same batch) and rung after its commit.
 */
import type { EntityManager } from "typeorm";
import type { RequestContext } from "../core/request-context";
import type { Tx } from "../core/unit-of-work";
import type { NotificationEntity } from "../notifications/notification.entity";
import type { NotificationsService } from "../notifications/notifications.service";
import type { OrderEntity } from "./order.entity";

export const ORDER_RECEIVED = "ORDER_RECEIVED";

export class OrderNoticesService {
  constructor(private readonly notifications: NotificationsService) {}

  /** The rows telling the order's shop admins it was confirmed at `labId` (null: no lab could take it yet). */
  async received(ctx: RequestContext, em: EntityManager, order: OrderEntity, labId: string | null): Promise<NotificationEntity[]> {
    if (order.shopId === null) return [];
    const admins = await this.notifications.shopAdminsOf(em, order.shopId);
    if (admins.length === 0) return [];
    const at = labId === null ? "no lab yet" : `lab ${labId}`;
    const message = `Order ${order.id} received at shop ${order.shopId}: total ${order.quoteTotal ?? 0} ${order.currency}, ${at}`;
    return this.notifications.compose(ctx, admins, ORDER_RECEIVED, message, { orderId: order.id, labId, shopId: order.shopId });
  }

  /** The same, written in the caller's transaction and rung after its commit. */
  async tellReceived(ctx: RequestContext, tx: Tx, order: OrderEntity, labId: string | null): Promise<void> {
    const rows = await this.received(ctx, tx.em, order, labId);
    await this.notifications.sendComposed(tx, rows);
  }
}
