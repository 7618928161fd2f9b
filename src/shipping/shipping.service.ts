/**
 * The shipping terminal: a delivery order's parcel from the moment it is printed to its delivery.
 * A shipment is made TO_PACK in the transaction that moves its order to PRINTED (dispatch asks,
 * through `printed`), at the lab that printed it. The lab's terminal (its key) or an admin of the
 * order's shop, its group or the center then reports PACKED, SHIPPED, DELIVERED (RETURNED after
 * it left); each report says when the status happened (`at`), and reports are ordered by that,
 * not by arrival: a late, repeated or out-of-order report is answered with the shipment as it is
 * (see shipment-state). The order follows through its own transition table: SHIPPED, then
 * COMPLETED at delivery; its customer hears each change after commit. Concurrent reports on one
 * shipment are serialised by a locking read of its row (SQLite runs one writer at a time), so the
 * newest always wins. Pickup orders are handed over at the counter: a shop admin marks them
 * collected (COMPLETED).
 */
import { randomUUID } from "node:crypto";
import { In, type EntityManager } from "typeorm";
import { forbidden, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { batchLoader } from "../core/loaders";
import { inTransaction, type Outcome, type Tx } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { forUpdate } from "../db/locks";
import { FulfilmentMethod } from "../catalog/fulfilment";
import type { CatalogService } from "../catalog/catalog.service";
import type { OrderEntity } from "../orders/order.entity";
import type { OrderEvent, OrderStatus } from "../orders/order-state";
import type { OrdersService } from "../orders/orders.service";
import { Role } from "../identity/role";
import { ShipmentEntity } from "./shipment.entity";
import { decideUpdate, orderStatusAt, type ShipmentStatus } from "./shipment-state";

/** How far ahead of the center's clock a terminal's `at` may be (clocks drift): beyond it, INVALID_AT. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/** The longest carrier name and tracking number kept. */
export const MAX_TRACKING_TEXT = 100;
/** The most shipments one `shipmentsToShip` answers. */
export const MAX_TO_SHIP = 500;
/** The statuses of a shipment not shipped yet. */
const TO_SHIP: ShipmentStatus[] = ["TO_PACK", "PACKED"];

export interface ShipmentUpdate {
  status: ShipmentStatus;
  carrier: string | null;
  trackingNumber: string | null;
  /** When the status happened; null: now. */
  at: Date | null;
}

export class ShippingService {
  constructor(
    private readonly orders: OrdersService,
    private readonly catalog: CatalogService,
  ) {}

  // ---------------------------------------------------------------- made when printed

  /**
   * The order's job was printed at `labId` (in `tx`, which moved the order to PRINTED): a delivery
   * order gets its shipment, TO_PACK since now; any other order nothing.
   */
  async printed(_ctx: RequestContext, tx: Tx, job: { orderId: string; labId: string }): Promise<void> {
    const order = await this.orders.readForChange(tx.em, job.orderId);
    if (!order || this.orders.handover(order)?.method !== FulfilmentMethod.DELIVERY) return;
    const now = new Date();
    const shipment = Object.assign(new ShipmentEntity(), {
      id: randomUUID(),
      orderId: order.id,
      labId: job.labId,
      status: "TO_PACK" satisfies ShipmentStatus,
      carrier: null,
      trackingNumber: null,
      statusAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await tx.em.insert(ShipmentEntity, shipment);
  }

  // ---------------------------------------------------------------- the terminal's updates

  /**
   * A status reported by the shipping terminal (the printing lab's key) or an admin in scope.
   * Moves forward only and in the order of `at`: a status already passed, the current one again,
   * or an `at` older than the current status's answers the shipment unchanged, without an error;
   * tracking given with such a report never overwrites what is kept; it only fills in a tracking
   * number not known yet. The order follows (SHIPPED, COMPLETED at DELIVERED).
   */
  async update(ctx: RequestContext, shipmentId: string, u: ShipmentUpdate): Promise<Outcome<ShipmentEntity>> {
    const now = Date.now();
    const at = u.at ?? new Date(now);
    const errors: UserErrorData[] = [];
    if (Number.isNaN(at.getTime()) || at.getTime() > now + MAX_CLOCK_SKEW_MS) {
      errors.push(userError("INVALID_AT", `at may be at most ${MAX_CLOCK_SKEW_MS / 1000} s ahead of the center's clock`, ["at"]));
    }
    const carrier = trackingText(u.carrier, "carrier", errors);
    const trackingNumber = trackingText(u.trackingNumber, "trackingNumber", errors);
    if (errors.length > 0) return { value: null, errors };
    return inTransaction(ctx, async (tx) => {
      const shipment = await tx.em.findOne(ShipmentEntity, { where: { id: shipmentId }, ...forUpdate(tx.em) });
      if (!shipment) throw new RollbackWithErrors([userError("NOT_FOUND", `No shipment ${shipmentId}`, ["id"])]);
      const order = await this.orders.readForChange(tx.em, shipment.orderId);
      if (!order) throw new Error(`order ${shipment.orderId} of shipment ${shipment.id} is missing`);
      await this.mayShip(ctx, tx.em, shipment, order);
      const decision = decideUpdate(shipment.status, shipment.statusAt.getTime(), u.status, at.getTime());
      switch (decision.kind) {
        case "REFUSE":
          throw new RollbackWithErrors([userError(decision.code, decision.message, ["status"])]);
        case "IGNORE": {
          // A late or repeated report that brings a tracking number not known yet (its SHIPPED came
          // after DELIVERED, say): filled in. One already known is never overwritten by it.
          const fill = shipment.trackingNumber === null && trackingNumber !== null;
          if (!fill) return shipment;
          await this.write(tx, shipment, { carrier: carrier ?? shipment.carrier, trackingNumber });
          tx.emit("orderUpdate", order.customerUserId, { orderId: order.id, status: order.status });
          return shipment;
        }
        case "MOVE": {
          await this.write(tx, shipment, {
            status: decision.to,
            statusAt: at,
            carrier: carrier ?? shipment.carrier,
            trackingNumber: trackingNumber ?? shipment.trackingNumber,
          });
          const passed = await this.follow(tx, order, decision.to);
          // The customer hears each status the order passed; a shipment move that leaves the order
          // as it is (PACKED, RETURNED) is heard too, with the order's status.
          for (const status of passed.length > 0 ? passed : [order.status]) tx.emit("orderUpdate", order.customerUserId, { orderId: order.id, status });
          return shipment;
        }
      }
    });
  }

  /** The caller may report on this shipment: its lab's key, or an admin of the order's shop (its group's, the center's). */
  private async mayShip(ctx: RequestContext, em: EntityManager, shipment: ShipmentEntity, order: OrderEntity): Promise<void> {
    if (ctx.auth.kind === "lab") {
      if (ctx.auth.labId !== shipment.labId) throw forbidden(`Shipment ${shipment.id} is another lab's`);
      return;
    }
    if (!(await this.orders.adminInScope(ctx, em, order))) throw forbidden(`Shipment ${shipment.id} is outside your scope`);
  }

  /** The shipment's row changed as `patch` says, only from the state it was read in (held until commit). */
  private async write(tx: Tx, shipment: ShipmentEntity, patch: Partial<ShipmentEntity>): Promise<void> {
    const changes = { ...patch, updatedAt: new Date() };
    const r = await tx.em
      .createQueryBuilder()
      .update(ShipmentEntity)
      .set(changes)
      .where("id = :id AND status = :status AND status_at = :at", { id: shipment.id, status: shipment.status, at: shipment.statusAt.getTime() })
      .execute();
    if (r.affected !== 1) throw new Error(`shipment ${shipment.id} changed under its lock`);
    Object.assign(shipment, changes);
  }

  /** The order follows its shipment through the orders' table; the statuses it entered, in order. */
  private async follow(tx: Tx, order: OrderEntity, status: ShipmentStatus): Promise<OrderStatus[]> {
    const target = orderStatusAt(status);
    if (target === null || order.status === target) return [];
    // Delivered straight from PRINTED (the SHIPPED report came late, or never): shipped, then completed.
    const steps: Array<[OrderEvent, OrderStatus]> =
      target === "COMPLETED" && order.status !== "SHIPPED"
        ? [
            ["SHIP", "SHIPPED"],
            ["COMPLETE", "COMPLETED"],
          ]
        : [[target === "SHIPPED" ? "SHIP" : "COMPLETE", target]];
    await this.orders.transition(
      tx.em,
      order,
      steps.map(([e]) => e),
    );
    return steps.map(([, s]) => s);
  }

  // ---------------------------------------------------------------- pickup

  /**
   * A pickup order handed over at the counter: PRINTED -> COMPLETED, by an admin of its shop (its
   * group's, the center's). A delivery order is completed by its shipment (NOT_PICKUP).
   */
  async markCollected(ctx: RequestContext, orderId: string): Promise<Outcome<OrderEntity>> {
    return inTransaction(ctx, async (tx) => {
      const order = await this.orders.readForChange(tx.em, orderId);
      if (!order) throw new RollbackWithErrors([userError("NOT_FOUND", `No order ${orderId}`, ["orderId"])]);
      if (!(await this.orders.adminInScope(ctx, tx.em, order))) throw forbidden(`Order ${orderId} is outside your scope`);
      if (this.orders.handover(order)?.method === FulfilmentMethod.DELIVERY) {
        throw new RollbackWithErrors([userError("NOT_PICKUP", `Order ${orderId} is delivered: its shipment completes it`, ["orderId"])]);
      }
      if (order.status !== "PRINTED") {
        throw new RollbackWithErrors([userError("ILLEGAL_TRANSITION", `An order that is ${order.status} cannot be collected: only PRINTED`, ["orderId"])]);
      }
      await this.orders.transition(tx.em, order, ["COMPLETE"]);
      tx.emit("orderUpdate", order.customerUserId, { orderId: order.id, status: order.status });
      return order;
    });
  }

  // ---------------------------------------------------------------- reading

  /**
   * Delivery orders printed and not shipped yet (TO_PACK, PACKED), oldest first: a lab its own
   * (naming another lab is FORBIDDEN); an admin those of the labs they administer (a shop admin
   * their shop's labs, a group admin their group's, a center admin all), or of the one lab named.
   */
  async toShip(ctx: RequestContext, labId: string | null, first: number): Promise<ShipmentEntity[]> {
    let labs: string[];
    if (ctx.auth.kind === "lab") {
      if (labId !== null && labId !== ctx.auth.labId) throw forbidden("A lab sees only its own shipments");
      labs = [ctx.auth.labId];
    } else {
      const visible = await this.catalog.labs(ctx, labId !== null ? { ids: [labId] } : {});
      if (labId !== null && !visible.some((l) => l.id === labId)) throw forbidden(`Lab ${labId} is not one of your labs`);
      labs = visible.map((l) => l.id);
    }
    if (labs.length === 0) return [];
    return ctx.app.ds.getRepository(ShipmentEntity).find({
      where: { labId: In(labs), status: In(TO_SHIP) },
      order: { createdAt: "ASC", id: "ASC" },
      take: Math.min(Math.max(first, 1), MAX_TO_SHIP),
    });
  }

  /**
   * The shipment of an order the caller may read (the caller read the order itself), batched with
   * the request's others in one query; null for an order without one.
   */
  async ofOrder(ctx: RequestContext, order: OrderEntity): Promise<ShipmentEntity | null> {
    // A lab sees the shipment of an order only while the order is at that lab, as its items.
    if (ctx.auth.kind === "lab" && order.labId !== ctx.auth.labId) return null;
    if (ctx.auth.kind === "user" && ctx.auth.user.role === Role.GENERAL_USER && order.customerUserId !== ctx.auth.user.id) return null;
    return batchLoader(ctx, "shipping:ofOrder", async (ids: readonly string[]) => {
      const rows = await ctx.app.ds.getRepository(ShipmentEntity).find({ where: { orderId: In([...ids]) } });
      return new Map(rows.map((s) => [s.orderId, s]));
    }).load(order.id);
  }
}

/** A carrier or tracking number as kept: trimmed, empty as none, at most MAX_TRACKING_TEXT characters. */
function trackingText(value: string | null, field: string, errors: UserErrorData[]): string | null {
  const v = value?.trim() ?? "";
  if (v.length > MAX_TRACKING_TEXT) errors.push(userError("INVALID_TRACKING", `${field} may be at most ${MAX_TRACKING_TEXT} characters`, [field]));
  return v.length === 0 ? null : v;
}
