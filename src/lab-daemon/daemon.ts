/**
 * The lab daemon (seed 001: the lab's server asks the center for its print orders and their image
 * data, prints them, and reports printing history). It holds the printJobs subscription, and for
 * each job offered: claims it, fetches the order and its images (checksums verified), lays the
 * images out on sheets, publishes the print files and a JSON ticket into the hot folder atomically,
 * and completes the job with its lease token. It reports its load and its printing history on a
 * schedule.
 *
 * Crash safety comes from the journal: every step is durable before the next one starts, and on
 * start the daemon reconciles the journal with the hot folder. A job already in the hot folder is
 * completed, never written again; a half-written one (a temporary folder) is removed and redone
 * once the center offers it again (its lease expires). SIGTERM finishes the jobs in hand, claims no
 * more, and stops.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CenterClient,
  CenterGraphQLError,
  CenterUnreachableError,
  ChecksumMismatchError,
  DownloadRefusedError,
  KeyRefusedError,
  backoffDelay,
  sleep,
  verifyImage,
  type HistoryInput,
  type JobDetail,
  type JobImage,
  type JobEvent,
  type SubscriptionHandlers,
  type UserError,
} from "./center-client";
import { HotFolder, chooseTmpRoot, type WrittenFile } from "./hot-folder";
import { Journal, lockStateDir, type HistoryEntry, type JobRecord } from "./journal";
import { parseLayout, planSheets, renderSheet, type PrintFormat, type SheetPlan, type SheetSize } from "./print-files";

/** Exit codes of the daemon's process. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, KEY_REFUSED: 3 } as const;

/** Claim answers that mean "someone else has it, or it is not for the taking": skip quietly. */
const NOT_OURS = new Set(["ALREADY_CLAIMED", "NOT_CLAIMABLE"]);
/** Image files a design template may be, to be laid over its item as a frame. */
const TEMPLATE_IMAGE = /\.(png|jpe?g|webp|tiff?|svg)$/i;
const HISTORY_BATCH = 100;
/** After SIGTERM, how long calls that settle a job in hand (complete, fail) keep being retried. */
const STOP_GRACE_MS = 20000;
/** The queue's expected work is counted against this span (see loadNow). */
const BACKLOG_HORIZON_MS = 5 * 60 * 1000;
/** The most a load report may say (the center refuses more). */
const MAX_UTILISATION = 100;

export interface DaemonOptions {
  url: string;
  key: string;
  /** The hot folder. */
  out: string;
  /** Journal, lock and temporary folders (default `<out>/.printmesh-lab`). */
  stateDir: string;
  /** The paper: a default, and per service when a lab prints several sizes. */
  sheet: SheetSize;
  sheetByService?: ReadonlyMap<string, SheetSize>;
  dpi: number;
  format: PrintFormat;
  loadEverySeconds: number;
  historyEverySeconds: number;
  /** When idle, subscribe again this often to pick up jobs whose retry delay or lease ran out. */
  resyncEverySeconds: number;
  concurrency: number;
  /** The design templates the lab holds (file names without extension are template ids). */
  templatesDir: string | null;
  /** The lab's own copies of stock images the center holds no bytes of (file name = image id). */
  libraryDir?: string | null;
  /** The printer's name in the printing history (default: this host's name). */
  printer?: string | null;
  /** One line per event for the operator (default: stdout). */
  say?: (line: string) => void;
  /** Reconnect backoff (default 1 s doubling to 30 s). */
  backoff?: { baseMs: number; capMs: number };
  /** After SIGTERM, how long completing or failing a job in hand is retried (default 20 s). */
  stopGraceMs?: number;
  /** Fault injection for tests: wait this long right after a job reaches this step. */
  pauseAfter?: { step: "claimed" | "written"; ms: number } | null;
}

interface QueuedJob {
  id: string;
  orderId: string;
  sheets: number;
  /** Not before this instant (a claim that could not reach the center waits). */
  notBefore: number;
  /** A job found in the hot folder on start: try its old lease first. */
  finish: boolean;
  /**
   * The key of a claim whose answer never came (the center unreachable): sent again with the same
   * key, so that a claim the center did take answers its lease instead of ALREADY_CLAIMED.
   */
  claimKey?: string;
}

type Outcome = "written" | "failed" | "dropped";

class JobFailure extends Error {
  constructor(
    readonly code: string,
    detail: string,
    readonly retryable: boolean,
  ) {
    super(`${code}: ${detail}`);
  }
}

export class LabDaemon {
  private readonly client: CenterClient;
  private hot!: HotFolder;
  private journal!: Journal;
  private releaseLock: (() => void) | null = null;
  private readonly say: (line: string) => void;
  private readonly queue = new Map<string, QueuedJob>();
  private readonly active = new Map<string, { sheets: number; startedAt: number }>();
  /** Jobs this process completed: a late announcement of them is not claimed again. */
  private readonly finished = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private workers: Promise<void>[] = [];
  private stopping = false;
  private stoppedPromise: Promise<void> | null = null;
  private connected = false;
  /** The history report under way, if any. */
  private historyInFlight: Promise<void> | null = null;
  private readonly handlers: SubscriptionHandlers;
  private resolveExit!: (code: number) => void;
  /** Resolves with the process's exit code once the daemon has stopped. */
  readonly exited: Promise<number>;
  // Load accounting since the last report (see loadNow).
  private windowStart = Date.now();
  private busyMs = 0;
  private avgJobMs = 1000;

