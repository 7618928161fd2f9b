/**
 * Retention of shoot images (seed 002). A shoot's images are kept until its `availableUntil` plus
 * SHOOT_RETENTION_DAYS whole days (business dates); on the day after, a background sweep removes
 * them from the image store, originals and thumbnails, and marks the shoot retired. The shop's
 * admins (and its group's) are told SHOOT_RETIREMENT_NOTICE_DAYS days ahead, once; a shoot the
 * sweep reaches late is told before its images go. A shoot with no `availableUntil` is kept.
 *
 * A shoot is not retired while any of its orders may still be printed (an unfinished order's lab
 * fetches the images through its job's signed links): the sweep passes it by and comes back.
 *
 * Every center process sweeps. The notice is claimed with a conditional UPDATE (the first sweep
 * that sets `retirement_noticed_at` sends it); the images go in batches, each batch one transaction
 * that holds the shoot's row (FOR UPDATE on MariaDB; SQLite runs one writer at a time) and deletes
 * the rows it read, so two sweeps never remove the same image twice; the bytes are removed from the
 * store only after the rows are committed (a leftover object is only space, a row without bytes
 * would be a fault).
 */
import { In, IsNull, LessThanOrEqual } from "typeorm";
import type { Config } from "../config";
import { systemContext, type AppContext, type RequestContext } from "../core/request-context";
import { inTransaction } from "../core/unit-of-work";
import { forUpdate, lockForUpdate } from "../db/locks";
import { addDays, businessDate } from "../pricing/business-date";
import type { ImagesService } from "../images/images.service";
import type { NotificationsService } from "../notifications/notifications.service";
import type { OrdersService } from "../orders/orders.service";
import { ShootEntity } from "./shoot.entity";
import { ShootImageEntity } from "./shoot-image.entity";

/** Images removed per transaction. */
export const RETENTION_BATCH = 200;
/** Transactions one sweep runs at most; a sweep that stops there is followed sooner by the next. */
export const RETENTION_MAX_BATCHES = 500;
/** Shoots looked at per sweep, for notices and for removal each. */
const SHOOTS_PER_SWEEP = 1000;
/** The first sweep a while after start (spread over processes), then hourly, or sooner with work left. */
const FIRST_DELAY_MS = 60_000;
const EVERY_MS = 3600_000;
const AGAIN_MS = 60_000;

/** The last day a shoot's images are kept: its availableUntil plus the retention; null: kept. */
export function keptUntil(config: Pick<Config, "shootRetentionDays">, shoot: Pick<ShootEntity, "availableUntil">): string | null {
  return shoot.availableUntil === null ? null : addDays(shoot.availableUntil, config.shootRetentionDays);
}

/** Whether a shoot's images are due for removal at `now` (its retention has ended). */
export function retentionDue(config: Pick<Config, "shootRetentionDays" | "businessTimeZone">, shoot: Pick<ShootEntity, "availableUntil">, now: Date): boolean {
  const last = keptUntil(config, shoot);
  return last !== null && last < businessDate(now, config.businessTimeZone);
}

export interface RetentionOptions {
  now?: Date;
  batchSize?: number;
  maxBatches?: number;
  shouldStop?: () => boolean;
}

export interface RetentionReport {
  /** Shoots whose admins were told by this sweep. */
  noticed: string[];
  /** Shoots retired by this sweep. */
  retired: string[];
  /** Images removed by this sweep. */
  removedImages: number;
  batches: number;
  /** Shoots passed by because an order of theirs may still be printed. */
  held: string[];
  /** False when the sweep stopped with work left (its batch cap, or a stop). */
  complete: boolean;
}

export interface RunningRetention {
  /** Stops the timer and waits for a sweep under way. */
  stop(): Promise<void>;
}

/** The retention sweep of shoot images (see the module comment). */
export class ShootRetention {
  constructor(
    private readonly images: ImagesService,
    private readonly notifications: NotificationsService,
    private readonly orders: OrdersService,
  ) {}

  /** One sweep now: notices first, then removal, in batches. */
  async sweep(app: AppContext, opts: RetentionOptions = {}): Promise<RetentionReport> {
    const now = opts.now ?? new Date();
    const ctx = systemContext(app, "shoot-retention");
    const report: RetentionReport = { noticed: [], retired: [], removedImages: 0, batches: 0, held: [], complete: true };
    const today = businessDate(now, app.config.businessTimeZone);
    // Removal starts the day after the last kept day: due when availableUntil <= today - retention - 1.
    const lastDue = addDays(today, -(app.config.shootRetentionDays + 1));
    const lastNoticed = addDays(lastDue, app.config.shootRetirementNoticeDays);
    const repo = app.ds.getRepository(ShootEntity);

    const toNotice = await repo.find({
      where: { retiredAt: IsNull(), retirementNoticedAt: IsNull(), availableUntil: LessThanOrEqual(lastNoticed) },
      select: { id: true },
      order: { availableUntil: "ASC", id: "ASC" },
      take: SHOOTS_PER_SWEEP,
    });
    for (const { id } of toNotice) {
      if (opts.shouldStop?.()) return { ...report, complete: false };
      if (await this.notice(ctx, id, now)) report.noticed.push(id);
    }

    const due = await repo.find({
      where: { retiredAt: IsNull(), availableUntil: LessThanOrEqual(lastDue) },
      select: { id: true },
      order: { availableUntil: "ASC", id: "ASC" },
      take: SHOOTS_PER_SWEEP,
    });
    for (const { id } of due) {
      const r = await this.removeShoot(ctx, id, now, report, opts);
      if (r === "STOPPED") return { ...report, complete: false };
    }
    if (due.length === SHOOTS_PER_SWEEP) report.complete = false;
    return report;
  }

