/**
 * The statements of a lab's claim and completion, written by hand: they run twice per printed job,
 * and building them with the query builder each time cost more CPU than running them. Column
 * names are those of PrintJobEntity (and its migration); `jobFromRow` turns a row back into the
 * entity with the same conversions the columns declare.
 */
import type { DataSource, EntityManager } from "typeorm";
import { firstRow, instantOrNull, textOrNull, toSafeInteger } from "../db/columns";
import { runCoalesced, type Statement } from "../db/statement-batch";
import { placeholders, runSql, runSqlAlone } from "../db/transaction";
import type { OrderMove } from "../orders/order-state";
import { PrintJobEntity, type PrintJobStatus } from "./print-job.entity";
import { jobMove } from "./print-job-state";

/** The moves these statements make (from the print-job transition table). */
const CLAIM = jobMove("CLAIM");
const COMPLETE = jobMove("COMPLETE");

const JOB_COLUMNS = "id, order_id, lab_id, status, attempts, available_at, lease_token, lease_expires_at, claim_key, last_error, created_at, updated_at";
const JOB_MARKS = placeholders(12);

/** A new job's row, every column given. */
export async function insertJob(em: EntityManager, job: PrintJobEntity): Promise<void> {
  await runSql(em, `INSERT INTO print_jobs (${JOB_COLUMNS}) VALUES (${JOB_MARKS})`, jobValues(job));
}

/**
 * For a batch (db/statement-batch): the new job's row, inserted only when the statement before it
 * changed exactly one row (MySQL/MariaDB's ROW_COUNT()): the job of an order whose conditional
 * UPDATE missed is not queued.
 */
export function insertJobAfterOneRowStatement(job: PrintJobEntity): Statement {
  return { sql: `INSERT INTO print_jobs (${JOB_COLUMNS}) SELECT ${JOB_MARKS} FROM DUAL WHERE ROW_COUNT() = 1`, params: jobValues(job) };
}

function jobValues(job: PrintJobEntity): unknown[] {
  return [
    job.id,
    job.orderId,
    job.labId,
    job.status,
    job.attempts,
    job.availableAt.getTime(),
    job.leaseToken,
    job.leaseExpiresAt?.getTime() ?? null,
    job.claimKey,
    job.lastError,
    job.createdAt.getTime(),
    job.updatedAt.getTime(),
  ];
}

/**
 * QUEUED and due -> LEASED under this token; 1 when this call won the job. With `expect` (the job
 * as last read), also only when every column the claim does not set still holds what was read:
 * then the job's whole row is known without reading it again.
 */
export async function leaseJob(
  em: EntityManager,
  p: { jobId: string; labId: string; leaseToken: string; leaseExpiresAt: Date; claimKey: string | null; now: Date; expect?: PrintJobEntity },
  nullSafeEquals: NullSafeEquals,
): Promise<number> {
  const expect = expectation(p.expect, "", nullSafeEquals);
  const r = await runSql(
    em,
    `UPDATE print_jobs SET status = '${CLAIM.to}', lease_token = ?, lease_expires_at = ?, claim_key = ?, updated_at = ? WHERE id = ? AND lab_id = ? AND status = '${CLAIM.from}' AND available_at <= ?${expect.sql}`,
    [p.leaseToken, p.leaseExpiresAt.getTime(), p.claimKey, p.now.getTime(), p.jobId, p.labId, p.now.getTime(), ...expect.params],
  );
  return r.affected;
}

/** The engine's null-safe equality: SQLite's IS, MySQL/MariaDB's <=>. */
export type NullSafeEquals = "IS" | "<=>";

/** The conditions that a job's unclaimed columns hold what `job` says (none without a job). */
function expectation(job: PrintJobEntity | undefined, alias: string, nullSafeEquals: NullSafeEquals): { sql: string; params: unknown[] } {
  if (!job) return { sql: "", params: [] };
  const a = alias === "" ? "" : `${alias}.`;
  return {
    sql: ` AND ${a}order_id = ? AND ${a}attempts = ? AND ${a}available_at = ? AND ${a}last_error ${nullSafeEquals} ? AND ${a}created_at = ?`,
    params: [job.orderId, job.attempts, job.availableAt.getTime(), job.lastError, job.createdAt.getTime()],
  };
}

/** LEASED under this token -> DONE; 1 when this call completed the job. */
export async function finishJob(em: EntityManager, p: { jobId: string; labId: string; leaseToken: string; now: Date }): Promise<number> {
  const r = await runSql(
    em,
    `UPDATE print_jobs SET status = '${COMPLETE.to}', lease_expires_at = NULL, updated_at = ? WHERE id = ? AND lab_id = ? AND status = '${COMPLETE.from}' AND lease_token = ?`,
    [p.now.getTime(), p.jobId, p.labId, p.leaseToken],
  );
  return r.affected;
}

/**
 * A lease renewed: the job's lease runs out at `leaseExpiresAt` instead, only while it is LEASED
 * with this token for this lab and the new end is later (a renewal never shortens a lease). How
 * many rows changed (0 or 1).
 */
