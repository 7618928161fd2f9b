/**
 * A print job's life after it is queued (seed 001: the center keeps the order and each lab asks
 * for its own work): the lab pulls the job's content with signed image links, claims it under a
 * lease, and completes or fails it with the lease token; a sweeper puts jobs whose lease ran out
 * back in the queue. Every state change is one conditional UPDATE that checks the rows it touched
 * (never check-then-act), so two daemons sharing a key, or two center processes sweeping, never
 * both win. Each move is planned with the print-job transition table (print-job-state); the order
 * follows its job through the store (PrintJobStore.moveOrder: the orders' transition table, in the
 * same transaction), and the lab is rung only after commit. How each step runs on each engine is
 * the store's business: where it can (MySQL/MariaDB), the usual claim and completion move the job
 * and its order in one statement; anything unusual (a claim sent again, a lost lease, an order
 * that cannot move) takes the transactional way, which says why.
 */
import { runInBackground } from "../core/background-work";
import { In, type EntityManager } from "typeorm";
import { RollbackWithErrors, unreachable, userError, type UserErrorData } from "../common/errors";
import { randomHex } from "../common/random-tokens";
import { LabEntity } from "../labs/lab.entity";
import { inTransaction, type Outcome, type Tx } from "../core/unit-of-work";
import { systemContext, type AppContext, type RequestContext } from "../core/request-context";
import { Role } from "../identity/role";
import { UserEntity } from "../identity/user.entity";
import { ImageEntity } from "../images/image.entity";
import { movesOf, type OrderEvent, type OrderStatus } from "../orders/order-state";
import { OrderEntity } from "../orders/order.entity";
import { PrintJobEntity } from "./print-job.entity";
import { isPrintable, jobMove, nextJobStatus, type PrintJobStatus } from "./print-job-state";
import { FINISH_PRINTING, START_PRINTING, type Lease, type LeaseEnd, type PrintJobStore } from "./print-job-store";
import type { Topics } from "../core/events";
import type { OrdersService } from "../orders/orders.service";
import type { LabReportsService } from "../labs/lab-reports.service";
import type { DesignTemplatesService } from "../design-templates/design-templates.service";
import type { NotificationsService } from "../notifications/notifications.service";

/** A retried job waits min(cap, base * 2^n) seconds, n being the attempts that failed before this one. */
export const RETRY_BASE_SECONDS = 30;
export const RETRY_CAP_SECONDS = 3600;
export const MAX_REASON_LENGTH = 1000;
/** Jobs handled per sweep; the rest wait for the next one. */
const SWEEP_BATCH = 100;
/** The job's moves (from the print-job transition table). */
const CLAIM = jobMove("CLAIM");

/** Lease tokens are 48 lower-case hex digits: compared exactly even under a case-insensitive collation. */
const LEASE_TOKEN = /^[0-9a-f]{48}$/;
/** A claimer's key for one claim (sent again with it when the answer was lost). */
const CLAIM_KEY = /^[A-Za-z0-9_-]{16,64}$/;

/** Seconds a job waits before it may be claimed again after its `priorFailures`-th failure (0-based). */
export function retryDelaySeconds(priorFailures: number): number {
  // Math.min: the cap bounds the growth (Math.max would make every delay at least the cap).
  return Math.min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.max(0, priorFailures));
}

/** How often the sweeper looks for lapsed leases: a fraction of the lease, every 0.25 to 5 seconds. */
export function sweepIntervalMs(leaseSeconds: number): number {
  return Math.min(5000, Math.max(250, leaseSeconds * 500));
}

export interface Claim {
  job: PrintJobEntity;
  leaseToken: string;
  leaseExpiresAt: Date;
}

export interface PrintJobImageView {
  imageId: string;
  url: string | null;
  urlExpiresAt: Date | null;
  sha256: string | null;
  bytes: number | null;
  width: number | null;
  height: number | null;
  contentType: string | null;
}

export interface SweepReport {
  requeued: number;
  failed: number;
  rung: number;
}

