import { Column, Entity, PrimaryColumn } from "typeorm";
import { money } from "../db/columns";

/** What a shop admin may set for their own shop's price of a product, as the group admin allows. */
@Entity("shop_price_allowances")
export class ShopPriceAllowanceEntity {
  @PrimaryColumn({ name: "shop_id", type: "varchar", length: 64 })
  shopId!: string;

  @PrimaryColumn({ name: "product_id", type: "varchar", length: 64 })
  productId!: string;

  @Column({ name: "min_basic_charge", ...money })
  minBasicCharge!: number;

  @Column({ name: "max_basic_charge", ...money })
  maxBasicCharge!: number;

  @Column({ name: "min_amount_charge", ...money })
  minAmountCharge!: number;

  @Column({ name: "max_amount_charge", ...money })
  maxAmountCharge!: number;
}