export async function renewJobLease(
  em: EntityManager,
  p: { jobId: string; labId: string; leaseToken: string; leaseExpiresAt: Date; now: Date },
): Promise<number> {
  const r = await runSql(
    em,
    `UPDATE print_jobs SET lease_expires_at = ?, updated_at = ? WHERE id = ? AND lab_id = ? AND status = '${CLAIM.to}' AND lease_token = ? AND lease_expires_at < ?`,
    [p.leaseExpiresAt.getTime(), p.now.getTime(), p.jobId, p.labId, p.leaseToken, p.leaseExpiresAt.getTime()],
  );
  return r.affected;
}

/**
 * MySQL/MariaDB only: the claim and the order's move in one multi-table UPDATE, atomic by itself,
 * so without BEGIN and COMMIT of its own; it goes to MariaDB together with the other claims and
 * completions of the same moment (`runCoalesced`: one round trip, one commit). True when both rows changed; false when nothing did (the
 * job is not QUEUED and due for this lab, or its order cannot move): the caller then takes the
 * transactional way, which tells why.
 */
export async function leaseJobWithOrder(
  ds: DataSource,
  p: { jobId: string; labId: string; leaseToken: string; leaseExpiresAt: Date; claimKey: string | null; now: Date; expect?: PrintJobEntity },
  move: OrderMove,
): Promise<boolean> {
  const now = p.now.getTime();
  // With `expect`, as leaseJob: when it wins, the job's whole row is known.
  const expect = expectation(p.expect, "j", "<=>");
  const r = await runCoalesced(
    ds,
    "UPDATE print_jobs j JOIN orders o ON o.id = j.order_id" +
      ` SET j.status = '${CLAIM.to}', j.lease_token = ?, j.lease_expires_at = ?, j.claim_key = ?, j.updated_at = ?, o.status = ?, o.version = o.version + 1, o.updated_at = ?` +
      ` WHERE j.id = ? AND j.lab_id = ? AND j.status = '${CLAIM.from}' AND j.available_at <= ?${expect.sql} AND o.status IN (${placeholders(move.from.length)})`,
    [p.leaseToken, p.leaseExpiresAt.getTime(), p.claimKey, now, move.to, now, p.jobId, p.labId, now, ...expect.params, ...move.from],
  );
  return bothChanged(r.affected);
}

/**
 * MySQL/MariaDB only: the completion and the order's move in one statement, as leaseJobWithOrder;
 * `orderCondition` (SQL on the order, alias `o`) narrows the orders this way is taken for.
 */
export async function finishJobWithOrder(
  ds: DataSource,
  p: { jobId: string; labId: string; leaseToken: string; now: Date },
  move: OrderMove,
  orderCondition = "",
): Promise<boolean> {
  const now = p.now.getTime();
  const r = await runCoalesced(
    ds,
    "UPDATE print_jobs j JOIN orders o ON o.id = j.order_id" +
      ` SET j.status = '${COMPLETE.to}', j.lease_expires_at = NULL, j.updated_at = ?, o.status = ?, o.version = o.version + 1, o.updated_at = ?` +
      ` WHERE j.id = ? AND j.lab_id = ? AND j.status = '${COMPLETE.from}' AND j.lease_token = ? AND o.status IN (${placeholders(move.from.length)})${orderCondition ? ` AND ${orderCondition}` : ""}`,
    [now, move.to, now, p.jobId, p.labId, p.leaseToken, ...move.from],
  );
  return bothChanged(r.affected);
}

/** The job as committed now, read outside any transaction (MySQL/MariaDB), or null. */
export async function readJobAlone(ds: DataSource, jobId: string): Promise<PrintJobEntity | null> {
  return firstRow(await runSqlAlone(ds, READ_JOB, [jobId]), jobFromRow);
}

function bothChanged(affected: number): boolean {
  // One job row and one order row; the statement's conditions match both or neither.
  if (affected !== 0 && affected !== 2) throw new Error(`a print job's joined update changed ${affected} rows (expected 0 or 2)`);
  return affected === 2;
}

/** The job as stored now, or null. */
export async function readJob(em: EntityManager, jobId: string): Promise<PrintJobEntity | null> {
  return firstRow(await runSql(em, READ_JOB, [jobId]), jobFromRow);
}

const READ_JOB = `SELECT ${JOB_COLUMNS} FROM print_jobs WHERE id = ?`;

export function jobFromRow(row: Record<string, unknown>): PrintJobEntity {
  const job = new PrintJobEntity();
  job.id = String(row.id);
  job.orderId = String(row.order_id);
  job.labId = String(row.lab_id);
  job.status = String(row.status) as PrintJobStatus;
  job.attempts = toSafeInteger(row.attempts, "attempts");
  job.availableAt = new Date(toSafeInteger(row.available_at, "available_at"));
  job.leaseToken = textOrNull(row.lease_token);
  job.leaseExpiresAt = instantOrNull(row.lease_expires_at, "lease_expires_at");
  job.claimKey = textOrNull(row.claim_key);
  job.lastError = textOrNull(row.last_error);
  job.createdAt = new Date(toSafeInteger(row.created_at, "created_at"));
  job.updatedAt = new Date(toSafeInteger(row.updated_at, "updated_at"));
  return job;
}