export interface RunningSweeper {
  /** Stops the timer and waits for a sweep under way. */
  stop(): Promise<void>;
}

/** Jobs kept in each of the lifecycle's memories (about 6 MiB each when full). */
const REMEMBERED_JOBS = 10_000;

/**
 * Jobs remembered until used once or pushed out by newer ones: at most `max`, the oldest dropped
 * first. A job is remembered once and used once, so the order they came in is the order of use
 * (a least-recently-used cache would only reorder what is never read twice).
 */
export class RecentJobs {
  private readonly jobs = new Map<string, PrintJobEntity>();

  constructor(private readonly max: number) {}

  remember(job: PrintJobEntity): void {
    this.jobs.delete(job.id);
    this.jobs.set(job.id, job);
    if (this.jobs.size > this.max) this.jobs.delete(this.jobs.keys().next().value!);
  }

  forget(jobId: string): void {
    this.jobs.delete(jobId);
  }

  /** The job remembered under this id, forgotten as it is handed out. */
  take(jobId: string): PrintJobEntity | undefined {
    const job = this.jobs.get(jobId);
    if (job !== undefined) this.jobs.delete(jobId);
    return job;
  }

  get size(): number {
    return this.jobs.size;
  }
}

/**
 * How a job's image links are made: the images domain's URL signer, handed over by the composition
 * root (a narrow interface, because the images service in turn asks dispatch whether a job's links
 * still hold).
 */
export interface JobImageUrls {
  /** How long a link holds, in seconds. */
  readonly ttlSeconds: number;
  /** A signed download path valid `ttlSeconds` from `now`, only while `jobId` is its lab's. */
  signedUrl(imageId: string, ttlSeconds: number, now: number, jobId: string): string;
}

/**
 * What else is written when a job is printed, in the transaction that moves its order to PRINTED:
 * shipping's shipment of a delivery order. A narrow interface handed over by the composition root,
 * so that dispatch does not depend on shipping (shipping reads orders, which know dispatch). The
 * completion of a delivery order always takes the transactional way for it (see
 * PrintJobStore.finishAtOnce).
 */
export interface WhenPrinted {
  printed(ctx: RequestContext, tx: Tx, job: { orderId: string; labId: string }): Promise<void>;
}

export class PrintJobLifecycleService {
  constructor(
    private readonly store: PrintJobStore,
    private readonly orders: OrdersService,
    private readonly imageUrls: JobImageUrls,
    private readonly labReports: LabReportsService,
    private readonly designTemplates: DesignTemplatesService,
    private readonly notifications: NotificationsService,
    private readonly whenPrinted: WhenPrinted,
  ) {}

  /**
   * What this process last told its labs (QUEUED jobs as read for the printJobs stream) and the
   * leases it granted. A claim that finds its job as announced, or a completion of a lease granted
   * here, knows the job's whole row without reading it back (see claimAtOnce and complete). Never
   * trusted blindly: the claim's UPDATE requires the remembered columns, and a lease's token pins
   * the row it was granted on (nothing else changes a LEASED job).
   */
  private readonly announced = new RecentJobs(REMEMBERED_JOBS);
  private readonly granted = new RecentJobs(REMEMBERED_JOBS);

  /** A job as just sent to its lab's stream: a claim of it may follow. */
  announce(job: PrintJobEntity): void {
    if (nextJobStatus(job.status, "CLAIM") !== null) this.announced.remember(job);
    else this.announced.forget(job.id);
  }

  // ---------------------------------------------------------------- pull

