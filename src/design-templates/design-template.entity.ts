import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

/**
 * A design template (a frame, a card layout), as the center knows it (seed 001, claims 5-6: the labs
 * hold the full template data, the center a lighter version): its id, name, a small preview and the
 * SHA-256 and size of the full file, which only the labs hold.
 */
@Entity("design_templates")
export class DesignTemplateEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;

  /** A data URL (image/png, jpeg, gif or webp, base64), at most 65,535 characters. */
  @Column({ type: "text" })
  preview!: string;

  /** SHA-256 of the full file, lower-case hex. */
  @Column({ type: "varchar", length: 64 })
  sha256!: string;

  /** Size of the full file in bytes. */
  @Column({ type: "int" })
  size!: number;

  @Column({ name: "updated_at", ...instant })
  updatedAt!: Date;
}

/**
 * A design template a lab holds, at the checksum it reported. The lab's report replaces its whole
 * set; a template whose file changed since (another checksum at the center) is held at an old
 * version, which counts as not held.
 */
@Entity("lab_design_templates")
@Index("ix_lab_design_templates_template", ["designTemplateId"])
export class LabDesignTemplateEntity {
  @PrimaryColumn({ name: "lab_id", type: "varchar", length: 64 })
  labId!: string;

  @PrimaryColumn({ name: "design_template_id", type: "varchar", length: 64 })
  designTemplateId!: string;

  @Column({ type: "varchar", length: 64 })
  sha256!: string;

  @Column({ name: "reported_at", ...instant })
  reportedAt!: Date;
}
