import { Column, Entity, PrimaryColumn } from "typeorm";

/** Installation-wide values that come with the catalog (the currency, for one). */
@Entity("settings")
export class SettingEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  key!: string;

  @Column({ type: "varchar", length: 1000 })
  value!: string;
}
