import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

/**
 * An image captured at a shoot: the image itself is a row of `images` (bytes in the image store);
 * this row ties it to its shoot, its subject and the device that sent it. The same bytes into the
 * same shoot are one image (unique shoot and SHA-256), so a retrying camera stores one.
 */
@Entity("shoot_images")
@Index("ux_shoot_images_sha", ["shootId", "sha256"], { unique: true })
@Index("ix_shoot_images_subject", ["shootId", "subject", "createdAt"])
@Index("ix_shoot_images_order", ["shootId", "createdAt"])
export class ShootImageEntity {
  @PrimaryColumn({ name: "image_id", type: "varchar", length: 64 })
  imageId!: string;

  @Column({ name: "shoot_id", type: "varchar", length: 64 })
  shootId!: string;

  @Column({ type: "varchar", length: 64 })
  sha256!: string;

  @Column({ type: "int" })
  width!: number;

  @Column({ type: "int" })
  height!: number;

  /** Whom it shows, as tagged at capture; null: untagged. */
  @Column({ type: "varchar", length: 100, nullable: true })
  subject!: string | null;

  @Column({ name: "device_id", type: "varchar", length: 64, nullable: true })
  deviceId!: string | null;

  @Column({ name: "created_at", ...instant })
  createdAt!: Date;
}
