import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

/**
 * An uploaded image (a customer's photo, or a stock image a center admin stored under a chosen id;
 * charged images are stock images). The bytes live in the image store; this row holds what was
 * checked on upload: type from the bytes, size, SHA-256 and pixel size.
 */
@Entity("images")
@Index("ix_images_owner", ["ownerUserId", "createdAt"])
export class ImageEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  /** The uploader; null for stock images, which every order may use. */
  @Column({ name: "owner_user_id", type: "varchar", length: 64, nullable: true })
  ownerUserId!: string | null;

  @Column({ type: "boolean", default: false })
  stock!: boolean;

  @Column({ name: "content_type", type: "varchar", length: 40 })
  contentType!: string;

  @Column({ type: "bigint", transformer: { to: (v: number) => v, from: (v: unknown) => Number(v) } })
  bytes!: number;

  @Column({ type: "varchar", length: 64 })
  sha256!: string;

  @Column({ type: "int" })
  width!: number;

  @Column({ type: "int" })
  height!: number;

  /** Where the store keeps the original (and `<key>.thumb.jpg` the thumbnail). */
  @Column({ name: "storage_key", type: "varchar", length: 200 })
  storageKey!: string;

  @Column({ name: "created_at", ...instant })
  createdAt!: Date;
}
