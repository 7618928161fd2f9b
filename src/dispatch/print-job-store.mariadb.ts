/**
 * The print-job store on MySQL/MariaDB, where each round trip counts: a confirmation's order
 * UPDATE and job INSERT go in one batch; the usual claim and completion move the job and its order
 * in one multi-table UPDATE, atomic without a transaction around it (coalesced with the others of
 * the same moment). Anything unusual (a claim sent again, a lost lease, an order that cannot move)
 * and the completion of a delivery order (its shipment is written with it) take the transactional way, where reads of the job lock it to see the latest commit.
 */
import type { DataSource, EntityManager } from "typeorm";
import { runBatch } from "../db/statement-batch";
import type { Outcome } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import type { OrderEntity } from "../orders/order.entity";
import { isForDelivery, notForDeliverySql, readOrderAlone, updateOrderStatement } from "../orders/order.rows";
import { PrintJobEntity } from "./print-job.entity";
import {
  done,
  FINISH_PRINTING,
  leased,
  newJob,
  READ_AGAIN,
  SqlPrintJobStore,
  START_PRINTING,
  type ConfirmPlanner,
  type Finish,
  type Lease,
} from "./print-job-store";
import { finishJobWithOrder, insertJobAfterOneRowStatement, leaseJobWithOrder, readJobAlone } from "./print-job.rows";

export class MariaDbPrintJobStore extends SqlPrintJobStore {
  readonly engine = "mariadb" as const;
  protected readonly nullSafeEquals = "<=>" as const;

  /** Read (unless known), plan, then the order's UPDATE and the job's INSERT in one round trip. */
  async confirmWithJob(
    ctx: RequestContext,
    orderId: string,
    known: OrderEntity | null,
    plan: ConfirmPlanner,
  ): Promise<Outcome<OrderEntity> | typeof READ_AGAIN> {
    const ds = ctx.app.ds;
    const order = known ?? (await readOrderAlone(ds, orderId));
    const p = await plan(ds.manager, order);
    if (!("patch" in p)) {
      if (known) return READ_AGAIN;
      return "errors" in p ? { value: null, errors: p.errors } : { value: p.already, errors: [] };
    }
    const job = newJob(p.order.id, p.labId);
    const [moved, queued, noticed] = await runBatch(
      ds,
      [
        updateOrderStatement(p.order.id, p.order.version, p.patch),
        insertJobAfterOneRowStatement(job),
        ...(p.notice ? [p.notice.statement] : []),
        // Repeatable: the UPDATE holds on the order's version, so a second run after a COMMIT whose
        // answer was lost changes nothing and inserts nothing; the order is then read again.
      ],
      { repeatable: true },
    );
    if (moved.affected !== 1) return READ_AGAIN; // and the INSERTs inserted nothing
    if (queued.affected !== 1) throw new Error(`confirming order ${p.order.id} queued ${queued.affected} print jobs`);
    Object.assign(p.order, p.patch);
    ctx.app.events.publish("printJob", job.labId, { jobId: job.id });
    for (const n of noticed?.rows ?? []) ctx.app.events.publish("notification", String(n.user_id), { notificationId: String(n.id) });
    this.owners.remember(p.order.id, p.order.customerUserId, isForDelivery(p.order.requestJson));
    ctx.app.events.publish("orderUpdate", p.order.customerUserId, { orderId: p.order.id, status: p.order.status });
    return { value: p.order, errors: [] };
  }

  /** One statement for the job and its order; the job read back only when it was not known as it still is. */
  async claimAtOnce(ds: DataSource, lease: Lease, known: PrintJobEntity | undefined): Promise<PrintJobEntity | null> {
    if (known && (await leaseJobWithOrder(ds, { ...lease, expect: known }, START_PRINTING))) return leased(known, lease);
    if (!(await leaseJobWithOrder(ds, lease, START_PRINTING))) return null;
    const job = await readJobAlone(ds, lease.jobId);
    if (!job) throw new Error(`print job ${lease.jobId} vanished after its claim`);
    return job;
  }

  /** After claimAtOnce missed: the plain conditional UPDATE (what was known did not hold), then the job read back. */
  async claim(em: EntityManager, lease: Lease): Promise<PrintJobEntity | null> {
    return this.leaseAndRead(em, lease, undefined);
  }

  /**
   * Only for an order that is not delivered: a delivery order's shipment is made in the same
   * transaction as its move to PRINTED, so its completion takes the transactional way.
   */
  async finishAtOnce(ds: DataSource, p: Finish, granted: PrintJobEntity | undefined): Promise<PrintJobEntity | null> {
    if (!(await finishJobWithOrder(ds, p, FINISH_PRINTING, notForDeliverySql("o")))) return null;
    const job = granted ? done(granted, p.now) : await readJobAlone(ds, p.jobId);
    if (!job) throw new Error(`print job ${p.jobId} vanished after its completion`);
    return job;
  }

  /**
   * A locking read, which sees the latest commit (a plain read would see this transaction's older
   * snapshot). FOR UPDATE, not a shared lock: TypeORM's "FOR SHARE" is MySQL 8 syntax that MariaDB
   * refuses.
   */
  async current(em: EntityManager, jobId: string, labId: string): Promise<PrintJobEntity | null> {
    return em
      .getRepository(PrintJobEntity)
      .createQueryBuilder("j")
      .where("j.id = :id AND j.lab_id = :lab", { id: jobId, lab: labId })
      .setLock("pessimistic_write")
      .getOne();
  }
}
