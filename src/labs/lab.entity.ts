import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

/**
 * A lab: a print server that belongs to a shop (whose group prices its orders), offers some
 * services and fulfilment flows, and pulls its print jobs from the center (seed 000 and 001).
 */
@Entity("labs")
export class LabEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;

  @Index("ix_labs_shop")
  @Column({ name: "shop_id", type: "varchar", length: 64 })
  shopId!: string;

  /** Comma-separated FulfilmentMethod values, e.g. "PICKUP,DELIVERY". */
  @Column({ type: "varchar", length: 100 })
  fulfilment!: string;

  @Column({ type: "boolean", default: false })
  express!: boolean;

  @Column({ name: "capacity_sheets_per_hour", type: "int" })
  capacitySheetsPerHour!: number;

  @Column({ type: "double", nullable: true })
  lat!: number | null;

  @Column({ type: "double", nullable: true })
  lng!: number | null;

  @Column({ name: "postal_code", type: "varchar", length: 20, nullable: true })
  postalCode!: string | null;

  @Column({ type: "varchar", length: 100, nullable: true })
  region!: string | null;

  @Column({ type: "boolean", default: false })
  disabled!: boolean;

  /** The largest order, in sheets, the lab takes (seed 000 claim 6, the order's content); null: no limit. */
  @Column({ name: "max_order_sheets", type: "int", nullable: true })
  maxOrderSheets!: number | null;

  /** The latest load report (seed 000, claim 3): 0 idle, 1 full, more when overbooked. */
  @Column({ name: "load_utilisation", type: "double", nullable: true })
  loadUtilisation!: number | null;

  @Column({ name: "load_queued_jobs", type: "int", nullable: true })
  loadQueuedJobs!: number | null;

  @Column({ name: "load_queued_sheets", type: "int", nullable: true })
  loadQueuedSheets!: number | null;

  @Column({ name: "load_reported_at", ...instant, nullable: true })
  loadReportedAt!: Date | null;

  /** Last time the lab's daemon was heard from (a request or an open subscription). */
  @Column({ name: "last_seen_at", ...instant, nullable: true })
  lastSeenAt!: Date | null;
}

/** The services a lab can print. */
@Entity("lab_services")
export class LabServiceEntity {
  @PrimaryColumn({ name: "lab_id", type: "varchar", length: 64 })
  labId!: string;

  @PrimaryColumn({ name: "service_id", type: "varchar", length: 64 })
  serviceId!: string;
}
