import { Column, Entity, PrimaryColumn } from "typeorm";

/** A kind of print a shop offers, e.g. A4 printing (seed 003, Fig. 12). */
@Entity("services")
export class ServiceEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;
}
