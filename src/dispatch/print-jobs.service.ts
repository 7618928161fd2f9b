/**
 * The lab's side of print jobs (seed 001: the center stores orders without pushing them; each lab
 * asks for its own). The printJobs subscription is a doorbell over the database: on subscribe, the
 * lab's claimable backlog oldest first, then each job as it is queued. Nothing is lost if an event
 * is missed, because a reconnecting lab is sent its backlog again.
 */
import { Repeater } from "@graphql-yoga/subscription";
import { In, LessThanOrEqual } from "typeorm";
import type { AppContext, RequestContext } from "../core/request-context";
import { repeatOnConflict } from "../db/transaction";
import type { Outcome, Tx } from "../core/unit-of-work";
import { LabEntity } from "../labs/lab.entity";
import type { OrderEntity } from "../orders/order.entity";
import { PrintJobEntity } from "./print-job.entity";
import { isPrintable, jobMove } from "./print-job-state";
import type { ConfirmPlanner, PrintJobStore, READ_AGAIN } from "./print-job-store";
import type { OrdersService } from "../orders/orders.service";
import type { LabPresence } from "../labs/lab-presence.service";
import type { PrintJobLifecycleService } from "./print-job-lifecycle.service";

/** What confirming an order asks of dispatch (the plan orders make for it): part of this service's surface. */
export type { ConfirmPlan } from "./print-job-store";

export class PrintJobsService {
  constructor(
    private readonly store: PrintJobStore,
    private readonly orders: OrdersService,
    private readonly presence: LabPresence,
    private readonly printJobLifecycle: PrintJobLifecycleService,
  ) {}

  // ---------------------------------------------------------------- what orders ask of dispatch

  /**
   * One round of confirming an order with its job queued, all or nothing (see
   * PrintJobStore.confirmWithJob): `plan` decides from the order as read; READ_AGAIN when the
   * order changed meanwhile.
   */
  confirmWithJob(ctx: RequestContext, orderId: string, known: OrderEntity | null, plan: ConfirmPlanner): Promise<Outcome<OrderEntity> | typeof READ_AGAIN> {
    return this.store.confirmWithJob(ctx, orderId, known, plan);
  }

  /** A new job for the order at the lab, in the caller's transaction; the lab rung after commit. */
  queue(tx: Tx, orderId: string, labId: string): Promise<PrintJobEntity> {
    return this.store.queue(tx, orderId, labId);
  }

  /**
   * The order's open jobs withdrawn (their labs told, after commit), in the caller's transaction.
   * Null when a lab holds one already (the order is printing): nothing was withdrawn that counts,
   * and the caller rolls back.
   */
  withdraw(tx: Tx, orderId: string, reason: string): Promise<PrintJobEntity[] | null> {
    return this.store.withdraw(tx, orderId, reason);
  }

  /**
   * The order's job moved to another lab: the waiting job withdrawn (its lab told), a new one
   * queued at `labId`. The withdrawn job, or null when none was waiting (a lab holds it, or there is none).
   */
  async moveToLab(tx: Tx, orderId: string, labId: string): Promise<PrintJobEntity | null> {
    const old = await this.store.withdraw(tx, orderId, `reassigned to lab ${labId}`);
    if (!old || old.length === 0) return null;
    await this.store.queue(tx, orderId, labId);
    return old[0]!;
  }

  // ---------------------------------------------------------------- the lab's side

  /** A job of the calling lab, or null (another lab's jobs do not exist for it). */
  async get(ctx: RequestContext, id: string): Promise<PrintJobEntity | null> {
    if (ctx.auth.kind !== "lab") return null;
    return ctx.app.ds.getRepository(PrintJobEntity).findOne({ where: { id, labId: ctx.auth.labId } });
  }

  /**
   * The order of a job, as the caller may see it. A lab's job whose order was moved to another lab
   * still answers its order (the withdrawn job reaches the lab with it, so that the lab drops it),
   * but without its items or the lab it went to.
   */
  async orderOf(ctx: RequestContext, job: PrintJobEntity): Promise<OrderEntity | null> {
    const order = await this.orders.get(ctx, job.orderId);
    if (order || ctx.auth.kind !== "lab" || ctx.auth.labId !== job.labId) return order;
    return this.orders.withdrawnFromLab(ctx, job.orderId);
  }

