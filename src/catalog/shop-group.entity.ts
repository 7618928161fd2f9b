import { Column, Entity, PrimaryColumn } from "typeorm";

/** A group of shops whose prices and templates are managed together (seed 003, Fig. 10). */
@Entity("shop_groups")
export class ShopGroupEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;
}
