/**
 * The lab daemon's work on its jobs: what an announcement from the center does to the queue, and
 * one job from claim to completion: claim, fetch the order and its images (checksums verified),
 * plan the sheets, have the writer fill a temporary folder, publish it into the hot folder, and
 * complete the job with its lease token (or report its failure).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ChecksumMismatchError,
  DownloadRefusedError,
  KeyRefusedError,
  sleep,
  verifyImage,
  type CenterClient,
  type JobDetail,
  type JobEvent,
  type JobImage,
} from "./center-client";
import type { HotFolder } from "./hot-folder";
import { JobFailure } from "./job-failure";
import type { JobQueue, QueuedJob } from "./job-queue";
import type { JobWriter } from "./job-writer";
import type { JobRecord, Journal } from "./journal";
import type { LabTemplates } from "./lab-templates";
import { planSheets, type SheetPlan } from "./print-files";
import { looseFit, type SheetFor } from "./sheet-choice";
import { newClaimKey, type Recovery } from "./recovery";
import { EXIT, StoppedError, reason, transient, type RunState } from "./run-state";

/** How soon a lease renewal that did not go through is tried again. */
const LEASE_LOOK_MS = 2000;
/** Renewals of one lease are at least this far apart (a third of the lease, usually). */
const MIN_RENEW_MS = 500;

/** Claim answers that mean "someone else has it, or it is not for the taking": skip quietly. */
const NOT_OURS = new Set(["ALREADY_CLAIMED", "NOT_CLAIMABLE"]);

type Outcome = "written" | "failed" | "dropped";

export interface WorkerDeps {
  client: CenterClient;
  journal: Journal;
  hot: HotFolder;
  queue: JobQueue;
  recovery: Recovery;
  writer: JobWriter;
  templates: LabTemplates;
  run: RunState;
  say: (line: string) => void;
  /** The paper a service prints on. */
  sheetFor: SheetFor;
  /** The lab's own copies of stock images the center holds no bytes of (file name = image id). */
  libraryDir?: string | null;
  /** Fault injection for tests: wait this long right after a job reaches this step. */
  pauseAfter?: { step: "claimed" | "publishing" | "written"; ms: number } | null;
}

export class Worker {
  private readonly client: CenterClient;
  private readonly journal: Journal;
  private readonly hot: HotFolder;
  private readonly queue: JobQueue;
  private readonly recovery: Recovery;
  private readonly run: RunState;
  private readonly say: (line: string) => void;

  constructor(private readonly d: WorkerDeps) {
    this.client = d.client;
    this.journal = d.journal;
    this.hot = d.hot;
    this.queue = d.queue;
    this.recovery = d.recovery;
    this.run = d.run;
    this.say = d.say;
  }

  // --- job announcements ---------------------------------------------------------------------------

  announce(ev: JobEvent): void {
    if (this.run.stopping) return;
    switch (ev.status) {
      case "QUEUED": {
        if (this.queue.isActive(ev.id) || this.queue.isFinished(ev.id)) return;
        const rec = this.journal.get(ev.id);
        if (rec?.state === "completed") return;
        const known = this.queue.get(ev.id);
        // Announced again while waiting: keeps its wait and the key of a claim whose answer never came.
        this.queue.enqueue({
          id: ev.id,
          orderId: ev.orderId,
          sheets: ev.sheets,
          notBefore: known?.notBefore ?? 0,
          finish: known?.finish ?? false,
          claimKey: known?.claimKey,
        });
        return;
      }
      case "FAILED":
      case "DONE": {
        // A withdrawn job (cancelled, moved to another lab, failed for good) or one finished elsewhere.
        if (this.queue.delete(ev.id) && ev.status === "FAILED") this.say(`job ${ev.id} withdrawn (${ev.lastError ?? "failed"}): dropped`);
        const rec = this.journal.get(ev.id);
        if (rec && rec.state === "written" && !this.queue.isActive(ev.id)) this.recovery.settleWritten(rec, ev.status);
        return;
      }
      case "LEASED":
        // Someone holds it; if the lease runs out it is offered again.
        this.queue.delete(ev.id);
        return;
      default:
        this.say(`job ${ev.id}: unknown status ${String(ev.status)}; ignored`);
    }
  }

