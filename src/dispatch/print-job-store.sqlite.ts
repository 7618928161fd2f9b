/**
 * The print-job store on SQLite: in-process, one writer at a time, no round trips to save. Every
 * step runs in a transaction (the order moved by the caller in the same one), and a plain read is
 * current because writers are serialised.
 */
import type { DataSource, EntityManager } from "typeorm";
import { RollbackWithErrors } from "../common/errors";
import { inTransaction, type Outcome } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import type { OrderEntity } from "../orders/order.entity";
import { isForDelivery, readOrder, updateOrderAt } from "../orders/order.rows";
import { PrintJobEntity } from "./print-job.entity";
import { READ_AGAIN, SqlPrintJobStore, type ConfirmPlanner, type Finish, type Lease } from "./print-job-store";

/** READ_AGAIN thrown inside a transaction, to roll it back. */
class ReadAgain extends Error {}

export class SqlitePrintJobStore extends SqlPrintJobStore {
  readonly engine = "sqlite" as const;
  protected readonly nullSafeEquals = "IS" as const;

  /** Read (unless known), plan and write in one transaction. */
  async confirmWithJob(
    ctx: RequestContext,
    orderId: string,
    known: OrderEntity | null,
    plan: ConfirmPlanner,
  ): Promise<Outcome<OrderEntity> | typeof READ_AGAIN> {
    try {
      return await inTransaction(ctx, async (tx) => {
        const order = known ?? (await readOrder(tx.em, orderId));
        const p = await plan(tx.em, order);
        if (!("patch" in p)) {
          if (known) throw new ReadAgain();
          if ("errors" in p) throw new RollbackWithErrors(p.errors);
          return p.already;
        }
        if (!(await updateOrderAt(tx.em, p.order.id, p.order.version, p.patch))) throw new ReadAgain();
        Object.assign(p.order, p.patch);
        await this.queue(tx, p.order.id, p.labId);
        await p.notice?.write(tx);
        this.owners.remember(p.order.id, p.order.customerUserId, isForDelivery(p.order.requestJson));
        tx.emit("orderUpdate", p.order.customerUserId, { orderId: p.order.id, status: p.order.status });
        return p.order;
      });
    } catch (e) {
      if (e instanceof ReadAgain) return READ_AGAIN;
      throw e;
    }
  }

  /** Never: the transactional claim is as cheap in-process. */
  async claimAtOnce(): Promise<PrintJobEntity | null> {
    return null;
  }

  /** As announced, the job's row is known once the claim wins; else it is read back. */
  async claim(em: EntityManager, lease: Lease, known: PrintJobEntity | undefined): Promise<PrintJobEntity | null> {
    return this.leaseAndRead(em, lease, known);
  }

  /** Never: the transactional completion is as cheap in-process. */
  async finishAtOnce(_ds: DataSource, _finish: Finish, _granted: PrintJobEntity | undefined): Promise<PrintJobEntity | null> {
    return null;
  }

  /** SQLite serialises writers: a plain read is current. */
  async current(em: EntityManager, jobId: string, labId: string): Promise<PrintJobEntity | null> {
    return em.getRepository(PrintJobEntity).createQueryBuilder("j").where("j.id = :id AND j.lab_id = :lab", { id: jobId, lab: labId }).getOne();
  }
}