  /** Tells the shoot's admins once (whichever sweep sets the mark first); true when this one did. */
  private async notice(ctx: RequestContext, shootId: string, now: Date): Promise<boolean> {
    const app = ctx.app;
    const r = await inTransaction(ctx, async (tx) => {
      const claimed = await tx.em.update(ShootEntity, { id: shootId, retirementNoticedAt: IsNull(), retiredAt: IsNull() }, { retirementNoticedAt: now });
      if (claimed.affected !== 1) return false;
      const shoot = await tx.em.findOneOrFail(ShootEntity, { where: { id: shootId } });
      const last = keptUntil(app.config, shoot);
      const recipients = await this.notifications.recipients(ctx, tx.em, { kind: "SHOP", shopId: shoot.shopId });
      await this.notifications.send(
        ctx,
        tx,
        recipients,
        "SHOOT_RETIREMENT_NOTICE",
        `The ${shoot.imageCount} image${shoot.imageCount === 1 ? "" : "s"} of shoot ${shoot.id} ("${shoot.name}") are kept until ${last} ` +
          `and removed after that day: first prints and reorders of them are refused from then on (IMAGES_RETIRED).`,
      );
      return true;
    });
    if (r.value) app.logger.info({ event: "shoot_retirement_noticed", shootId }, "shoot retirement notice sent");
    return r.value === true;
  }

  /** Removes the shoot's images batch by batch, then marks it retired. */
  private async removeShoot(
    ctx: RequestContext,
    shootId: string,
    now: Date,
    report: RetentionReport,
    opts: RetentionOptions,
  ): Promise<"DONE" | "HELD" | "STOPPED"> {
    const app = ctx.app;
    const batchSize = opts.batchSize ?? RETENTION_BATCH;
    const maxBatches = opts.maxBatches ?? RETENTION_MAX_BATCHES;
    let removedHere = 0;
    for (;;) {
      if (report.batches >= maxBatches || opts.shouldStop?.()) return "STOPPED";
      const r = await inTransaction(ctx, async (tx) => {
        // The shoot's row held: the batches of two sweeps, and a first-prints order, take turns.
        const shoot = await tx.em.findOne(ShootEntity, { where: { id: shootId }, ...forUpdate(tx.em) });
        if (!shoot || shoot.retiredAt !== null) return { step: "GONE" as const };
        if (!retentionDue(app.config, shoot, now)) return { step: "GONE" as const };
        if ((await this.orders.unfinishedOfShoot(tx.em, shootId, app.config.quoteTtlSeconds)) > 0) return { step: "HELD" as const };
        // Locking read (MariaDB): the rows as committed now, not as this transaction first saw them.
        const batch = await lockForUpdate(
          tx.em.getRepository(ShootImageEntity).createQueryBuilder("i").select(["i.imageId"]).where("i.shoot_id = :shootId", { shootId }),
          tx.em,
        )
          .orderBy("i.image_id", "ASC")
          .limit(batchSize)
          .getMany();
        if (batch.length === 0) {
          await tx.em.update(ShootEntity, { id: shootId, retiredAt: IsNull() }, { retiredAt: now, imageCount: 0 });
          return { step: "RETIRED" as const };
        }
        const ids = batch.map((b) => b.imageId);
        await tx.em.delete(ShootImageEntity, { shootId, imageId: In(ids) });
        const stored = await this.images.removeRows(tx.em, ids);
        await tx.em
          .createQueryBuilder()
          .update(ShootEntity)
          .set({ imageCount: () => `CASE WHEN image_count > ${ids.length} THEN image_count - ${ids.length} ELSE 0 END` })
          .where("id = :shootId", { shootId })
          .execute();
        return { step: "REMOVED" as const, stored };
      });
      const outcome = r.value!;
      if (outcome.step === "GONE") return "DONE";
      if (outcome.step === "HELD") {
        report.held.push(shootId);
        app.logger.info({ event: "shoot_retirement_held", shootId }, "shoot images kept: an order of the shoot may still be printed");
        return "HELD";
      }
      if (outcome.step === "RETIRED") {
        report.retired.push(shootId);
        app.logger.info({ event: "shoot_retired", shootId, removedImages: removedHere }, "shoot retired: its images are removed");
        return "DONE";
      }
      report.batches += 1;
      report.removedImages += outcome.stored.length;
      removedHere += outcome.stored.length;
      // Committed: the rows are gone, so the bytes may go (a failure here leaves only space behind).
      await this.images.removeStored(outcome.stored);
      app.logger.info({ event: "shoot_images_removed", shootId, batch: outcome.stored.length, removedSoFar: removedHere }, "shoot images removed");
    }
  }

  /** Sweeps a while after start, then hourly (sooner when a sweep stopped with work left); `stop` ends it. */
  start(app: AppContext, opts: { firstDelayMs?: number; everyMs?: number } = {}): RunningRetention {
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    let running: Promise<void> | null = null;
    const schedule = (ms: number) => {
      timer = setTimeout(tick, ms);
      timer.unref();
    };
    const tick = () => {
      let next = opts.everyMs ?? EVERY_MS;
      running = this.sweep(app, { shouldStop: () => stopped })
        .then((r) => {
          if (!r.complete) next = AGAIN_MS;
        })
        .catch((e: unknown) => app.logger.error({ err: e }, "shoot retention sweep failed; the next one tries again"))
        .finally(() => {
          running = null;
          if (!stopped) schedule(next);
        });
    };
    schedule(opts.firstDelayMs ?? FIRST_DELAY_MS + Math.floor(Math.random() * FIRST_DELAY_MS));
    return {
      stop: async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        await running;
      },
    };
  }
}
