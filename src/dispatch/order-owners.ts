/**
 * Whose order a print job serves, for the customer's `orderUpdates` as the job moves the order.
 * A claim or completion moves the order without reading it (one statement on MariaDB), so the
 * customer of each order this process confirmed is remembered here; an order confirmed by another
 * process (or forgotten) is read once. Whether it is delivered is remembered with it when known
 * (from the confirmation), so that completing a pickup order asks shipping nothing. Bounded: the
 * oldest entries go first.
 */
import type { EntityManager } from "typeorm";
import { OrderEntity } from "../orders/order.entity";

const MAX_ENTRIES = 100_000;

export class OrderOwners {
  private readonly owners = new Map<string, { customer: string; delivered?: boolean }>();

  remember(orderId: string, customerUserId: string, delivered?: boolean): void {
    if (this.owners.size >= MAX_ENTRIES) this.owners.delete(this.owners.keys().next().value!);
    this.owners.set(orderId, { customer: customerUserId, delivered: delivered ?? this.owners.get(orderId)?.delivered });
  }

  /** Whether the order is delivered, when this process knows (it confirmed the order); undefined otherwise. */
  delivered(orderId: string): boolean | undefined {
    return this.owners.get(orderId)?.delivered;
  }

  /** The customer of the order, or null when there is no such order. */
  async of(em: EntityManager, orderId: string): Promise<string | null> {
    const known = this.owners.get(orderId);
    if (known !== undefined) return known.customer;
    const order = await em.findOne(OrderEntity, { where: { id: orderId }, select: { id: true, customerUserId: true } });
    if (order) this.remember(orderId, order.customerUserId);
    return order?.customerUserId ?? null;
  }
}
