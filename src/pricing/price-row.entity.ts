import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant, money } from "../db/columns";

/**
 * A price for one product over a period (seed 003, Fig. 17; tiers: Fig. 25). Its scope is a shop
 * group, one shop (a shop price, which wins over the group's) or neither (a standard price).
 * minSheets/maxSheets make it a sheet-count tier. Dates are inclusive business dates.
 */
@Entity("price_rows")
@Index("ix_price_rows_group", ["shopGroupId", "productId"])
@Index("ix_price_rows_shop", ["shopId", "productId"])
@Index("ix_price_rows_product", ["productId"])
export class PriceRowEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ name: "shop_group_id", type: "varchar", length: 64, nullable: true })
  shopGroupId!: string | null;

  @Column({ name: "shop_id", type: "varchar", length: 64, nullable: true })
  shopId!: string | null;

  @Column({ name: "product_id", type: "varchar", length: 64 })
  productId!: string;

  @Column({ name: "valid_from", type: "varchar", length: 10 })
  validFrom!: string;

  @Column({ name: "valid_until", type: "varchar", length: 10, nullable: true })
  validUntil!: string | null;

  @Column({ name: "basic_charge", ...money })
  basicCharge!: number;

  @Column({ name: "amount_charge", ...money })
  amountCharge!: number;

  @Column({ name: "min_sheets", type: "int", nullable: true })
  minSheets!: number | null;

  @Column({ name: "max_sheets", type: "int", nullable: true })
  maxSheets!: number | null;

  @Column({ name: "updated_at", ...instant })
  updatedAt!: Date;
}
