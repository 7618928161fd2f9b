import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

/**
 * A code that shows a customer some images of a shoot. The code is a credential: only its keyed
 * hash is stored (`id`, under the center's key secret), so a code is found by primary key and a
 * copy of the database shows none.
 */
@Entity("access_codes")
@Index("ix_access_codes_shoot", ["shootId", "subject"])
export class AccessCodeEntity {
  /** The keyed hash of the normalised code. */
  @PrimaryColumn({ type: "varchar", length: 80 })
  id!: string;

  @Column({ name: "shoot_id", type: "varchar", length: 64 })
  shootId!: string;

  /** Only images tagged with this subject; null: every image of the shoot. */
  @Column({ type: "varchar", length: 100, nullable: true })
  subject!: string | null;

  @Column({ name: "expires_at", ...instant, nullable: true })
  expiresAt!: Date | null;

  @Column({ name: "created_by", type: "varchar", length: 64 })
  createdBy!: string;

  @Column({ name: "created_at", ...instant })
  createdAt!: Date;
}