  /**
   * Every distinct image of the job's order, in order of first use, with a signed short-lived
   * download path for those whose bytes the center holds. Only the job's own lab is given links,
   * and only while the job may still be printed.
   */
  async images(ctx: RequestContext, job: PrintJobEntity): Promise<PrintJobImageView[]> {
    if (ctx.auth.kind !== "lab" || ctx.auth.labId !== job.labId) return [];
    // Only while the order is at this lab: a job withdrawn by a move shows no images.
    if (!(await this.orders.get(ctx, job.orderId))) return [];
    const subs = (await this.orders.subOrdersOf(ctx, [job.orderId])).get(job.orderId) ?? [];
    const ids = [...new Set(subs.flatMap((s) => s.items.map((i) => i.imageId)))];
    if (ids.length === 0) return [];
    // Read-only, by id: the images service has no batch lookup for a lab (labs may not view
    // customers' images through it; they reach the bytes through signed links only).
    const rows = new Map<string, ImageEntity>();
    for (let i = 0; i < ids.length; i += 500) {
      for (const r of await ctx.app.ds.getRepository(ImageEntity).find({ where: { id: In(ids.slice(i, i + 500)) } })) rows.set(r.id, r);
    }
    const printable = isPrintable(job.status);
    const now = Date.now();
    const ttl = this.imageUrls.ttlSeconds;
    const expires = new Date((Math.floor(now / 1000) + ttl) * 1000);
    return ids.map((id) => {
      const img = rows.get(id);
      if (!img) return { imageId: id, url: null, urlExpiresAt: null, sha256: null, bytes: null, width: null, height: null, contentType: null };
      return {
        imageId: id,
        url: printable ? this.imageUrls.signedUrl(id, ttl, now, job.id) : null,
        urlExpiresAt: printable ? expires : null,
        sha256: img.sha256,
        bytes: img.bytes,
        width: img.width,
        height: img.height,
        contentType: img.contentType,
      };
    });
  }

  // ---------------------------------------------------------------- claim

  /**
   * One claimer wins: `QUEUED` and due -> `LEASED` with a fresh token, in one conditional UPDATE;
   * the order goes ASSIGNED -> PRINTING. A loser learns why from the job as it now stands.
   */
  async claim(ctx: RequestContext, jobId: string, claimKey: string | null = null): Promise<Outcome<Claim>> {
    const labId = labOf(ctx);
    if (claimKey !== null && !CLAIM_KEY.test(claimKey)) {
      return { value: null, errors: [userError("INVALID_CLAIM_KEY", "claimKey must be 16 to 64 characters of A-Z, a-z, 0-9, _ and -", ["claimKey"])] };
    }
    // The job as this process announced it to the lab, if it did: used once.
    const announced = this.announced.take(jobId);
    const known = announced && announced.labId === labId ? announced : undefined;
    const first = newLease(ctx, jobId, labId, claimKey);
    const won = await this.store.claimAtOnce(ctx.app.ds, first, known);
    if (won) {
      await this.tellCustomer(ctx.app.ds.manager, won.orderId, START_PRINTING.to, (...a) => ctx.app.events.publish("orderUpdate", ...a));
      this.granted.remember(won);
      await this.labReports.seen(ctx);
      return { value: { job: won, leaseToken: first.leaseToken, leaseExpiresAt: first.leaseExpiresAt }, errors: [] };
    }
    const r = await inTransaction(ctx, async (tx) => {
      const lease = newLease(ctx, jobId, labId, claimKey);
      const { leaseToken, leaseExpiresAt, now } = lease;
      const job = await this.store.claim(tx.em, lease, known);
      if (!job) {
        const held = await this.store.current(tx.em, jobId, labId);
        // The same claim again (its answer was lost): the lease it won, unchanged.
        if (held && held.status === CLAIM.to && claimKey !== null && held.claimKey === claimKey && held.leaseToken && held.leaseExpiresAt) {
          return { job: held, leaseToken: held.leaseToken, leaseExpiresAt: held.leaseExpiresAt };
        }
        throw new RollbackWithErrors([whyNotClaimable(held, jobId, now)]);
      }
      await this.moveOrder(tx, job.orderId, "START_PRINTING");
      return { job, leaseToken, leaseExpiresAt };
    });
    if (r.value) this.granted.remember(r.value.job);
    await this.labReports.seen(ctx);
    return r;
  }

  // ---------------------------------------------------------------- complete

