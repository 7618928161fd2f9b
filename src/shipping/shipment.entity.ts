import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";
import type { ShipmentStatus } from "./shipment-state";

/**
 * The shipping terminal's record of one delivery order's parcel: made TO_PACK in the transaction
 * that marks the order PRINTED, at the lab that printed it, then moved by that lab's terminal (or
 * an admin in scope) as the parcel is packed, shipped and delivered. `statusAt` is when the
 * current status happened as reported, the clock every later update is compared with.
 */
@Entity("shipments")
@Index("uq_shipments_order", ["orderId"], { unique: true })
@Index("ix_shipments_lab_status", ["labId", "status", "createdAt"])
export class ShipmentEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ name: "order_id", type: "varchar", length: 36 })
  orderId!: string;

  @Column({ name: "lab_id", type: "varchar", length: 64 })
  labId!: string;

  @Column({ type: "varchar", length: 16 })
  status!: ShipmentStatus;

  @Column({ type: "varchar", length: 100, nullable: true })
  carrier!: string | null;

  @Column({ name: "tracking_number", type: "varchar", length: 100, nullable: true })
  trackingNumber!: string | null;

  @Column({ name: "status_at", ...instant })
  statusAt!: Date;

  @Column({ name: "created_at", ...instant })
  createdAt!: Date;

  @Column({ name: "updated_at", ...instant })
  updatedAt!: Date;
}
