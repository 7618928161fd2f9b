import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

/**
 * A report of a change to one administrator concerned by it (seed 003, step S21016: "the
 * processing results are reported to related persons"). Stored, so nothing is missed while offline.
 */
@Entity("notifications")
@Index("ix_notifications_user", ["userId", "createdAt"])
export class NotificationEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ name: "user_id", type: "varchar", length: 64 })
  userId!: string;

  @Column({ type: "varchar", length: 64 })
  kind!: string;

  @Column({ type: "varchar", length: 2000 })
  message!: string;

  /** Who made the change (a user id), when a person did. */
  @Column({ name: "actor_user_id", type: "varchar", length: 64, nullable: true })
  actorUserId!: string | null;

  /** What the notice is about (typed links beside the message); null when it is not about one. */
  @Column({ name: "order_id", type: "varchar", length: 64, nullable: true })
  orderId!: string | null;

  @Column({ name: "product_id", type: "varchar", length: 64, nullable: true })
  productId!: string | null;

  @Column({ name: "lab_id", type: "varchar", length: 64, nullable: true })
  labId!: string | null;

  @Column({ name: "shop_id", type: "varchar", length: 64, nullable: true })
  shopId!: string | null;

  @Column({ name: "shop_group_id", type: "varchar", length: 64, nullable: true })
  shopGroupId!: string | null;

  @Column({ name: "created_at", ...instant })
  createdAt!: Date;

  @Column({ name: "read_at", ...instant, nullable: true })
  readAt!: Date | null;
}