  /**
   * `LEASED` with this token -> `DONE`, the order PRINTED (and, for a delivery order, its shipment
   * made TO_PACK in the same transaction). The same call again answers the job again (one completion); any other token, or a lease that was lost, is LEASE_LOST. A lease that
   * ran out but was not swept yet still completes: nobody else holds the job.
   */
  async complete(ctx: RequestContext, jobId: string, leaseToken: string): Promise<Outcome<PrintJobEntity>> {
    const labId = labOf(ctx);
    // A lease granted here: once it completes, the job is the row it was granted on, now DONE
    // (the token pins that row: nothing but the end of the lease changes a LEASED job), so it
    // need not be read back. MySQL/MariaDB: the usual completion is one statement; anything else
    // (a repeated completion, a lost lease) takes the transactional way, which tells which.
    const lease = this.granted.take(jobId);
    const granted = lease && lease.labId === labId && lease.leaseToken === leaseToken ? lease : undefined;
    if (LEASE_TOKEN.test(leaseToken)) {
      const job = await this.store.finishAtOnce(ctx.app.ds, { jobId, labId, leaseToken, now: new Date() }, granted);
      if (job) {
        await this.tellCustomer(ctx.app.ds.manager, job.orderId, FINISH_PRINTING.to, (...a) => ctx.app.events.publish("orderUpdate", ...a));
        await this.labReports.seen(ctx);
        return { value: job, errors: [] };
      }
    }
    const r = await inTransaction(ctx, async (tx) => {
      if (LEASE_TOKEN.test(leaseToken)) {
        const job = await this.store.finish(tx.em, { jobId, labId, leaseToken, now: new Date() }, granted);
        if (job) {
          await this.moveOrder(tx, job.orderId, "FINISH_PRINTING");
          // A pickup order this process confirmed needs nothing more; any other is told to shipping.
          if (this.store.owners.delivered(job.orderId) !== false) await this.whenPrinted.printed(ctx, tx, job);
          return job;
        }
      }
      const job = await this.store.current(tx.em, jobId, labId);
      if (!job) throw new RollbackWithErrors([noSuchJob(jobId)]);
      if (job.status === jobMove("COMPLETE").to && job.leaseToken === leaseToken) return job; // a repeated completion
      throw new RollbackWithErrors([leaseLost(job)]);
    });
    await this.labReports.seen(ctx);
    return r;
  }

  // ---------------------------------------------------------------- renew

  /**
   * The lab still works on the job (e.g. a minilab controller has not answered yet): its lease
   * runs out PRINT_JOB_LEASE_SECONDS from now instead, never earlier than it did. Only the lease's
   * own token renews it; a lease that ran out but was not swept yet is renewed too (nobody else
   * holds the job, as for a completion). Any other token, or a job no longer LEASED, is LEASE_LOST.
   */
  async renew(ctx: RequestContext, jobId: string, leaseToken: string): Promise<Outcome<PrintJobEntity>> {
    const labId = labOf(ctx);
    const r = await inTransaction(ctx, async (tx) => {
      const now = new Date();
      const leaseExpiresAt = new Date(now.getTime() + ctx.app.config.printJobLeaseSeconds * 1000);
      // One conditional UPDATE (never check-then-act: the sweeper may end the lease meanwhile), then the job as it stands.
      if (LEASE_TOKEN.test(leaseToken)) await this.store.renewLease(tx.em, { jobId, labId, leaseToken, leaseExpiresAt, now });
      const job = await this.store.current(tx.em, jobId, labId);
      if (!job) throw new RollbackWithErrors([noSuchJob(jobId)]);
      if (job.status === CLAIM.to && job.leaseToken === leaseToken) return job;
      throw new RollbackWithErrors([leaseLost(job)]);
    });
    await this.labReports.seen(ctx);
    return r;
  }

  // ---------------------------------------------------------------- fail

