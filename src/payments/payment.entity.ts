import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant, money } from "../db/columns";
import type { PaymentMethod, PaymentStatus } from "./payment-state";

/**
 * A reorder's payment (one per order): its amount is the order's quoted total, fixed when the
 * order is placed; its status moves only through payment-state.ts. `version` is raised by every
 * change, and every change is a conditional UPDATE on it.
 */
@Entity("payments")
@Index("uq_payments_order", ["orderId"], { unique: true })
@Index("ix_payments_status", ["status", "createdAt"])
export class PaymentEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ name: "order_id", type: "varchar", length: 64 })
  orderId!: string;

  @Column({ name: "shop_id", type: "varchar", length: 64 })
  shopId!: string;

  @Column({ type: "varchar", length: 10 })
  method!: PaymentMethod;

  @Column({ type: "varchar", length: 10 })
  status!: PaymentStatus;

  @Column({ name: "amount", ...money })
  amount!: number;

  @Column({ type: "varchar", length: 3 })
  currency!: string;

  /** The gateway's reference of the payment (its payment intent), once an event named one. */
  @Column({ name: "provider_ref", type: "varchar", length: 255, nullable: true })
  providerRef!: string | null;

  /** Why it failed or was refunded, in words. */
  @Column({ type: "varchar", length: 500, nullable: true })
  note!: string | null;

  @Column({ type: "int", default: 0 })
  version!: number;

  @Column({ name: "created_at", ...instant })
  createdAt!: Date;

  @Column({ name: "updated_at", ...instant })
  updatedAt!: Date;

  /** When a still-PENDING payment was reported to its shop's admins (reconciliation); null: not yet. */
  @Column({ name: "overdue_noticed_at", ...instant, nullable: true })
  overdueNoticedAt!: Date | null;
}

/** A gateway event processed: its id is unique, so a replay changes nothing. */
@Entity("payment_events")
export class PaymentEventEntity {
  @PrimaryColumn({ type: "varchar", length: 255 })
  id!: string;

  @Column({ type: "varchar", length: 100 })
  type!: string;

  @Column({ name: "payment_id", type: "varchar", length: 64, nullable: true })
  paymentId!: string | null;

  @Column({ name: "received_at", ...instant })
  receivedAt!: Date;
}
