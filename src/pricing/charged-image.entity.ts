import { Column, Entity, PrimaryColumn } from "typeorm";
import { money } from "../db/columns";

/** A copyrighted stock image: every sheet it is printed on costs a fee for its rights holder. */
@Entity("charged_images")
export class ChargedImageEntity {
  @PrimaryColumn({ name: "image_id", type: "varchar", length: 64 })
  imageId!: string;

  @Column({ name: "fee_per_sheet", ...money })
  feePerSheet!: number;

  @Column({ name: "rights_holder", type: "varchar", length: 200 })
  rightsHolder!: string;
}
