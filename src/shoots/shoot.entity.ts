import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

/**
 * A shoot (seed 002): an event or a studio session of one shop. Its capture devices upload images
 * into it; its first-print lab prints the first prints; customers reorder its images through access
 * codes until `availableUntil`. Once retired (`retiredAt`), its images are gone from the store.
 */
@Entity("shoots")
@Index("ix_shoots_shop", ["shopId", "createdAt"])
@Index("ix_shoots_available", ["availableUntil"])
export class ShootEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ name: "shop_id", type: "varchar", length: 64 })
  shopId!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;

  @Column({ name: "first_print_lab_id", type: "varchar", length: 64 })
  firstPrintLabId!: string;

  /** The last day (YYYY-MM-DD, inclusive) customers may see and reorder its images; null: no end. */
  @Column({ name: "available_until", type: "varchar", length: 10, nullable: true })
  availableUntil!: string | null;

  /** How many images it holds (kept with each image stored, so that reading it costs no count). */
  @Column({ name: "image_count", type: "int", default: 0 })
  imageCount!: number;

  /** When the shop's admins were told its images will be removed; null: not yet. */
  @Column({ name: "retirement_noticed_at", ...instant, nullable: true })
  retirementNoticedAt!: Date | null;

  /** When its images were removed from the store; null: still kept. */
  @Column({ name: "retired_at", ...instant, nullable: true })
  retiredAt!: Date | null;

  @Column({ name: "created_by", type: "varchar", length: 64 })
  createdBy!: string;

  @Column({ name: "created_at", ...instant })
  createdAt!: Date;
}
