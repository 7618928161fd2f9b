import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

/**
 * An imaging apparatus (a camera, or the uploader tethered to it) of a shop. Its key is shown once
 * and never stored: `hash` is the key's keyed hash under the center's key secret. The device's id is
 * also the key's public prefix, so a key finds its row by primary key.
 */
@Entity("capture_devices")
@Index("ix_capture_devices_shop", ["shopId", "createdAt"])
export class CaptureDeviceEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ name: "shop_id", type: "varchar", length: 64 })
  shopId!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;

  @Column({ type: "varchar", length: 255 })
  hash!: string;

  @Column({ name: "created_at", ...instant })
  createdAt!: Date;

  @Column({ name: "revoked_at", ...instant, nullable: true })
  revokedAt!: Date | null;
}