  constructor(private readonly opts: DaemonOptions) {
    this.say = opts.say ?? ((line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`));
    this.client = new CenterClient({ url: opts.url, key: opts.key, backoff: opts.backoff });
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.handlers = {
      onJob: (job) => this.onJob(job),
      onConnected: (reconnect) => {
        this.connected = true;
        this.say(reconnect ? `reconnected to ${this.client.baseUrl}; catching up on the backlog` : `connected to ${this.client.baseUrl}; waiting for jobs`);
        // The center is back: claims paused by its absence may go at once.
        this.claimsPausedUntil = 0;
        this.claimFailures = 0;
        this.wakeAll();
        void this.reportTemplates(true);
      },
      onDisconnected: (code) => {
        this.connected = false;
        this.say(`connection to the center lost (${code}); reconnecting`);
      },
      onRetry: ({ delayMs, refused }) => {
        this.connected = false;
        const secs = Math.max(1, Math.round(delayMs / 1000));
        if (refused) this.say(`the center refused the lab key (4403): check --key (retrying in ${secs}s)`);
        else this.say(`center unreachable at ${this.client.baseUrl}, retrying in ${secs}s`);
      },
      onGiveUp: (e) => this.fatal(`${e.message}; giving up`, EXIT.KEY_REFUSED),
      onWarning: (message) => this.say(message),
    };
  }

  /** Recovers from the journal, connects, and starts working. */
  async start(): Promise<void> {
    this.releaseLock = lockStateDir(this.opts.stateDir);
    try {
      fs.mkdirSync(this.opts.out, { recursive: true });
      this.hot = new HotFolder(this.opts.out, chooseTmpRoot(this.opts.out, this.opts.stateDir));
      this.hot.prepare();
      const { journal, report } = Journal.open(this.opts.stateDir);
      this.journal = journal;
      if (report.tornTail) this.say("journal: dropped a half-written last line (the daemon was killed while writing it)");
      if (report.unreadable > 0) this.say(`journal: skipped ${report.unreadable} unreadable line(s)`);
      this.recover();
    } catch (e) {
      this.releaseLock();
      this.releaseLock = null;
      throw e;
    }
    this.say(
      `lab daemon: center ${this.client.baseUrl}, hot folder ${this.opts.out}, state ${this.opts.stateDir}, sheet ${this.opts.sheet.name} at ${this.opts.dpi} dpi (${this.opts.format})`,
    );
    this.client.start(this.handlers);
    for (let i = 0; i < this.opts.concurrency; i++) this.workers.push(this.work());
    this.every(this.opts.loadEverySeconds, async () => {
      await this.reportLoad();
      await this.reportTemplates();
    });
    this.every(this.opts.historyEverySeconds, () => this.flushHistory());
    this.every(this.opts.resyncEverySeconds, () => this.resync());
  }

  /** Finishes the jobs in hand, claims no more, reports what history it can, and releases the state folder. */
  stop(): Promise<void> {
    if (this.stoppedPromise) return this.stoppedPromise;
    this.stopping = true;
    this.stopSignal.abort();
    this.stoppedPromise = (async () => {
      const busy = this.active.size;
      this.say(busy > 0 ? `stopping: finishing ${busy} job(s) in hand, claiming no more` : "stopping");
      for (const t of this.timers) clearInterval(t);
      this.queue.clear();
      this.wakeAll();
      await Promise.all(this.workers);
      await this.client.close();
      if (this.journal && !this.fatalCode) await this.flushHistory(true);
      this.journal?.close();
      this.releaseLock?.();
      this.releaseLock = null;
      this.say("stopped");
      this.resolveExit(this.fatalCode ?? EXIT.OK);
    })();
    return this.stoppedPromise;
  }

  private fatalCode: number | null = null;

  private fatal(message: string, code: number): void {
    if (this.fatalCode !== null) return;
    this.fatalCode = code;
    process.stderr.write(`printmesh-lab: ${message}\n`);
    void this.stop();
  }

  // --- recovery ------------------------------------------------------------------------------------

  /** Reconciles the journal with the hot folder after a stop of any kind. */
  private recover(): void {
    for (const rec of this.journal.all()) {
      switch (rec.state) {
        case "claimed":
          this.journal.append({ op: "forget", job: rec.jobId, why: "not written before the daemon stopped" });
          this.say(`job ${rec.jobId} was not written when the daemon stopped: it is redone once the center offers it again`);
          break;
        case "publishing":
          if (rec.tmp && this.hot.stillPending(rec.tmp)) {
            this.journal.append({ op: "forget", job: rec.jobId, why: "half-written when the daemon stopped" });
            this.say(`job ${rec.jobId} was half-written when the daemon stopped: removed, it is redone once the center offers it again`);
          } else {
            // The rename happened (its temporary folder is gone): the job is in the hot folder.
            this.journal.append({ op: "written", job: rec.jobId, dir: rec.dir ?? this.hot.dirFor(rec.jobId), sheets: rec.sheets ?? 0 });
            this.say(`job ${rec.jobId} is in the hot folder but was not completed: completing it`);
            this.enqueue({ id: rec.jobId, orderId: rec.orderId, sheets: rec.sheets ?? 0, notBefore: 0, finish: true });
          }
          break;
        case "written":
          this.say(`job ${rec.jobId} is in the hot folder but was not completed: completing it`);
          this.enqueue({ id: rec.jobId, orderId: rec.orderId, sheets: rec.sheets ?? 0, notBefore: 0, finish: true });
          break;
        case "completed":
          break;
        default:
          throw new Error(`unreachable job state ${(rec as JobRecord).state}`);
      }
    }
    const removed = this.hot.recover();
    if (removed.length > 0) this.say(`removed ${removed.length} half-written job folder(s) left by a previous run`);
    const pending = this.journal.pendingHistory().length;
    if (pending > 0) this.say(`${pending} printing history entr${pending === 1 ? "y" : "ies"} to report`);
  }

  // --- job announcements ---------------------------------------------------------------------------

  private onJob(ev: JobEvent): void {
    if (this.stopping) return;
    switch (ev.status) {
      case "QUEUED": {
        if (this.active.has(ev.id) || this.finished.has(ev.id)) return;
        const rec = this.journal.get(ev.id);
        if (rec?.state === "completed") return;
        const known = this.queue.get(ev.id);
        // Announced again while waiting: keeps its wait and the key of a claim whose answer never came.
        this.enqueue({ id: ev.id, orderId: ev.orderId, sheets: ev.sheets, notBefore: known?.notBefore ?? 0, finish: known?.finish ?? false, claimKey: known?.claimKey });
        return;
      }
      case "FAILED":
      case "DONE": {
        // A withdrawn job (cancelled, moved to another lab, failed for good) or one finished elsewhere.
        if (this.queue.delete(ev.id) && ev.status === "FAILED") this.say(`job ${ev.id} withdrawn (${ev.lastError ?? "failed"}): dropped`);
        const rec = this.journal.get(ev.id);
        if (rec && rec.state === "written" && !this.active.has(ev.id)) this.settleWritten(rec, ev.status);
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

  private enqueue(job: QueuedJob): void {
    this.queue.set(job.id, job);
    this.wakeOne();
  }

  // --- workers -------------------------------------------------------------------------------------

  private async work(): Promise<void> {
    while (!this.stopping) {
      const job = this.take();
      if (!job) {
        await this.idle();
        continue;
      }
      const startedAt = Date.now();
      this.active.set(job.id, { sheets: job.sheets, startedAt });
      try {
        await this.process(job);
      } catch (e) {
        this.say(`job ${job.id}: unexpected error: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        this.active.delete(job.id);
        const now = Date.now();
        this.busyMs += now - Math.max(startedAt, this.windowStart);
        this.avgJobMs = this.avgJobMs * 0.8 + (now - startedAt) * 0.2;
      }
    }
  }

