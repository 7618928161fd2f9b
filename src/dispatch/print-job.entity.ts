import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";

import type { PrintJobStatus } from "./print-job-state";

export type { PrintJobStatus };

/**
 * A confirmed order's print job for its lab. The database is the truth: a lab claims a QUEUED job
 * with a conditional update (one winner), holds it under a lease, and completes it with the lease
 * token; an expired lease puts it back in the queue.
 */
@Entity("print_jobs")
@Index("ix_print_jobs_claimable", ["labId", "status", "availableAt"])
@Index("ix_print_jobs_order", ["orderId"])
// What the center's lease sweeper looks for: lapsed leases, and retries that became due.
@Index("ix_print_jobs_lease", ["status", "leaseExpiresAt"])
@Index("ix_print_jobs_due", ["status", "availableAt"])
export class PrintJobEntity {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ name: "order_id", type: "varchar", length: 36 })
  orderId!: string;

  @Column({ name: "lab_id", type: "varchar", length: 64 })
  labId!: string;

  @Column({ type: "varchar", length: 10 })
  status!: PrintJobStatus;

  @Column({ type: "int", default: 0 })
  attempts!: number;

  /** Not claimable before this instant (a retry's growing delay). */
  @Column({ name: "available_at", ...instant })
  availableAt!: Date;

  @Column({ name: "lease_token", type: "varchar", length: 64, nullable: true })
  leaseToken!: string | null;

  @Column({ name: "lease_expires_at", ...instant, nullable: true })
  leaseExpiresAt!: Date | null;

  /**
   * The key the claimer chose for the claim that holds the lease: the same claim sent again with it
   * (its answer was lost with a connection) gets the same lease back instead of ALREADY_CLAIMED.
   */
  @Column({ name: "claim_key", type: "varchar", length: 64, nullable: true })
  claimKey!: string | null;

  @Column({ name: "last_error", type: "varchar", length: 1000, nullable: true })
  lastError!: string | null;

  @Column({ name: "created_at", ...instant })
  createdAt!: Date;

  @Column({ name: "updated_at", ...instant })
  updatedAt!: Date;
}
