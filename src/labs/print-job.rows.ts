/**
 * The statements of a lab's claim and completion, written by hand: they run twice per printed job,
 * and building them with the query builder each time cost more CPU than running them. Column
 * names are those of PrintJobEntity (and its migration); `jobFromRow` turns a row back into the
 * entity with the same conversions the columns declare.
 */
import type { EntityManager } from "typeorm";
import { toSafeInteger } from "../db/columns";
import { runSql } from "../db/transaction";
import { PrintJobEntity, type PrintJobStatus } from "./print-job.entity";

const JOB_COLUMNS = "id, order_id, lab_id, status, attempts, available_at, lease_token, lease_expires_at, claim_key, last_error, created_at, updated_at";

/** QUEUED and due -> LEASED under this token; 1 when this call won the job. */
export async function leaseJob(em: EntityManager, p: { jobId: string; labId: string; leaseToken: string; leaseExpiresAt: Date; claimKey: string | null; now: Date }): Promise<number> {
  const r = await runSql(
    em,
    "UPDATE print_jobs SET status = 'LEASED', lease_token = ?, lease_expires_at = ?, claim_key = ?, updated_at = ? WHERE id = ? AND lab_id = ? AND status = 'QUEUED' AND available_at <= ?",
    [p.leaseToken, p.leaseExpiresAt.getTime(), p.claimKey, p.now.getTime(), p.jobId, p.labId, p.now.getTime()],
  );
  return r.affected;
}

/** LEASED under this token -> DONE; 1 when this call completed the job. */
export async function finishJob(em: EntityManager, p: { jobId: string; labId: string; leaseToken: string; now: Date }): Promise<number> {
  const r = await runSql(
    em,
    "UPDATE print_jobs SET status = 'DONE', lease_expires_at = NULL, updated_at = ? WHERE id = ? AND lab_id = ? AND status = 'LEASED' AND lease_token = ?",
    [p.now.getTime(), p.jobId, p.labId, p.leaseToken],
  );
  return r.affected;
}

/** The job as stored now, or null. */
export async function readJob(em: EntityManager, jobId: string): Promise<PrintJobEntity | null> {
  const r = await runSql(em, `SELECT ${JOB_COLUMNS} FROM print_jobs WHERE id = ?`, [jobId]);
  return r.rows.length === 0 ? null : jobFromRow(r.rows[0]);
}

const instantOrNull = (v: unknown, what: string): Date | null => (v === null || v === undefined ? null : new Date(toSafeInteger(v, what)));

export function jobFromRow(row: Record<string, unknown>): PrintJobEntity {
  const job = new PrintJobEntity();
  job.id = String(row.id);
  job.orderId = String(row.order_id);
  job.labId = String(row.lab_id);
  job.status = String(row.status) as PrintJobStatus;
  job.attempts = toSafeInteger(row.attempts, "attempts");
  job.availableAt = new Date(toSafeInteger(row.available_at, "available_at"));
  job.leaseToken = row.lease_token === null || row.lease_token === undefined ? null : String(row.lease_token);
  job.leaseExpiresAt = instantOrNull(row.lease_expires_at, "lease_expires_at");
  job.claimKey = row.claim_key === null || row.claim_key === undefined ? null : String(row.claim_key);
  job.lastError = row.last_error === null || row.last_error === undefined ? null : String(row.last_error);
  job.createdAt = new Date(toSafeInteger(row.created_at, "created_at"));
  job.updatedAt = new Date(toSafeInteger(row.updated_at, "updated_at"));
  return job;
}
