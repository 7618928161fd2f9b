/**
 * The lab's side of print jobs (seed 001: the center stores orders without pushing them; each lab
 * asks for its own). The printJobs subscription is a doorbell over the database: on subscribe, the
 * lab's claimable backlog oldest first, then each job as it is queued. Nothing is lost if an event
 * is missed, because a reconnecting lab is sent its backlog again.
 */
import { Repeater } from "@graphql-yoga/subscription";
import { LessThanOrEqual } from "typeorm";
import type { RequestContext } from "../graphql/context";
import { LabEntity } from "../catalog/lab.entity";
import { PrintJobEntity } from "./print-job.entity";

export class PrintJobsService {
  /** A job of the calling lab, or null (another lab's jobs do not exist for it). */
  async get(ctx: RequestContext, id: string): Promise<PrintJobEntity | null> {
    if (ctx.auth.kind !== "lab") return null;
    return ctx.app.ds.getRepository(PrintJobEntity).findOne({ where: { id, labId: ctx.auth.labId } });
  }

  /** The lab's claimable jobs, oldest first. */
  async backlog(ctx: RequestContext, labId: string, limit = 10000): Promise<PrintJobEntity[]> {
    return ctx.app.ds.getRepository(PrintJobEntity).find({
      where: { labId, status: "QUEUED", availableAt: LessThanOrEqual(new Date()) as never },
      order: { createdAt: "ASC", id: "ASC" },
      take: limit,
    });
  }

  /**
   * Backlog first, then live rings, for one lab. The bus subscription is opened before the backlog
   * is read, so a job queued in between is rung, not lost; a job may come twice, never not at all.
   * A Repeater, not an async generator: when the lab disconnects, `return()` must end the stream at
   * once, even while it waits for the next ring (a suspended generator would wait for that ring).
   * While the stream is open, the lab's lastSeenAt is refreshed, so other center processes see it online.
   */
  stream(ctx: RequestContext, labId: string): AsyncIterableIterator<{ job: PrintJobEntity }> {
    return new Repeater<{ job: PrintJobEntity }>(async (push, stop) => {
      const live = ctx.app.events.subscribe("printJob", labId)[Symbol.asyncIterator]();
      let pending = live.next(); // starts the subscription now
      const presence = ctx.app.services.presence;
      presence.connected(labId);
      const heartbeatMs = Math.max(1000, (ctx.app.config.labOnlineGraceSeconds * 1000) / 3);
      // Several subscriptions of one lab here share the write: at most one per half period.
      const heartbeat = setInterval(() => void this.seen(ctx, labId, heartbeatMs / 2).catch(() => undefined), heartbeatMs);
      heartbeat.unref();
      let stopped = false;
      void stop.then(() => (stopped = true));
      try {
        await this.seen(ctx, labId);
        for (const job of await this.backlog(ctx, labId)) {
          if (stopped) return;
          await push({ job });
        }
        while (!stopped) {
          const ring = await Promise.race([pending, stop.then(() => null)]);
          if (ring === null || ring.done) return;
          pending = live.next();
          // A withdrawn job (cancelled, moved) is sent too, so that the lab drops it.
          const job = await ctx.app.ds.getRepository(PrintJobEntity).findOne({ where: { id: ring.value.jobId, labId } });
          if (job && !stopped) await push({ job });
        }
      } finally {
        clearInterval(heartbeat);
        presence.disconnected(labId);
        await this.seen(ctx, labId).catch(() => undefined);
        await live.return?.();
        stop();
      }
    });
  }

  /** When each lab's last-seen time was last written by this process (ms). */
  private readonly seenWritten = new Map<string, number>();

  /** Writes the lab's last-seen time, unless this process wrote it less than `unlessWithinMs` ago. */
  private async seen(ctx: RequestContext, labId: string, unlessWithinMs = 0): Promise<void> {
    const now = Date.now();
    if (unlessWithinMs > 0 && now - (this.seenWritten.get(labId) ?? 0) < unlessWithinMs) return;
    this.seenWritten.set(labId, now);
    if (!ctx.app.services.presence.isConnectedHere(labId)) this.seenWritten.delete(labId);
    await ctx.app.ds.getRepository(LabEntity).update({ id: labId }, { lastSeenAt: new Date(now) });
  }
}
