import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

/**
 * One load report of a lab, kept as a time series (seed 000, claim 3: the lab's load feeds the
 * assignment; the labs row holds only the latest). Appended by `reportLabLoad`, read newest first.
 */
@Entity("lab_load_reports")
@Index("ix_lab_load_reports_lab", ["labId", "reportedAt"])
export class LabLoadReportEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ name: "lab_id", type: "varchar", length: 64 })
  labId!: string;

  @Column({ name: "reported_at", ...instant })
  reportedAt!: Date;

  @Column({ name: "queued_jobs", type: "int" })
  queuedJobs!: number;

  @Column({ name: "queued_sheets", type: "int" })
  queuedSheets!: number;

  @Column({ type: "double" })
  utilisation!: number;
}

/**
 * A lab's printing history (seed 001, claim 4: the lab sends its printing-history data and the
 * center keeps it as a database): one row per job and lab, so that a resent batch stores nothing
 * twice. `businessDate` is the business date of `printedAt` in BUSINESS_TIMEZONE when it was
 * reported, which is what the per-day statistics group by.
 */
@Entity("print_history")
@Index("ix_print_history_day", ["labId", "businessDate"])
export class PrintHistoryEntity {
  @PrimaryColumn({ name: "lab_id", type: "varchar", length: 64 })
  labId!: string;

  @PrimaryColumn({ name: "job_id", type: "varchar", length: 36 })
  jobId!: string;

  @Column({ name: "order_id", type: "varchar", length: 36 })
  orderId!: string;

  @Column({ name: "printed_at", ...instant })
  printedAt!: Date;

  @Column({ name: "business_date", type: "varchar", length: 10 })
  businessDate!: string;

  @Column({ type: "int" })
  sheets!: number;

  @Column({ type: "varchar", length: 200, nullable: true })
  printer!: string | null;

  @Column({ type: "boolean" })
  ok!: boolean;

  @Column({ name: "reported_at", ...instant })
  reportedAt!: Date;
}