  // --- the loop ------------------------------------------------------------------------------------

  /** One worker: takes jobs off the queue until the daemon stops. */
  async work(): Promise<void> {
    while (!this.run.stopping) {
      const job = this.queue.take();
      if (!job) {
        await this.queue.idle();
        continue;
      }
      const startedAt = this.queue.begin(job);
      try {
        await this.process(job);
      } catch (e) {
        this.say(`job ${job.id}: unexpected error: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        this.queue.end(job.id, startedAt);
      }
    }
  }

  // --- one job -------------------------------------------------------------------------------------

  private async process(job: QueuedJob): Promise<void> {
    let rec = this.journal.get(job.id);
    if (rec?.state === "completed") return;
    if (job.finish && rec?.state === "written" && rec.leaseToken) {
      // Found in the hot folder on start: its old lease may still hold.
      await this.settle(rec, rec.leaseToken, { reclaim: true });
      return;
    }
    if (this.run.stopping) return;
    if (job.finish && rec?.state === "claimed") {
      // Claimed by a previous run and not written: written now with the lease the journal holds.
      const lease = await this.recovery.resumeLease(rec);
      if (!lease) return;
      if ((await this.print(job.id, lease.token, lease)) === "written") {
        const written = this.journal.get(job.id)!;
        await this.complete(written, written.leaseToken ?? lease.token, { reclaim: true });
      }
      return;
    }

    let claim;
    const claimKey = job.claimKey ?? newClaimKey();
    try {
      claim = await this.client.claim(job.id, claimKey);
    } catch (e) {
      if (e instanceof KeyRefusedError) return this.run.fatal(e.message, EXIT.KEY_REFUSED);
      if (transient(e)) {
        // The center is away: every claim would fail the same way, so all claiming waits (growing).
        const paused = this.queue.pauseClaims();
        this.say(`job ${job.id} not claimed: ${reason(e)}; claiming again in ${Math.max(1, Math.round(paused.delay / 1000))}s`);
        if (!this.run.stopping && !this.queue.has(job.id)) this.queue.putBack({ ...job, notBefore: paused.until, claimKey });
        return;
      }
      this.say(`job ${job.id} not claimed: ${reason(e)}`);
      return;
    }
    this.queue.claimAnswered();
    if (claim.errors.length > 0 || !claim.leaseToken) {
      const err = claim.errors[0] ?? { code: "NO_LEASE", message: "the center gave no lease token" };
      this.say(NOT_OURS.has(err.code) ? `job ${job.id} skipped: ${err.code}` : `job ${job.id} not claimed: ${err.code}: ${err.message}`);
      return;
    }
    const token = claim.leaseToken;
    const orderId = claim.job?.orderId ?? job.orderId;
    this.journal.append({ op: "claimed", job: job.id, order: orderId, token, expires: claim.leaseExpiresAt, attempts: claim.job?.attempts ?? null });
    this.say(`job ${job.id} claimed (order ${orderId})`);
    await this.pause("claimed");

    rec = this.journal.get(job.id)!;
    if (rec.state === "written") {
      this.say(`job ${job.id} is already in the hot folder (${rec.dir}): completing, not writing again`);
      await this.settle(rec, token, { reclaim: false });
      return;
    }
    const outcome = await this.print(job.id, token, { expiresAt: claim.leaseExpiresAt, attempts: claim.job?.attempts ?? null });
    if (outcome === "written") await this.settle(this.journal.get(job.id)!, this.journal.get(job.id)!.leaseToken ?? token, { reclaim: true });
  }

  /** Fetch, check, download, lay out, publish. Ends with the job written, failed, or dropped. */
  private async print(jobId: string, token: string, lease: { expiresAt: string | null; attempts: number | null }): Promise<Outcome> {
    let tmp: string | null = null;
    try {
      const fetched = await this.run.retrying(jobId, "fetch the job", () => this.client.printJob(jobId));
      if (!fetched) return this.drop(jobId, "the center no longer shows this job");
      if (fetched.status === "QUEUED") {
        // Our lease ran out and was swept while we waited for the center: take the job again.
        const again = await this.recovery.reclaimLease(jobId);
        if (!again) return this.drop(jobId, "its lease ran out and someone else has it now");
        token = again.token;
        lease = again;
      } else if (fetched.status !== "LEASED") {
        return this.drop(jobId, `the job is ${fetched.status} now`);
      }
      let detail: JobDetail = fetched;

      const templates = this.d.templates.list();
      const missing = [
        ...new Set(detail.order.subOrders.flatMap((s) => s.items.map((i) => i.designTemplateId).filter((t): t is string => !!t && !templates.has(t)))),
      ];
      if (missing.length > 0) {
        const dir = this.d.templates.dir;
        throw new JobFailure(
          "TEMPLATE_MISSING",
          `the lab does not hold design template${missing.length > 1 ? "s" : ""} ${missing.join(", ")}${dir ? ` (in ${dir})` : " (no --templates folder)"}`,
          true,
        );
      }
      // Every plan is made before any download: a bad layout fails the job at once.
      const plans: SheetPlan[] = [];
      for (const s of detail.order.subOrders) {
        try {
          plans.push(...planSheets(s, this.d.sheetFor(s), looseFit(s)));
        } catch (e) {
          throw new JobFailure("BAD_LAYOUT", e instanceof Error ? e.message : String(e), false);
        }
      }
      // A signed download path that expired meanwhile is asked for anew (once per image).
      const images = await this.downloadAll(jobId, detail, async () => {
        detail = (await this.run.retrying(jobId, "fetch the job", () => this.client.printJob(jobId))) ?? detail;
        return detail;
      });
      const frames = await this.d.templates.frames(templates, plans);

      tmp = await this.hot.begin(jobId);
      const { files, totalSheets } = await this.d.writer.write(tmp, { jobId, detail, plans, images, frames });

      // The lease must still be ours when the job appears: otherwise another claimer may print it too.
      if (lease.expiresAt && Date.now() >= Date.parse(lease.expiresAt)) {
        const renewed = await this.recovery.stillOurs(jobId, lease.attempts);
        if (!renewed) {
          await this.hot.discard(tmp);
          tmp = null;
          return this.drop(jobId, "its lease ran out before it was written; it is redone when offered again");
        }
        token = renewed === true ? token : renewed;
      }
      const dir = this.hot.dirFor(jobId);
      this.journal.append({ op: "publishing", job: jobId, tmp, dir, sheets: totalSheets });
      await this.pause("publishing");
      const published = await this.hot.publish(tmp, jobId);
      tmp = null;
      this.journal.append({ op: "written", job: jobId, dir, sheets: totalSheets });
      this.say(
        published === "published"
          ? `job ${jobId} written to ${dir} (${files} print file${files === 1 ? "" : "s"}, ${totalSheets} sheet${totalSheets === 1 ? "" : "s"})`
          : `job ${jobId} was already in the hot folder (${dir}): not written again`,
      );
      await this.pause("written");
      return "written";
    } catch (e) {
      if (tmp) await this.hot.discard(tmp).catch(() => undefined);
      if (e instanceof StoppedError) {
        // The journal keeps the lease: the next start writes the job with it.
        this.say(`job ${jobId} not written: the daemon stopped first; the next start writes it with the lease the journal holds`);
        return "dropped";
      }
      if (e instanceof KeyRefusedError) {
        this.run.fatal(e.message, EXIT.KEY_REFUSED);
        return this.drop(jobId, "the key was refused");
      }
      const failure =
        e instanceof JobFailure
          ? e
          : e instanceof ChecksumMismatchError
            ? new JobFailure("CHECKSUM_MISMATCH", e.message, true)
            : e instanceof DownloadRefusedError
              ? new JobFailure("DOWNLOAD_FAILED", e.message, true)
              : new JobFailure("LAB_ERROR", e instanceof Error ? e.message : String(e), true);
      await this.fail(jobId, token, failure);
      return "failed";
    }
  }

  /** Downloads each image once, verified; a signed path that expired is fetched anew once. */
  private async downloadAll(jobId: string, detail: JobDetail, refresh: () => Promise<JobDetail>): Promise<Map<string, Buffer>> {
    const needed = [...new Set(detail.order.subOrders.flatMap((s) => s.items.map((i) => i.imageId)))];
    const out = new Map<string, Buffer>();
    let current = detail;
    for (const imageId of needed) {
      let refreshed = false;
      for (;;) {
        const image = current.images.find((im) => im.imageId === imageId);
        if (!image) throw new JobFailure("IMAGE_MISSING", `the job names image ${imageId} but does not list it`, true);
        if (!image.url) {
          out.set(imageId, await this.fromLibrary(image));
          break;
        }
        try {
          out.set(imageId, await this.run.retrying(jobId, `download image ${imageId}`, () => this.client.download(image)));
          break;
        } catch (e) {
          if (e instanceof DownloadRefusedError && e.status === 403 && !refreshed) {
            refreshed = true;
            current = await refresh();
            continue;
          }
          throw e;
        }
      }
    }
    return out;
  }

  /** A stock image the center has no bytes of, from the lab's library (checked when the job gives a checksum). */
  private async fromLibrary(image: JobImage): Promise<Buffer> {
    const dir = this.d.libraryDir;
    const file = dir ? findByStem(dir, image.imageId) : null;
    if (!file) {
      throw new JobFailure(
        "IMAGE_MISSING",
        `image ${image.imageId} has no download and is not in the lab's library${dir ? ` (${dir})` : " (no --library folder)"}`,
        true,
      );
    }
    const bytes = await fs.promises.readFile(file);
    verifyImage(image, bytes);
    return bytes;
  }

  /**
   * A written job: handed to a controller that answers (and waited for), then completed; or, when
   * the controller refused it or never took it, failed (retryable) with its reason. A writer
   * without a controller's answer completes at once.
   */
  private async settle(rec: JobRecord, token: string, opts: { reclaim: boolean }): Promise<boolean> {
    const writer = this.d.writer;
    if (!writer.handOver) return this.complete(rec, token, opts);
    const jobId = rec.jobId;
    const answer = await writer.handOver({
      jobId,
      dir: rec.dir ?? this.hot.dirFor(jobId),
      stopping: () => this.run.stopping,
      tick: () => this.keepLease(jobId),
    });
    this.nextRenewal.delete(jobId);
    const now = this.journal.get(jobId) ?? rec;
    const current = now.leaseToken ?? token;
    switch (answer.kind) {
      case "accepted":
        this.say(`job ${jobId} accepted by the controller`);
        return this.complete(now, current, opts);
      case "refused":
        await this.fail(jobId, current, new JobFailure(answer.code, answer.reason, true));
        return true;
      case "stopped":
        this.say(`job ${jobId}: the daemon stops while the controller has it; it is looked at again on the next start`);
        return false;
      case "lost":
        return this.recovery.settleWritten(now, "FAILED", answer.reason);
      default:
        throw new Error(`unreachable controller answer ${(answer as { kind: string }).kind}`);
    }
  }

  /**
   * While a controller has a job: renews the lease a third of the way into it (renewPrintJobLease),
   * so that a controller slower than the lease costs no attempt. When the center refuses the
   * renewal, asks where the job stands: still LEASED (looked at again later), back in the queue
   * (claimed again at once: a new lease, in the journal), or settled otherwise (false). A center
   * that cannot be reached is asked again a little later: it cannot sweep what it cannot reach.
   */
  private async keepLease(jobId: string): Promise<boolean> {
    const rec = this.journal.get(jobId);
    if (!rec?.leaseToken) return true;
    const now = Date.now();
    if (now < (this.nextRenewal.get(jobId) ?? 0)) return true;
    this.nextRenewal.set(jobId, now + LEASE_LOOK_MS);
    let status;
    try {
      const renewed = await this.client.renew(jobId, rec.leaseToken);
      const until = renewed.errors.length === 0 ? renewed.job?.leaseExpiresAt : null;
      if (until) {
        this.journal.append({ op: "renewed", job: jobId, expires: until });
        this.nextRenewal.set(jobId, now + Math.max(MIN_RENEW_MS, (Date.parse(until) - now) / 3));
        this.say(`job ${jobId}: lease renewed until ${until} while the controller has it`);
        return true;
      }
      this.say(`job ${jobId}: lease not renewed (${renewed.errors[0]?.code ?? "no lease"})`);
      status = await this.client.jobStatus(jobId);
    } catch (e) {
      if (e instanceof KeyRefusedError) throw e;
      return true;
    }
    if (status?.status === "LEASED") return true;
    if (status?.status === "QUEUED") {
      const again = await this.recovery.reclaimLease(jobId);
      return again !== null;
    }
    this.nextRenewal.delete(jobId);
    return false;
  }

  /** When each job a controller has is next to have its lease renewed. */
  private readonly nextRenewal = new Map<string, number>();

  /** Completes a written job; on a refusal, finds out where the job stands and acts on it. True when settled. */
  private async complete(rec: JobRecord, token: string, opts: { reclaim: boolean }): Promise<boolean> {
    let payload;
    try {
      payload = await this.run.retrying(rec.jobId, "complete", () => this.client.complete(rec.jobId, token), { duringStop: true });
    } catch (e) {
      this.say(`job ${rec.jobId}: could not complete it (${reason(e)}); it stays in the journal and is completed later`);
      return false;
    }
    if (payload.errors.length === 0) {
      this.recovery.markCompleted(rec, "completed");
      return true;
    }
    const err = payload.errors[0];
    let status;
    try {
      status = await this.run.retrying(rec.jobId, "read its status", () => this.client.jobStatus(rec.jobId), { duringStop: true });
    } catch (e) {
      this.say(`job ${rec.jobId}: completion refused (${err.code}) and its status unknown (${reason(e)}); completed later`);
      return false;
    }
    if (!status) return this.recovery.settleWritten(rec, "FAILED", `completion refused (${err.code}) and the job is gone`);
    if (status.status === "DONE" || status.status === "FAILED") return this.recovery.settleWritten(rec, status.status);
    if (status.status === "QUEUED" && opts.reclaim && !this.run.stopping) {
      const renewed = await this.recovery.reclaim(rec.jobId);
      if (renewed) return this.complete(this.journal.get(rec.jobId)!, renewed, { reclaim: false });
    }
    this.say(`job ${rec.jobId}: completion refused (${err.code}: ${err.message}); it is in the hot folder and is completed when the center offers it again`);
    return false;
  }

  private async fail(jobId: string, token: string, failure: JobFailure): Promise<void> {
    this.say(`job ${jobId} failed (${failure.retryable ? "retryable" : "final"}): ${failure.message}`);
    try {
      const r = await this.run.retrying(jobId, "report the failure", () => this.client.fail(jobId, token, failure.message, failure.retryable), {
        duringStop: true,
      });
      if (r.errors.length > 0)
        this.say(`job ${jobId}: the center did not take the failure (${r.errors[0].code}: ${r.errors[0].message}); its lease will run out`);
      else if (r.job) this.say(`job ${jobId} is ${r.job.status} at the center (attempts ${r.job.attempts})`);
    } catch (e) {
      this.say(`job ${jobId}: could not report the failure (${reason(e)}); its lease will run out`);
    }
    this.journal.append({ op: "forget", job: jobId, why: failure.message });
  }

  private drop(jobId: string, why: string): Outcome {
    this.journal.append({ op: "forget", job: jobId, why });
    this.say(`job ${jobId} dropped: ${why}`);
    return "dropped";
  }

  private async pause(step: "claimed" | "publishing" | "written"): Promise<void> {
    if (this.d.pauseAfter?.step === step) await sleep(this.d.pauseAfter.ms);
  }
}

/** A file in `dir` named `stem` or `stem.<ext>`, or null. */
function findByStem(dir: string, stem: string): string | null {
  try {
    const name = fs.readdirSync(dir).find((n) => n === stem || n.replace(/\.[^.]+$/, "") === stem);
    return name ? path.join(dir, name) : null;
  } catch {
    return null;
  }
}