  /**
   * The lab could not print the job. Retryable and under PRINT_JOB_MAX_ATTEMPTS: back in the queue
   * after a growing delay, the order back to ASSIGNED. Otherwise the job and its order fail and the
   * admins concerned are told (PRINT_JOB_FAILED); a retryable failure that is a controller's
   * refusal or time-out tells them too (PRINT_JOB_REFUSED). Failing a FAILED job again with its token
   * answers the job again.
   */
  async fail(ctx: RequestContext, jobId: string, leaseToken: string, reason: string, retryable: boolean): Promise<Outcome<PrintJobEntity>> {
    const labId = labOf(ctx);
    const why = reason.trim();
    if (why.length === 0 || why.length > MAX_REASON_LENGTH) {
      return { value: null, errors: [userError("INVALID_REASON", `reason must be 1 to ${MAX_REASON_LENGTH} characters`, ["reason"])] };
    }
    const r = await inTransaction(ctx, async (tx) => {
      const now = new Date();
      const held = LEASE_TOKEN.test(leaseToken) ? await tx.em.findOne(PrintJobEntity, { where: { id: jobId, labId } }) : null;
      if (held && nextJobStatus(held.status, "FAIL") !== null && held.leaseToken === leaseToken) {
        const done = await this.endAttempt(ctx, tx, held, now, retryable ? "RETRY" : "GIVE_UP", why);
        if (done) {
          // A lab that lacks a design template (seed 001, claims 5-6): its admins are told.
          await this.designTemplates.reportMissing(ctx, tx, done, why);
          return done;
        }
      }
      const job = await this.store.current(tx.em, jobId, labId);
      if (!job) throw new RollbackWithErrors([noSuchJob(jobId)]);
      if (job.status === jobMove("FAIL").to && job.leaseToken !== null && job.leaseToken === leaseToken) return job; // a repeated failure
      throw new RollbackWithErrors([leaseLost(job)]);
    });
    await this.labReports.seen(ctx);
    return r;
  }

  /**
   * Ends the current lease of `held` (read in this transaction): requeued, delayed for a retry, or
   * failed for good once PRINT_JOB_MAX_ATTEMPTS is reached. The UPDATE is conditional on the lease
   * still being the one read; null when it is not (someone else ended it first).
   */
  private async endAttempt(
    ctx: RequestContext,
    tx: Tx,
    held: PrintJobEntity,
    now: Date,
    mode: "RETRY" | "GIVE_UP" | "EXPIRED",
    why: string,
  ): Promise<PrintJobEntity | null> {
    const attempts = held.attempts + 1;
    const giveUp = mode === "GIVE_UP" || attempts >= ctx.app.config.printJobMaxAttempts;
    const delay = mode === "RETRY" ? retryDelaySeconds(held.attempts) : 0;
    const end: LeaseEnd = giveUp
      ? // A job failed by its lab keeps the token, so that the same failure sent again is recognised.
        { status: jobMove("FAIL").to, attempts, leaseToken: mode === "EXPIRED" ? null : held.leaseToken, leaseExpiresAt: null, lastError: why, updatedAt: now }
      : {
          status: jobMove("REQUEUE").to,
          attempts,
          availableAt: new Date(now.getTime() + delay * 1000),
          leaseToken: null,
          leaseExpiresAt: null,
          lastError: why,
          updatedAt: now,
        };
    const job = await this.store.endLease(tx.em, held, end, mode === "EXPIRED" ? now : null);
    if (!job) return null;
    const order = await this.moveOrder(tx, job.orderId, giveUp ? "FAIL" : "REQUEUE");
    if (order) await this.tellAdmins(ctx, tx, job, order, attempts);
    else if (mode === "RETRY" && isControllerAnswer(why)) await this.tellRefused(ctx, tx, job, attempts);
    // A requeued job is rung now when it is due now; a delayed one when the sweeper sees it due.
    // A failed job is rung too, so that the lab drops it.
    if (giveUp || delay === 0) tx.emit("printJob", job.labId, { jobId: job.id });
    return job;
  }

  /**
   * The order follows its job, through the store (the one place that moves an order with its
   * job); read back for the admins' message when the job failed for good.
   */
  private async moveOrder(tx: Tx, orderId: string, event: OrderEvent): Promise<OrderEntity | null> {
    await this.store.moveOrder(tx.em, orderId, event);
    await this.tellCustomer(tx.em, orderId, movesOf(event).to, (...a) => tx.emit("orderUpdate", ...a));
    return event === "FAIL" ? tx.em.findOneOrFail(OrderEntity, { where: { id: orderId } }) : null;
  }