  private claimFailures = 0;
  private claimsPausedUntil = 0;

  /** The first job that may be tried now, taken off the queue. */
  private take(): QueuedJob | null {
    const now = Date.now();
    if (now < this.claimsPausedUntil) return null;
    for (const job of this.queue.values()) {
      if (job.notBefore <= now && !this.active.has(job.id)) {
        this.queue.delete(job.id);
        return job;
      }
    }
    return null;
  }

  private idle(): Promise<void> {
    let next = Date.now() + 5000;
    for (const j of this.queue.values()) next = Math.min(next, Math.max(j.notBefore, this.claimsPausedUntil));
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, Math.max(10, next - Date.now()));
      this.waiters.add(done);
    });
  }

  private wakeOne(): void {
    const first = this.waiters.values().next();
    if (!first.done) first.value();
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  // --- one job -------------------------------------------------------------------------------------

  private async process(job: QueuedJob): Promise<void> {
    let rec = this.journal.get(job.id);
    if (rec?.state === "completed") return;
    if (job.finish && rec?.state === "written" && rec.leaseToken) {
      // Found in the hot folder on start: its old lease may still hold.
      await this.complete(rec, rec.leaseToken, { reclaim: true });
      return;
    }
    if (this.stopping) return;

    let claim;
    const claimKey = job.claimKey ?? newClaimKey();
    try {
      claim = await this.client.claim(job.id, claimKey);
    } catch (e) {
      if (e instanceof KeyRefusedError) return this.fatal(e.message, EXIT.KEY_REFUSED);
      if (transient(e)) {
        // The center is away: every claim would fail the same way, so all claiming waits (growing).
        const delay = backoffDelay(this.claimFailures++, 1000, 30000);
        this.claimsPausedUntil = Date.now() + delay;
        this.say(`job ${job.id} not claimed: ${reason(e)}; claiming again in ${Math.max(1, Math.round(delay / 1000))}s`);
        if (!this.stopping && !this.queue.has(job.id)) this.queue.set(job.id, { ...job, notBefore: this.claimsPausedUntil, claimKey });
        return;
      }
      this.say(`job ${job.id} not claimed: ${reason(e)}`);
      return;
    }
    this.claimFailures = 0;
    if (claim.errors.length > 0 || !claim.leaseToken) {
      const err = claim.errors[0] ?? { code: "NO_LEASE", message: "the center gave no lease token" };
      this.say(NOT_OURS.has(err.code) ? `job ${job.id} skipped: ${err.code}` : `job ${job.id} not claimed: ${err.code}: ${err.message}`);
      return;
    }
    const token = claim.leaseToken;
    const orderId = claim.job?.orderId ?? job.orderId;
    this.journal.append({ op: "claimed", job: job.id, order: orderId, token, expires: claim.leaseExpiresAt });
    this.say(`job ${job.id} claimed (order ${orderId})`);
    await this.pause("claimed");

    rec = this.journal.get(job.id)!;
    if (rec.state === "written") {
      this.say(`job ${job.id} is already in the hot folder (${rec.dir}): completing, not writing again`);
      await this.complete(rec, token, { reclaim: false });
      return;
    }
    const outcome = await this.print(job.id, token, { expiresAt: claim.leaseExpiresAt, attempts: claim.job?.attempts ?? null });
    if (outcome === "written") await this.complete(this.journal.get(job.id)!, this.journal.get(job.id)!.leaseToken ?? token, { reclaim: true });
  }

  /** Fetch, check, download, lay out, publish. Ends with the job written, failed, or dropped. */
  private async print(jobId: string, token: string, lease: { expiresAt: string | null; attempts: number | null }): Promise<Outcome> {
    let tmp: string | null = null;
    try {
      const fetched = await this.retrying(jobId, "fetch the job", () => this.client.printJob(jobId));
      if (!fetched) return this.drop(jobId, "the center no longer shows this job");
      if (fetched.status === "QUEUED") {
        // Our lease ran out and was swept while we waited for the center: take the job again.
        const again = await this.reclaimLease(jobId);
        if (!again) return this.drop(jobId, "its lease ran out and someone else has it now");
        token = again.token;
        lease = again;
      } else if (fetched.status !== "LEASED") {
        return this.drop(jobId, `the job is ${fetched.status} now`);
      }
      let detail: JobDetail = fetched;

      const templates = this.templates();
      const missing = [...new Set(detail.order.subOrders.flatMap((s) => s.items.map((i) => i.designTemplateId).filter((t): t is string => !!t && !templates.has(t))))];
      if (missing.length > 0) {
        throw new JobFailure("TEMPLATE_MISSING", `the lab does not hold design template${missing.length > 1 ? "s" : ""} ${missing.join(", ")}${this.opts.templatesDir ? ` (in ${this.opts.templatesDir})` : " (no --templates folder)"}`, true);
      }
      // Every plan is made before any download: a bad layout fails the job at once.
      const plans: SheetPlan[] = [];
      for (const s of detail.order.subOrders) {
        try {
          plans.push(...planSheets(s, this.sheetFor(s.serviceId)));
        } catch (e) {
          throw new JobFailure("BAD_LAYOUT", e instanceof Error ? e.message : String(e), false);
        }
      }
      // A signed download path that expired meanwhile is asked for anew (once per image).
      const images = await this.downloadAll(jobId, detail, async () => {
        detail = (await this.retrying(jobId, "fetch the job", () => this.client.printJob(jobId))) ?? detail;
        return detail;
      });
      const frames = await this.frames(templates, plans);

      tmp = await this.hot.begin(jobId);
      const files: Array<WrittenFile & { contentType: string }> = [];
      const sheetsOut: Array<Record<string, unknown>> = [];
      const offSheet = new Set<string>();
      let totalSheets = 0;
      const ext = this.opts.format === "pdf" ? "pdf" : "jpg";
      for (const [i, plan] of plans.entries()) {
        let rendered;
        try {
          rendered = await renderSheet(plan, { images, templates: frames }, { dpi: this.opts.dpi, format: this.opts.format });
        } catch (e) {
          throw new JobFailure("RENDER_FAILED", e instanceof Error ? e.message : String(e), true);
        }
        const name = `sheet-${String(i + 1).padStart(3, "0")}.${ext}`;
        const written = await this.hot.writeFile(tmp, name, rendered.bytes);
        files.push({ ...written, contentType: rendered.contentType });
        rendered.offSheet.forEach((id) => offSheet.add(id));
        totalSheets += plan.copies;
        sheetsOut.push({
          file: name,
          subOrderId: plan.subOrderId,
          serviceId: plan.serviceId,
          page: plan.page,
          copies: plan.copies,
          size: { name: plan.sheet.name, widthMm: plan.sheet.widthMm, heightMm: plan.sheet.heightMm, widthPx: rendered.widthPx, heightPx: rendered.heightPx, dpi: this.opts.dpi },
          items: plan.items.map((it) => it.itemId),
        });
      }
      const printedAt = new Date().toISOString();
      const fileOf = new Map(plans.flatMap((p, i) => p.items.map((it) => [it.itemId, { file: files[i].name, page: p.page }] as const)));
      const imageOf = new Map(detail.images.map((im) => [im.imageId, im]));
      const ticket = {
        ticketVersion: 1,
        jobId,
        orderId: detail.orderId,
        labId: detail.labId,
        attempts: detail.attempts,
        printedAt,
        center: this.client.baseUrl,
        format: this.opts.format,
        dpi: this.opts.dpi,
        services: detail.order.subOrders.map((s) => ({
          subOrderId: s.id,
          serviceId: s.serviceId,
          sheetsOrdered: s.sheets,
          sheetSize: this.sheetFor(s.serviceId).name,
          pages: plans.filter((p) => p.subOrderId === s.id).length,
        })),
        sheets: sheetsOut,
        totalSheets,
        items: detail.order.subOrders.flatMap((s) =>
          s.items.map((it) => ({
            itemId: it.id,
            subOrderId: s.id,
            imageId: it.imageId,
            sha256: imageOf.get(it.imageId)?.sha256 ?? null,
            designTemplateId: it.designTemplateId ?? null,
            layout: parseLayout(it.layout, it.id),
            file: fileOf.get(it.id)?.file ?? null,
            page: fileOf.get(it.id)?.page ?? null,
            offSheet: offSheet.has(it.id),
          })),
        ),
        files: files.map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256, contentType: f.contentType })),
        images: detail.images.map((im) => ({ imageId: im.imageId, sha256: im.sha256, bytes: im.bytes, width: im.width, height: im.height, contentType: im.contentType })),
      };
      await this.hot.writeFile(tmp, "ticket.json", JSON.stringify(ticket, null, 2) + "\n");

      // The lease must still be ours when the job appears: otherwise another claimer may print it too.
      if (lease.expiresAt && Date.now() >= Date.parse(lease.expiresAt)) {
        const renewed = await this.stillOurs(jobId, lease.attempts);
        if (!renewed) {
          await this.hot.discard(tmp);
          tmp = null;
          return this.drop(jobId, "its lease ran out before it was written; it is redone when offered again");
        }
        token = renewed === true ? token : renewed;
      }
      const dir = this.hot.dirFor(jobId);
      this.journal.append({ op: "publishing", job: jobId, tmp, dir, sheets: totalSheets });
      const published = await this.hot.publish(tmp, jobId);
      tmp = null;
      this.journal.append({ op: "written", job: jobId, dir, sheets: totalSheets });
      this.say(
        published === "published"
          ? `job ${jobId} written to ${dir} (${files.length} print file${files.length === 1 ? "" : "s"}, ${totalSheets} sheet${totalSheets === 1 ? "" : "s"})`
          : `job ${jobId} was already in the hot folder (${dir}): not written again`,
      );
      await this.pause("written");
      return "written";
    } catch (e) {
      if (tmp) await this.hot.discard(tmp).catch(() => undefined);
      if (e instanceof StoppedError) return this.drop(jobId, "the daemon stopped before it was written; it is redone when offered again");
      if (e instanceof KeyRefusedError) {
        this.fatal(e.message, EXIT.KEY_REFUSED);
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
          out.set(imageId, await this.retrying(jobId, `download image ${imageId}`, () => this.client.download(image)));
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
    const dir = this.opts.libraryDir;
    const file = dir ? findByStem(dir, image.imageId) : null;
    if (!file) {
      throw new JobFailure("IMAGE_MISSING", `image ${image.imageId} has no download and is not in the lab's library${dir ? ` (${dir})` : " (no --library folder)"}`, true);
    }
    const bytes = await fs.promises.readFile(file);
    verifyImage(image, bytes);
    return bytes;
  }

  /** Completes a written job; on a refusal, finds out where the job stands and acts on it. True when settled. */
  private async complete(rec: JobRecord, token: string, opts: { reclaim: boolean }): Promise<boolean> {
    let payload;
    try {
      payload = await this.retrying(rec.jobId, "complete", () => this.client.complete(rec.jobId, token), { duringStop: true });
    } catch (e) {
      this.say(`job ${rec.jobId}: could not complete it (${reason(e)}); it stays in the journal and is completed later`);
      return false;
    }
    if (payload.errors.length === 0) {
      this.markCompleted(rec, "completed");
      return true;
    }
    const err = payload.errors[0];
    let status;
    try {
      status = await this.retrying(rec.jobId, "read its status", () => this.client.jobStatus(rec.jobId), { duringStop: true });
    } catch (e) {
      this.say(`job ${rec.jobId}: completion refused (${err.code}) and its status unknown (${reason(e)}); completed later`);
      return false;
    }
    if (!status) return this.settleWritten(rec, "FAILED", `completion refused (${err.code}) and the job is gone`);
    if (status.status === "DONE" || status.status === "FAILED") return this.settleWritten(rec, status.status);
    if (status.status === "QUEUED" && opts.reclaim && !this.stopping) {
      const renewed = await this.reclaim(rec.jobId);
      if (renewed) return this.complete(this.journal.get(rec.jobId)!, renewed, { reclaim: false });
    }
    this.say(`job ${rec.jobId}: completion refused (${err.code}: ${err.message}); it is in the hot folder and is completed when the center offers it again`);
    return false;
  }

  /** A written job the center has settled otherwise: DONE (record it) or FAILED (forget it). */
  private settleWritten(rec: JobRecord, status: "DONE" | "FAILED", why?: string): boolean {
    if (status === "DONE") {
      this.markCompleted(rec, "completed (the center had already recorded it)");
    } else {
      this.journal.append({ op: "forget", job: rec.jobId, why: why ?? "withdrawn after it was written" });
      this.say(`job ${rec.jobId}: ${why ?? "withdrawn by the center after it was written to the hot folder"}; check ${rec.dir ?? "the hot folder"}`);
    }
    return true;
  }

  private markCompleted(rec: JobRecord, words: string): void {
    const entry: HistoryEntry = {
      jobId: rec.jobId,
      printedAt: rec.writtenAt ?? new Date().toISOString(),
      sheets: rec.sheets ?? 0,
      printer: this.opts.printer ?? os.hostname(),
      ok: true,
    };
    this.journal.append({ op: "completed", job: rec.jobId, history: entry });
    this.finished.add(rec.jobId);
    if (this.finished.size > 100000) this.finished.delete(this.finished.values().next().value as string);
    this.say(`job ${rec.jobId} ${words}`);
  }

  /**
   * Whether a lease that ran out by our clock is still ours: true when the job is LEASED with the
   * attempts it had at our claim (a lapsed lease is swept with attempts + 1 before anyone can claim
   * the job, and the center completes a lapsed lease nobody swept); a new token when the job was
   * swept back to the queue and we claimed it again; null when it is someone else's now.
   */
  private async stillOurs(jobId: string, attemptsAtClaim: number | null): Promise<true | string | null> {
    let status;
    try {
      status = await this.client.jobStatus(jobId);
    } catch (e) {
      this.say(`job ${jobId}: its lease ran out and its status is unknown (${reason(e)})`);
      return null;
    }
    if (status?.status === "LEASED" && attemptsAtClaim !== null && status.attempts === attemptsAtClaim) return true;
    if (status?.status === "QUEUED") return this.reclaim(jobId);
    return null;
  }

  /** Claims a job again (its lease ran out while we held it); the new token, or null. */
  private async reclaim(jobId: string): Promise<string | null> {
    return (await this.reclaimLease(jobId))?.token ?? null;
  }

  private async reclaimLease(jobId: string): Promise<{ token: string; expiresAt: string | null; attempts: number | null } | null> {
    try {
      const again = await this.client.claim(jobId, newClaimKey());
      if (again.errors.length === 0 && again.leaseToken) {
        const rec = this.journal.get(jobId);
        this.journal.append({ op: "claimed", job: jobId, order: again.job?.orderId ?? rec?.orderId ?? "", token: again.leaseToken, expires: again.leaseExpiresAt });
        this.say(`job ${jobId} claimed again (its lease had run out)`);
        return { token: again.leaseToken, expiresAt: again.leaseExpiresAt, attempts: again.job?.attempts ?? null };
      }
      this.say(`job ${jobId}: could not claim it again (${again.errors[0]?.code ?? "no lease"})`);
    } catch (e) {
      this.say(`job ${jobId}: could not claim it again (${reason(e)})`);
    }
    return null;
  }

  private async fail(jobId: string, token: string, failure: JobFailure): Promise<void> {
    this.say(`job ${jobId} failed (${failure.retryable ? "retryable" : "final"}): ${failure.message}`);
    try {
      const r = await this.retrying(jobId, "report the failure", () => this.client.fail(jobId, token, failure.message, failure.retryable), { duringStop: true });
      if (r.errors.length > 0) this.say(`job ${jobId}: the center did not take the failure (${r.errors[0].code}: ${r.errors[0].message}); its lease will run out`);
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

  /**
   * Runs a call to the center, retrying while the center is unreachable (capped, jittered
   * backoff). Stops retrying when the daemon stops (after a short grace for calls that settle a
   * job in hand).
   */
  private async retrying<T>(jobId: string, what: string, call: () => Promise<T>, opts: { duringStop?: boolean } = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        if (!transient(e)) throw e;
        if (this.stopping && (!opts.duringStop || Date.now() > (this.stopDeadline ??= Date.now() + (this.opts.stopGraceMs ?? STOP_GRACE_MS)))) throw new StoppedError();
        // While stopping, a call that settles a job in hand is tried every second until the grace ends.
        const delay = this.stopping ? 1000 : backoffDelay(attempt, 1000, 30000);
        this.say(`job ${jobId}: could not ${what}: ${reason(e)}; retrying in ${Math.max(1, Math.round(delay / 1000))}s`);
        await sleep(delay, this.stopping ? undefined : this.stopSignal.signal);
      }
    }
  }

  private stopDeadline: number | null = null;
  /** Aborted when the daemon starts stopping: cuts long retry waits short. */
  private readonly stopSignal = new AbortController();

  private async pause(step: "claimed" | "written"): Promise<void> {
    if (this.opts.pauseAfter?.step === step) await sleep(this.opts.pauseAfter.ms);
  }

  private sheetFor(serviceId: string): SheetSize {
    return this.opts.sheetByService?.get(serviceId) ?? this.opts.sheet;
  }

  /**
   * Tells the center which templates the lab holds, with each file's sha256, when the set changed
   * (and after each connect). Files the center does not know, or holds at another checksum, are
   * named to the operator and left out.
   */
  private async reportTemplates(force = false): Promise<void> {
    if (!this.opts.templatesDir || this.stopping) return;
    const held: Array<{ id: string; sha256: string }> = [];
    const seen = new Set<string>();
    for (const [id, file] of this.templates()) {
      if (id.includes(".") || seen.has(id)) continue; // the id without extension; the first file wins
      seen.add(id);
      const sha256 = await this.fileHash(file);
      if (sha256) held.push({ id, sha256 });
    }
    const fingerprint = JSON.stringify(held);
    if (!force && fingerprint === this.templatesReported) return;
    try {
      for (let round = 0; round < 3; round++) {
        const errors = await this.client.reportTemplates(held);
        if (errors === null) return; // the center has no such operation
        if (errors.length === 0) {
          this.templatesReported = fingerprint;
          this.say(`design templates reported to the center: ${held.length === 0 ? "none" : held.map((t) => t.id).join(", ")}`);
          return;
        }
        const refused = new Set(errors.map((e) => indexIn(e, "templates")).filter((n): n is number => n !== null && n < held.length));
        for (const e of errors) {
          const n = indexIn(e, "templates");
          this.say(`design template ${n !== null && held[n] ? held[n].id : "report"} refused: ${e.code}: ${e.message}`);
        }
        if (refused.size === 0) return;
        const keep = held.filter((_, i) => !refused.has(i));
        held.length = 0;
        held.push(...keep);
      }
    } catch (e) {
      if (!transient(e)) this.say(`design templates not reported: ${reason(e)}`);
    }
  }

  private templatesReported: string | null = null;
  private readonly hashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

  private async fileHash(file: string): Promise<string | null> {
    try {
      const st = await fs.promises.stat(file);
      if (!st.isFile()) return null;
      const known = this.hashes.get(file);
      if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.sha256;
      const sha256 = createHash("sha256").update(await fs.promises.readFile(file)).digest("hex");
      this.hashes.set(file, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
      return sha256;
    } catch {
      return null;
    }
  }

  /** The templates the lab holds now: template id (file name without extension) -> file. */
  private templates(): Map<string, string> {
    const out = new Map<string, string>();
    if (!this.opts.templatesDir) return out;
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.opts.templatesDir);
    } catch (e) {
      this.say(`templates folder ${this.opts.templatesDir} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      return out;
    }
    for (const name of names) {
      if (name.startsWith(".")) continue;
      const file = path.join(this.opts.templatesDir, name);
      out.set(name, file);
      out.set(name.replace(/\.[^.]+$/, ""), file);
    }
    return out;
  }

  /** The templates used by these sheets that are images, read once per job (laid over their items). */
  private async frames(templates: Map<string, string>, plans: SheetPlan[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const id of new Set(plans.flatMap((p) => p.items.map((i) => i.designTemplateId).filter((t): t is string => !!t)))) {
      const file = templates.get(id);
      if (file && TEMPLATE_IMAGE.test(file)) out.set(id, await fs.promises.readFile(file));
    }
    return out;
  }

  // --- schedules -----------------------------------------------------------------------------------

  private every(seconds: number, task: () => Promise<void> | void): void {
    if (!(seconds > 0)) return;
    const t = setInterval(() => {
      if (!this.stopping) void Promise.resolve(task()).catch((e) => this.say(`scheduled task failed: ${reason(e)}`));
    }, seconds * 1000);
    this.timers.push(t);
  }

  /**
   * What the lab has waiting and how busy it is, for the center's lab ranking. Utilisation is the
   * share of the last window the workers were busy (0 idle, 1 busy throughout), plus the work
   * waiting as a share of the next BACKLOG_HORIZON_MS (so above 1 means overbooked: 2 is busy now
   * with five minutes of work queued), at most MAX_UTILISATION.
   */
  loadNow(now = Date.now()): { queuedJobs: number; queuedSheets: number; utilisation: number } {
    const waiting = [...this.queue.values()];
    const inHand = [...this.active.values()];
    const capacity = this.opts.concurrency;
    const windowMs = Math.max(1, now - this.windowStart);
    const busy = this.busyMs + inHand.reduce((n, a) => n + (now - Math.max(a.startedAt, this.windowStart)), 0);
    const busyShare = Math.min(1, busy / (windowMs * capacity));
    const backlogShare = (waiting.length * this.avgJobMs) / (BACKLOG_HORIZON_MS * capacity);
    return {
      queuedJobs: waiting.length + inHand.length,
      queuedSheets: waiting.reduce((n, j) => n + j.sheets, 0) + inHand.reduce((n, a) => n + a.sheets, 0),
      utilisation: Math.min(MAX_UTILISATION, Math.round((busyShare + backlogShare) * 1000) / 1000),
    };
  }

  private async reportLoad(): Promise<void> {
    const now = Date.now();
    const load = this.loadNow(now);
    this.windowStart = now;
    this.busyMs = 0;
    try {
      const r = await this.client.reportLoad(load);
      if (r.errors.length > 0) this.say(`load report not taken: ${r.errors[0].code}: ${r.errors[0].message}`);
    } catch (e) {
      if (e instanceof KeyRefusedError) return this.fatal(e.message, EXIT.KEY_REFUSED);
      // The next report follows soon; an unreachable center is already being announced.
      if (!transient(e)) this.say(`load report failed: ${reason(e)}`);
    }
  }

  /**
   * Sends the printing history the center has not acknowledged, in batches. An entry stays in the
   * journal until reportPrintHistory answers for it, so a crash or an outage only delays it; the
   * center counts an entry it already has only once. One report at a time: a periodic one finds
   * the one under way and leaves it; the final one (on stop) waits for it, then sends what is left,
   * so that the stop does not close the journal under an answer still on its way.
   */
  private flushHistory(final = false): Promise<void> {
    if (this.historyInFlight) return final ? this.historyInFlight.then(() => this.flushHistory(true)) : this.historyInFlight;
    const flight = this.sendHistory(final).finally(() => {
      this.historyInFlight = null;
    });
    this.historyInFlight = flight;
    return flight;
  }

  private async sendHistory(final: boolean): Promise<void> {
    try {
      let sent = 0;
      for (;;) {
        // Re-read each round: what was acknowledged or refused has left the journal.
        const batch: HistoryInput[] = this.journal.pendingHistory().slice(0, HISTORY_BATCH);
        if (batch.length === 0) break;
        const r = await this.client.reportHistory(batch);
        if (r.errors.length === 0) {
          this.journal.append({ op: "reported", jobs: batch.map((e) => e.jobId) });
          sent += batch.length;
          continue;
        }
        // Entries the center refuses one by one (it names their index) would block the rest forever.
        const refused = new Set(r.errors.map((e) => indexIn(e, "entries")).filter((n): n is number => n !== null && n < batch.length));
        if (refused.size === 0) {
          this.say(`printing history not taken (${r.errors[0].code}: ${r.errors[0].message}); sent again later`);
          break;
        }
        const ids = [...refused].map((n) => batch[n].jobId);
        this.journal.append({ op: "reported", jobs: ids });
        this.say(`printing history: the center refused ${ids.length} entr${ids.length === 1 ? "y" : "ies"} (${r.errors[0].code}: ${r.errors[0].message}); dropped them, the rest is sent again`);
      }
      if (sent > 0) this.say(`printing history: ${sent} entr${sent === 1 ? "y" : "ies"} reported`);
    } catch (e) {
      if (e instanceof KeyRefusedError && !final) return this.fatal(e.message, EXIT.KEY_REFUSED);
      if (!transient(e) || final) this.say(`printing history not sent (${reason(e)}); sent again later`);
    }
  }

  /** When idle, asks for the backlog again: jobs whose retry delay or lease ran out are rung by no one. */
  private resync(): void {
    if (this.stopping || !this.connected || this.queue.size > 0 || this.active.size > 0) return;
    this.client.resubscribe(this.handlers);
  }
}

class StoppedError extends Error {
  constructor() {
    super("the daemon is stopping");
  }
}

function transient(e: unknown): boolean {
  return e instanceof CenterUnreachableError || (e instanceof CenterGraphQLError && (e.code === "INTERNAL_SERVER_ERROR" || e.code === "BAD_RESPONSE" || e.code === "RATE_LIMITED"));
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The list element a payload error is about, from its field path (["entries", "3", "jobId"]). */
function indexIn(e: UserError, list: string): number | null {
  const f = e.field ?? [];
  const at = f.indexOf(list);
  const n = at >= 0 && at + 1 < f.length ? Number(f[at + 1]) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : null;
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

/** A fresh key for one claim (the center accepts 16 to 64 characters of A-Z, a-z, 0-9, _ and -). */
function newClaimKey(): string {
  return randomBytes(16).toString("base64url");
}