  /**
   * Whether a signed download made for this job still holds: the job is waiting for its lab or
   * leased to it. A job withdrawn from its lab (the order moved, was cancelled) or finished no
   * longer opens its images, whatever the link's expiry.
   */
  async downloadsAllowed(app: AppContext, jobId: string): Promise<boolean> {
    const job = await app.ds.getRepository(PrintJobEntity).findOne({ where: { id: jobId }, select: { id: true, status: true } });
    return job !== null && isPrintable(job.status);
  }

  /** The lab's claimable jobs, oldest first. */
  async backlog(ctx: RequestContext, labId: string, limit = 10000): Promise<PrintJobEntity[]> {
    return ctx.app.ds.getRepository(PrintJobEntity).find({
      where: { labId, status: jobMove("CLAIM").from, availableAt: LessThanOrEqual(new Date()) as never },
      order: { createdAt: "ASC", id: "ASC" },
      take: limit,
    });
  }

  /**
   * Backlog first, then live rings, for one lab. The bus subscription is opened before the backlog
   * is read, so a job queued in between is rung, not lost; a job may come twice, never not at all.
   * A Repeater, not an async generator: when the lab disconnects, `return()` must end the stream at
   * once, even while it waits for the next ring (a suspended generator would wait for that ring).
   * While the stream is open, the lab's lastSeenAt is refreshed (see heartbeat), so other center
   * processes see it online.
   */
  stream(ctx: RequestContext, labId: string): AsyncIterableIterator<{ job: PrintJobEntity }> {
    return new Repeater<{ job: PrintJobEntity }>(async (push, stop) => {
      const live = ctx.app.events.subscribe("printJob", labId)[Symbol.asyncIterator]();
      let pending = live.next(); // starts the subscription now
      const presence = this.presence;
      presence.connected(labId);
      this.beat(ctx.app);
      let stopped = false;
      void stop.then(() => (stopped = true));
      try {
        await this.seen(ctx.app, [labId]);
        for (const job of await this.backlog(ctx, labId)) {
          if (stopped) return;
          this.printJobLifecycle.announce(job);
          await push({ job });
        }
        while (!stopped) {
          const ring = await Promise.race([pending, stop.then(() => null)]);
          if (ring === null || ring.done) return;
          pending = live.next();
          // A withdrawn job (cancelled, moved) is sent too, so that the lab drops it.
          const job = await ctx.app.ds.getRepository(PrintJobEntity).findOne({ where: { id: ring.value.jobId, labId } });
          if (job && !stopped) {
            this.printJobLifecycle.announce(job);
            await push({ job });
          }
        }
      } finally {
        presence.disconnected(labId);
        if (presence.connectedLabs().length === 0 && this.heartbeat) {
          clearInterval(this.heartbeat);
          this.heartbeat = null;
        }
        await this.seen(ctx.app, [labId]).catch(() => undefined);
        await live.return?.();
        stop();
      }
    });
  }

  private heartbeat: NodeJS.Timeout | null = null;

  /**
   * One heartbeat per process, while any lab holds a subscription here: every third of
   * LAB_ONLINE_GRACE_SECONDS, the last-seen time of every lab connected here is written, in
   * statements of at most 500 labs, however many subscriptions each holds. It stops once no lab is
   * connected here.
   */
  private beat(app: AppContext): void {
    if (this.heartbeat) return;
    const every = Math.max(1000, (app.config.labOnlineGraceSeconds * 1000) / 3);
    this.heartbeat = setInterval(() => {
      const labs = this.presence.connectedLabs();
      if (labs.length === 0) {
        if (this.heartbeat) clearInterval(this.heartbeat);
        this.heartbeat = null;
        return;
      }
      void this.seen(app, labs).catch((e: unknown) => app.logger.warn({ err: e }, "could not record that the connected labs were seen"));
    }, every);
    this.heartbeat.unref();
  }

  private async seen(app: AppContext, labIds: string[]): Promise<void> {
    const now = new Date();
    for (let i = 0; i < labIds.length; i += SEEN_CHUNK) {
      const ids = labIds.slice(i, i + SEEN_CHUNK);
      await repeatOnConflict(() => app.ds.getRepository(LabEntity).update({ id: In(ids) }, { lastSeenAt: now }));
    }
  }
}

/** Labs per last-seen statement. */
const SEEN_CHUNK = 500;
