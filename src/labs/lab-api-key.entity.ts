import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

/**
 * A lab daemon's credential. The key itself is shown once and never stored: `hash` is its argon2id
 * hash, `lookup` a short prefix of its SHA-256 that finds the candidate row without scanning every
 * key (too short to stand in for the key).
 */
@Entity("lab_api_keys")
export class LabApiKeyEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Index("ix_lab_api_keys_lab")
  @Column({ name: "lab_id", type: "varchar", length: 64 })
  labId!: string;

  @Index("ix_lab_api_keys_lookup")
  @Column({ type: "varchar", length: 16 })
  lookup!: string;

  @Column({ type: "varchar", length: 255 })
  hash!: string;

  @Column({ type: "varchar", length: 200, default: "" })
  label!: string;

  @Column({ name: "created_at", ...instant })
  createdAt!: Date;

  @Column({ name: "revoked_at", ...instant, nullable: true })
  revokedAt!: Date | null;
}