  /**
   * The order's customer is told of its new status (`send`: after commit, through the transaction's
   * outbox, or at once after a statement that committed by itself).
   */
  private async tellCustomer(em: EntityManager, orderId: string, status: OrderStatus, send: (...args: Topics["orderUpdate"]) => void): Promise<void> {
    const customer = await this.store.owners.of(em, orderId);
    if (customer !== null) send(customer, { orderId, status });
  }

  /** The admins of the order's shop and the lab's shop, their groups' admins, and the center admins. */
  private async adminsOf(ctx: RequestContext, tx: Tx, job: PrintJobEntity, orderShopId: string | null): Promise<string[]> {
    const lab = await tx.em.findOne(LabEntity, { where: { id: job.labId }, select: { id: true, shopId: true } });
    const shops = new Set([orderShopId, lab?.shopId].filter((s): s is string => !!s));
    const recipients: string[] = [];
    // A lab or the sweeper acts with the center's authority: a shop scope gives that shop's admins and its group's.
    for (const shopId of shops) recipients.push(...(await this.notifications.recipients(ctx, tx.em, { kind: "SHOP", shopId })));
    const centerAdmins = await tx.em.find(UserEntity, { where: { role: Role.CENTER_ADMIN, disabled: false }, select: { id: true } });
    recipients.push(...centerAdmins.map((u) => u.id));
    return recipients;
  }

  /** PRINT_JOB_FAILED to the admins concerned (adminsOf). */
  private async tellAdmins(ctx: RequestContext, tx: Tx, job: PrintJobEntity, order: OrderEntity, attempts: number): Promise<void> {
    const message = `Print job ${job.id} of order ${order.id} failed at lab ${job.labId} after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${job.lastError ?? "no reason given"}`;
    const recipients = await this.adminsOf(ctx, tx, job, order.shopId);
    await this.notifications.send(ctx, tx, recipients, "PRINT_JOB_FAILED", message, { orderId: order.id, labId: job.labId, shopId: order.shopId });
  }

  /**
   * PRINT_JOB_REFUSED to the admins concerned (adminsOf) when the lab's minilab controller refused
   * the job or never took it (issue 22): the job waits for its next attempt, and someone may have
   * to look at the controller before then.
   */
  private async tellRefused(ctx: RequestContext, tx: Tx, job: PrintJobEntity, attempts: number): Promise<void> {
    const order = await tx.em.findOneOrFail(OrderEntity, { where: { id: job.orderId }, select: { id: true, shopId: true } });
    const message =
      `Print job ${job.id} of order ${order.id} was not taken by the controller at lab ${job.labId} (attempt ${attempts}); ` +
      `it is offered again from ${job.availableAt.toISOString()}: ${job.lastError ?? "no reason given"}`;
    const recipients = await this.adminsOf(ctx, tx, job, order.shopId);
    await this.notifications.send(ctx, tx, recipients, "PRINT_JOB_REFUSED", message, { orderId: order.id, labId: job.labId, shopId: order.shopId });
  }

  // ---------------------------------------------------------------- sweeper

