import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/** A printing shop; it always belongs to exactly one shop group (seed 003, Fig. 9 and 11). */
@Entity("shops")
export class ShopEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;

  @Index("ix_shops_group")
  @Column({ name: "shop_group_id", type: "varchar", length: 64 })
  shopGroupId!: string;

  @Column({ name: "admin_user_id", type: "varchar", length: 64, nullable: true })
  adminUserId!: string | null;

  @Column({ type: "double", nullable: true })
  lat!: number | null;

  @Column({ type: "double", nullable: true })
  lng!: number | null;

  @Column({ name: "postal_code", type: "varchar", length: 20, nullable: true })
  postalCode!: string | null;

  @Column({ type: "varchar", length: 100, nullable: true })
  region!: string | null;
}
