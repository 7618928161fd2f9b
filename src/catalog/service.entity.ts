import { Column, Entity, PrimaryColumn } from "typeorm";
import type { PrintFit } from "./print-sizes";

/**
 * A kind of print a shop offers, e.g. A4 printing (seed 003, Fig. 12), and what it prints on: a
 * named size or millimetres, borderless or not, fill or fit (all null: not stated; see
 * print-sizes.ts).
 */
@Entity("services")
export class ServiceEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;

  /** A name of SHEET_SIZES; null for a custom size (sides only) or none. */
  @Column({ name: "print_size_name", type: "varchar", length: 16, nullable: true })
  printSizeName!: string | null;

  /** The print's sides in millimetres (a named size's copied from the table); null: no size stated. */
  @Column({ name: "print_width_mm", type: "double", nullable: true })
  printWidthMm!: number | null;

  @Column({ name: "print_height_mm", type: "double", nullable: true })
  printHeightMm!: number | null;

  @Column({ name: "print_borderless", type: "boolean", nullable: true })
  printBorderless!: boolean | null;

  @Column({ name: "print_fit", type: "varchar", length: 8, nullable: true })
  printFit!: PrintFit | null;
}
