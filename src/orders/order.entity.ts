import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant, money } from "../db/columns";
import type { OrderStatus } from "./order-state";

/**
 * A print order (seed 003, Fig. 18): sub-orders per service, items per sub-order. Quoted when
 * placed (the quote frozen with it), confirmed when the customer accepts the total, then assigned
 * to a lab and printed. `version` guards every state change (a conditional update).
 */
@Entity("orders")
@Index("uq_orders_idempotency", ["customerUserId", "idempotencyKey"], { unique: true })
@Index("ix_orders_customer", ["customerUserId", "placedAt"])
@Index("ix_orders_shop", ["shopId", "placedAt"])
@Index("ix_orders_lab", ["labId", "placedAt"])
@Index("ix_orders_placed", ["placedAt"])
export class OrderEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ name: "customer_user_id", type: "varchar", length: 64 })
  customerUserId!: string;

  @Column({ type: "varchar", length: 16 })
  status!: OrderStatus;

  @Column({ name: "shop_id", type: "varchar", length: 64, nullable: true })
  shopId!: string | null;

  @Column({ name: "shop_group_id", type: "varchar", length: 64, nullable: true })
  shopGroupId!: string | null;

  /** For first prints and reorders: the shoot their images come from. */
  @Column({ name: "shoot_id", type: "varchar", length: 64, nullable: true })
  shootId!: string | null;

  @Column({ name: "lab_id", type: "varchar", length: 64, nullable: true })
  labId!: string | null;

  /** What the customer asked for: shopId/labId named, fulfilment, address (JSON). */
  @Column({ name: "request_json", type: "text" })
  requestJson!: string;

  @Column({ name: "quote_json", type: "text", nullable: true })
  quoteJson!: string | null;

  @Column({ name: "quote_total", ...money, nullable: true })
  quoteTotal!: number | null;

  @Column({ type: "varchar", length: 3 })
  currency!: string;

  /** The assignment decision: candidates considered and reasons (JSON), readable by admins. */
  @Column({ name: "assignment_json", type: "text", nullable: true })
  assignmentJson!: string | null;

  @Column({ name: "idempotency_key", type: "varchar", length: 100, nullable: true })
  idempotencyKey!: string | null;

  /** SHA-256 of the normalised input, to refuse a reused idempotency key with a different input. */
  @Column({ name: "request_hash", type: "varchar", length: 64 })
  requestHash!: string;

  @Column({ name: "placed_at", ...instant })
  placedAt!: Date;

  @Column({ name: "quoted_at", ...instant })
  quotedAt!: Date;

  @Column({ name: "confirmed_at", ...instant, nullable: true })
  confirmedAt!: Date | null;

  @Column({ name: "updated_at", ...instant })
  updatedAt!: Date;

  @Column({ type: "int", default: 0 })
  version!: number;
}

/** One sub-order per service; `seq` (1, 2, ...) is unique within its order. */
@Entity("sub_orders")
export class SubOrderEntity {
  @PrimaryColumn({ name: "order_id", type: "varchar", length: 36 })
  orderId!: string;

  @PrimaryColumn({ type: "int" })
  seq!: number;

  @Column({ name: "service_id", type: "varchar", length: 64 })
  serviceId!: string;

  @Column({ type: "int" })
  sheets!: number;
}

/** An image and its place on the sheet. */
@Entity("order_items")
@Index("ix_order_items_order", ["orderId", "subOrderSeq", "position"])
export class OrderItemEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ name: "order_id", type: "varchar", length: 36 })
  orderId!: string;

  @Column({ name: "sub_order_seq", type: "int" })
  subOrderSeq!: number;

  @Column({ type: "int" })
  position!: number;

  @Column({ name: "image_id", type: "varchar", length: 64 })
  imageId!: string;

  /** A design template (frame, card layout) the lab must hold (seed 001, claims 5-6). */
  @Column({ name: "design_template_id", type: "varchar", length: 64, nullable: true })
  designTemplateId!: string | null;

  @Column({ name: "layout_json", type: "text", nullable: true })
  layoutJson!: string | null;
}
