import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

/**
 * Every change to a price row (group, shop, standard, tier) or a shop price allowance: who, when,
 * the row before and after (JSON), kept for audit and for answering "what did this cost then".
 */
@Entity("price_history")
@Index("ix_price_history_product", ["productId", "at"])
export class PriceHistoryEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  /** PRICE_ROW or ALLOWANCE. */
  @Column({ name: "entity_kind", type: "varchar", length: 16 })
  entityKind!: string;

  @Column({ name: "entity_id", type: "varchar", length: 140 })
  entityId!: string;

  @Column({ name: "product_id", type: "varchar", length: 64 })
  productId!: string;

  @Column({ name: "shop_group_id", type: "varchar", length: 64, nullable: true })
  shopGroupId!: string | null;

  @Column({ name: "shop_id", type: "varchar", length: 64, nullable: true })
  shopId!: string | null;

  /** CREATED, UPDATED or DELETED. */
  @Column({ type: "varchar", length: 10 })
  action!: string;

  @Column({ name: "actor_user_id", type: "varchar", length: 64, nullable: true })
  actorUserId!: string | null;

  @Column({ ...instant })
  at!: Date;

  @Column({ type: "text", nullable: true })
  before!: string | null;

  @Column({ type: "text", nullable: true })
  after!: string | null;

  /** Shared by the entries of one change made of several row writes (a scheduled price); null for a single write. */
  @Column({ name: "change_id", type: "varchar", length: 36, nullable: true })
  changeId!: string | null;
}