  /**
   * One pass: every LEASED job whose lease ran out is requeued (attempts + 1, the order back to
   * ASSIGNED, the lab rung) or, at PRINT_JOB_MAX_ATTEMPTS, failed; each in its own transaction by a
   * conditional UPDATE, so that two center processes sweeping at once requeue a job once. Jobs
   * whose retry delay ended in (dueSince, now] are rung so that their lab claims them again.
   */
  async sweep(app: AppContext, dueSince: number, now = new Date()): Promise<SweepReport> {
    const ctx = systemContext(app, "print-job-sweeper");
    const report: SweepReport = { requeued: 0, failed: 0, rung: 0 };
    const { expired, due } = await this.store.lapsedAndDue(app.ds, dueSince, now, SWEEP_BATCH);
    for (const job of expired) {
      const r = await inTransaction(ctx, (tx) => this.endAttempt(ctx, tx, job, now, "EXPIRED", `the lease of ${app.config.printJobLeaseSeconds} s ran out`));
      if (r.errors.length > 0) app.logger.warn({ jobId: job.id, errors: r.errors }, "a lapsed lease could not be ended; next sweep tries again");
      else if (r.value?.status === "FAILED") report.failed += 1;
      else if (r.value) report.requeued += 1;
    }
    for (const job of due) {
      app.events.publish("printJob", job.labId, { jobId: job.id });
      report.rung += 1;
    }
    if (report.requeued + report.failed > 0) app.logger.info({ event: "print_jobs_swept", ...report }, "lapsed leases ended");
    return report;
  }

  /** Starts sweeping every few seconds (see sweepIntervalMs); `stop` ends it for a clean shutdown. */
  startSweeper(app: AppContext): RunningSweeper {
    const every = sweepIntervalMs(app.config.printJobLeaseSeconds);
    let since = Date.now();
    return runInBackground(app.logger, "print job sweep failed; next sweep tries again", { firstDelayMs: every, everyMs: every }, async () => {
      const now = new Date();
      await this.sweep(app, since, now);
      since = now.getTime();
    });
  }
}

/** The lab's reasons that are a minilab controller's answer: its code before the first ": ". */
export const CONTROLLER_ANSWERS: readonly string[] = ["CONTROLLER_REFUSED", "CONTROLLER_TIMEOUT"];

/** Whether a lab's reason is a controller's refusal or time-out (the daemon sends "CODE: detail"). */
export function isControllerAnswer(reason: string): boolean {
  const colon = reason.indexOf(":");
  return colon > 0 && CONTROLLER_ANSWERS.includes(reason.slice(0, colon));
}

/** A fresh lease on the job for the lab, starting now. */
function newLease(ctx: RequestContext, jobId: string, labId: string, claimKey: string | null): Lease {
  const now = new Date();
  return { jobId, labId, leaseToken: randomHex(24), leaseExpiresAt: new Date(now.getTime() + ctx.app.config.printJobLeaseSeconds * 1000), claimKey, now };
}

function labOf(ctx: RequestContext): string {
  if (ctx.auth.kind !== "lab") throw new Error("print job lifecycle called without a lab (the resolver admits labs only)");
  return ctx.auth.labId;
}

function noSuchJob(jobId: string): UserErrorData {
  // Another lab's job reads as unknown: a lab learns nothing of others' work.
  return userError("NOT_FOUND", `No job ${jobId} of this lab`, ["jobId"]);
}

function whyNotClaimable(job: PrintJobEntity | null, jobId: string, now: Date): UserErrorData {
  if (!job) return noSuchJob(jobId);
  const status: PrintJobStatus = job.status;
  switch (status) {
    case "LEASED":
      return userError("ALREADY_CLAIMED", `Job ${job.id} is LEASED: another claim won it`, ["jobId"]);
    case "QUEUED":
      if (job.availableAt.getTime() > now.getTime()) {
        return userError("NOT_CLAIMABLE", `Job ${job.id} is QUEUED for a retry and may be claimed from ${job.availableAt.toISOString()}`, ["jobId"]);
      }
      return userError("ALREADY_CLAIMED", `Job ${job.id} was claimed and released meanwhile; claim it again`, ["jobId"]);
    case "DONE":
      return userError("NOT_CLAIMABLE", `Job ${job.id} is DONE`, ["jobId"]);
    case "FAILED":
      return userError("NOT_CLAIMABLE", `Job ${job.id} is FAILED${job.lastError ? `: ${job.lastError}` : ""}`, ["jobId"]);
    default:
      return unreachable(status);
  }
}

function leaseLost(job: PrintJobEntity): UserErrorData {
  return userError("LEASE_LOST", `This lease on job ${job.id} is not (or no longer) held: the job is ${job.status}`, ["leaseToken"]);
}
