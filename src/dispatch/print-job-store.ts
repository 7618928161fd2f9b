/**
 * Where print jobs are stored, and the one place their orders follow them: every statement of
 * dispatch that differs between engines (a claim or completion with its order in one statement, a
 * confirmation in one round trip, locking reads) sits behind `PrintJobStore`, with one
 * implementation per engine (print-job-store.sqlite.ts, print-job-store.mariadb.ts), picked once
 * where the services are built. The services above it plan with the transition tables and never
 * ask which engine runs. What both engines share is written once here.
 */
import { randomUUID } from "node:crypto";
import { In, type DataSource, type EntityManager } from "typeorm";
import { RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { placeholders, runSql, withTransaction } from "../db/transaction";
import type { Outcome, Tx } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { movesOf, type OrderEvent, type OrderMove } from "../orders/order-state";
import { OrderEntity } from "../orders/order.entity";
import type { ShopAdminsNotice } from "../notifications/notifications.service";
import { OrderOwners } from "./order-owners";
import { PrintJobEntity } from "./print-job.entity";
import { isFinished, jobMove, PRINT_JOB_STATUSES, type PrintJobEvent } from "./print-job-state";
import { finishJob, insertJob, leaseJob, readJob, renewJobLease, type NullSafeEquals } from "./print-job.rows";

/** A claim's lease on a job for a lab, starting `now`. */
export interface Lease {
  jobId: string;
  labId: string;
  leaseToken: string;
  leaseExpiresAt: Date;
  claimKey: string | null;
  now: Date;
}

/** A completion: the job, its lab and the lease token it was claimed with. */
export interface Finish {
  jobId: string;
  labId: string;
  leaseToken: string;
  now: Date;
}

/** What confirming an order comes to, decided by the orders service from the order as read. */
export type ConfirmPlan =
  { errors: UserErrorData[] } | { already: OrderEntity } | { order: OrderEntity; patch: Partial<OrderEntity>; labId: string; notice?: ShopAdminsNotice };

/** Decides a confirmation from the order as read (or remembered); `em` reads anything else it needs. */
export type ConfirmPlanner = (em: EntityManager, order: OrderEntity | null) => Promise<ConfirmPlan>;

/**
 * A confirmation to run again from the order as stored: its version-checked UPDATE missed (the
 * order changed meanwhile), or the remembered order would not be confirmed as it is.
 */
export const READ_AGAIN = "READ_AGAIN";

/** A renewal: the lease of `leaseToken` on the job runs out at `leaseExpiresAt` instead. */
export interface Renewal {
  jobId: string;
  labId: string;
  leaseToken: string;
  leaseExpiresAt: Date;
  now: Date;
}

/** How a lapsed or failed lease ends: the job's columns after it. */
export type LeaseEnd = Pick<PrintJobEntity, "status" | "attempts" | "leaseToken" | "leaseExpiresAt" | "lastError" | "updatedAt"> &
  Partial<Pick<PrintJobEntity, "availableAt">>;

export interface PrintJobStore {
  readonly engine: "sqlite" | "mariadb";
  /** The customers of the orders confirmed here, for their order updates (see OrderOwners). */
  readonly owners: OrderOwners;

  /**
   * One round of confirming an order: reads it (unless `known`), lets `plan` decide, and when it
   * decides to write, makes the order's version-checked UPDATE and the new job's INSERT together
   * (the job only when the order changed), the lab rung and the customer told after commit. READ_AGAIN when the UPDATE
   * missed, or when `known` would not be confirmed as it is.
   */
  confirmWithJob(ctx: RequestContext, orderId: string, known: OrderEntity | null, plan: ConfirmPlanner): Promise<Outcome<OrderEntity> | typeof READ_AGAIN>;

  /** A new job for the order at the lab, in the transaction; its lab rung after commit. */
  queue(tx: Tx, orderId: string, labId: string): Promise<PrintJobEntity>;

  /**
   * The order's open jobs withdrawn (QUEUED -> FAILED with `reason`), each lab rung after commit.
   * Null when one of them is claimed already (the order is printing): the caller rolls back.
   */
  withdraw(tx: Tx, orderId: string, reason: string): Promise<PrintJobEntity[] | null>;

  /**
   * The usual claim in one statement outside any transaction, the order moving with it; the job
   * as leased, or null when that way is not taken or did not win (the transactional way follows).
   */
  claimAtOnce(ds: DataSource, lease: Lease, known: PrintJobEntity | undefined): Promise<PrintJobEntity | null>;

  /** The claim in a transaction (the order is moved by the caller): the job as leased, or null when it did not win. */
  claim(em: EntityManager, lease: Lease, known: PrintJobEntity | undefined): Promise<PrintJobEntity | null>;

  /**
   * The usual completion in one statement outside any transaction, the order moving with it; null
   * when not taken or not won. Never taken for a delivery order: what is written when it is
   * printed (its shipment) goes in the transaction of the completion.
   */
  finishAtOnce(ds: DataSource, finish: Finish, granted: PrintJobEntity | undefined): Promise<PrintJobEntity | null>;

  /** The completion in a transaction (the order is moved by the caller): the job as done, or null when it did not win. */
  finish(em: EntityManager, finish: Finish, granted: PrintJobEntity | undefined): Promise<PrintJobEntity | null>;

  /**
   * The lease pushed out to `renewal.leaseExpiresAt` while the job is LEASED with its token (a
   * lease that ran out but was not swept yet included: nobody else holds the job), never shortened.
   * True when the row changed.
   */
  renewLease(em: EntityManager, renewal: Renewal): Promise<boolean>;

  /**
   * Ends the lease of `held` (read in this transaction) as `end` says, only while it is still that
   * lease (and, with `lapsedBefore`, only when it ran out before then); the job after, or null
   * when someone else ended it first.
   */
  endLease(em: EntityManager, held: PrintJobEntity, end: LeaseEnd, lapsedBefore: Date | null): Promise<PrintJobEntity | null>;

  /**
   * The order follows its job (a claim, a completion, a failure, a requeue): one conditional
   * UPDATE from every state `event` may leave; when the order is in none of them, it is read to
   * say why and the transaction rolls back (ILLEGAL_TRANSITION).
   */
  moveOrder(em: EntityManager, orderId: string, event: OrderEvent): Promise<void>;

  /** The job as it now stands (the latest commit, even inside a transaction), or null. */
  current(em: EntityManager, jobId: string, labId: string): Promise<PrintJobEntity | null>;

  /** LEASED jobs whose lease ran out before `now`, the oldest first, and QUEUED retries that became due in (since, now]. */
  lapsedAndDue(ds: DataSource, since: number, now: Date, limit: number): Promise<{ expired: PrintJobEntity[]; due: PrintJobEntity[] }>;
}

const CLAIM = jobMove("CLAIM");
/** The states of a job not yet ended. */
const OPEN = PRINT_JOB_STATUSES.filter((s) => !isFinished(s));
const WITHDRAW = jobMove("WITHDRAW");

/** The statements both engines run alike. */
export abstract class SqlPrintJobStore implements PrintJobStore {
  abstract readonly engine: "sqlite" | "mariadb";
  readonly owners = new OrderOwners();
  /** The engine's null-safe equality, for a claim that expects the columns it read. */
  protected abstract readonly nullSafeEquals: NullSafeEquals;
  abstract confirmWithJob(
    ctx: RequestContext,
    orderId: string,
    known: OrderEntity | null,
    plan: ConfirmPlanner,
  ): Promise<Outcome<OrderEntity> | typeof READ_AGAIN>;
  abstract claimAtOnce(ds: DataSource, lease: Lease, known: PrintJobEntity | undefined): Promise<PrintJobEntity | null>;
  abstract claim(em: EntityManager, lease: Lease, known: PrintJobEntity | undefined): Promise<PrintJobEntity | null>;
  abstract finishAtOnce(ds: DataSource, finish: Finish, granted: PrintJobEntity | undefined): Promise<PrintJobEntity | null>;
  abstract current(em: EntityManager, jobId: string, labId: string): Promise<PrintJobEntity | null>;

  async queue(tx: Tx, orderId: string, labId: string): Promise<PrintJobEntity> {
    const job = newJob(orderId, labId);
    await insertJob(tx.em, job);
    tx.emit("printJob", labId, { jobId: job.id });
    return job;
  }

  async withdraw(tx: Tx, orderId: string, reason: string): Promise<PrintJobEntity[] | null> {
    // Open jobs: those the table lets a claim or its end leave. Each is withdrawn with a
    // conditional update: if the lab claimed it meanwhile, it is printing.
    const open = await tx.em.find(PrintJobEntity, { where: { orderId, status: In(OPEN) } });
    for (const job of open) {
      const now = new Date();
      const r = await tx.em.update(PrintJobEntity, { id: job.id, status: WITHDRAW.from }, { status: WITHDRAW.to, lastError: reason, updatedAt: now });
      if (r.affected !== 1) return null;
      Object.assign(job, { status: WITHDRAW.to, lastError: reason, updatedAt: now });
      tx.emit("printJob", job.labId, { jobId: job.id });
    }
    return open;
  }

  async finish(em: EntityManager, p: Finish, granted: PrintJobEntity | undefined): Promise<PrintJobEntity | null> {
    if ((await finishJob(em, p)) !== 1) return null;
    const job = granted ? done(granted, p.now) : await readJob(em, p.jobId);
    if (!job) throw new Error(`print job ${p.jobId} vanished after its completion`);
    return job;
  }

  async renewLease(em: EntityManager, renewal: Renewal): Promise<boolean> {
    return (await renewJobLease(em, renewal)) === 1;
  }

  async endLease(em: EntityManager, held: PrintJobEntity, end: LeaseEnd, lapsedBefore: Date | null): Promise<PrintJobEntity | null> {
    const event: PrintJobEvent = end.status === "FAILED" ? "FAIL" : "REQUEUE";
    const move = jobMove(event);
    if (end.status !== move.to) throw new Error(`a lease cannot end in ${end.status}`);
    const qb = em
      .createQueryBuilder()
      .update(PrintJobEntity)
      .set(end)
      .where("id = :id AND status = :from AND lease_token = :tok AND attempts = :a", { id: held.id, from: move.from, tok: held.leaseToken, a: held.attempts });
    if (lapsedBefore) qb.andWhere("lease_expires_at < :now", { now: lapsedBefore.getTime() });
    const res = await qb.execute();
    if (res.affected !== 1) return null;
    return em.findOneOrFail(PrintJobEntity, { where: { id: held.id } });
  }

  async moveOrder(em: EntityManager, orderId: string, event: OrderEvent): Promise<void> {
    const moves = movesOf(event);
    // Hand-written: it runs with every claim and completion of a print job.
    const r = await runSql(
      em,
      `UPDATE orders SET status = ?, version = version + 1, updated_at = ? WHERE id = ? AND status IN (${placeholders(moves.from.length)})`,
      [moves.to, Date.now(), orderId, ...moves.from],
    );
    if (r.affected === 1) return;
    const order = await em.findOne(OrderEntity, { where: { id: orderId }, select: { id: true, status: true } });
    if (!order) throw new Error(`order ${orderId} of a print job is missing`);
    throw new RollbackWithErrors([
      userError("ILLEGAL_TRANSITION", `An order that is ${order.status} cannot ${event.toLowerCase().replace("_", " ")}`, ["orderId"]),
    ]);
  }

  async lapsedAndDue(ds: DataSource, since: number, now: Date, limit: number): Promise<{ expired: PrintJobEntity[]; due: PrintJobEntity[] }> {
    return withTransaction(ds, async (em) => ({
      expired: await em
        .getRepository(PrintJobEntity)
        .createQueryBuilder("j")
        .where("j.status = :leased AND j.lease_expires_at < :now", { leased: CLAIM.to, now: now.getTime() })
        .orderBy("j.lease_expires_at", "ASC")
        .limit(limit)
        .getMany(),
      due: await em
        .getRepository(PrintJobEntity)
        .createQueryBuilder("j")
        .where("j.status = :queued AND j.attempts > 0 AND j.available_at > :since AND j.available_at <= :now", {
          queued: CLAIM.from,
          since,
          now: now.getTime(),
        })
        .limit(10 * limit)
        .getMany(),
    }));
  }

  /** The claim's conditional UPDATE in `em`, then the job: as `known` when given and still so, else read back. */
  protected async leaseAndRead(em: EntityManager, lease: Lease, known: PrintJobEntity | undefined): Promise<PrintJobEntity | null> {
    if (known && (await leaseJob(em, { ...lease, expect: known }, this.nullSafeEquals)) === 1) return leased(known, lease);
    if ((await leaseJob(em, lease, this.nullSafeEquals)) !== 1) return null;
    const job = await readJob(em, lease.jobId);
    if (!job) throw new Error(`print job ${lease.jobId} vanished after its claim`);
    return job;
  }
}

/** The order move of a claim and of a completion (from the orders' transition table). */
export const START_PRINTING: OrderMove = movesOf("START_PRINTING");
export const FINISH_PRINTING: OrderMove = movesOf("FINISH_PRINTING");

/** A print job for the order at the lab, queued and due now. */
export function newJob(orderId: string, labId: string): PrintJobEntity {
  const now = new Date();
  return Object.assign(new PrintJobEntity(), {
    id: randomUUID(),
    orderId,
    labId,
    status: CLAIM.from,
    attempts: 0,
    availableAt: now,
    leaseToken: null,
    leaseExpiresAt: null,
    claimKey: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  });
}

/** `job` (as read while QUEUED) once the UPDATE of this lease won it. */
export function leased(job: PrintJobEntity, lease: Lease): PrintJobEntity {
  return Object.assign(new PrintJobEntity(), job, {
    status: CLAIM.to,
    leaseToken: lease.leaseToken,
    leaseExpiresAt: lease.leaseExpiresAt,
    claimKey: lease.claimKey,
    updatedAt: lease.now,
  });
}

/** `job` (as leased) once its completion's UPDATE won. */
export function done(job: PrintJobEntity, now: Date): PrintJobEntity {
  return Object.assign(new PrintJobEntity(), job, { status: jobMove("COMPLETE").to, leaseExpiresAt: null, updatedAt: now });
}
