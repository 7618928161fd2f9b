import { Column, Entity, PrimaryColumn } from "typeorm";

/** A chargeable part of a service (a basic charge, a sheet charge...) that price rows price (Fig. 13). */
@Entity("products")
export class ProductEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;
}
