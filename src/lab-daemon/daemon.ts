/**
 * The lab daemon (seed 001: the lab's server asks the center for its print orders and their image
 * data, prints them, and reports printing history). It holds the printJobs subscription, and for
 * each job offered: claims it, fetches the order and its images (checksums verified), lays the
 * images out on sheets, publishes the print files and a JSON ticket into the hot folder atomically,
 * and completes the job with its lease token. It reports its load and its printing history on a
 * schedule.
 *
 * Crash safety comes from the journal: every step is durable before the next one starts, and on
 * start the daemon reconciles the journal with the hot folder and carries on at once with the lease
 * tokens it holds. A job already in the hot folder is completed, never written again; one claimed
 * but not written, or half-written (a temporary folder, removed first), is written now. SIGTERM
 * finishes the jobs in hand, claims no more, and stops.
 *
 * This module composes the parts and starts and stops them: the job queue (job-queue.ts), the
 * workers (worker.ts) with the hot-folder writer (job-writer.ts), recovery from the journal
 * (recovery.ts), and the scheduled reports (reporters.ts).
 */
import * as fs from "node:fs";
import { CenterClient, type SubscriptionHandlers } from "./center-client";
import { HotFolder, chooseTmpRoot } from "./hot-folder";
import { JobQueue } from "./job-queue";
import { DpofWriter } from "./dialects/dpof";
import { FrontierWriter } from "./dialects/frontier";
import { defaultProfile, type Dialect, type LabProfile } from "./dialects/profile";
import { PrintFileWriter, type JobWriter } from "./job-writer";
import { Journal, lockStateDir } from "./journal";
import { LabTemplates } from "./lab-templates";
import type { PrintFormat, SheetSize } from "./print-files";
import { sheetChooser, sheetSource } from "./sheet-choice";
import { Recovery } from "./recovery";
import { Reporters } from "./reporters";
import { EXIT, RunState } from "./run-state";
import { Worker } from "./worker";

export { EXIT } from "./run-state";

export interface DaemonOptions {
  url: string;
  key: string;
  /** The hot folder. */
  out: string;
  /** Journal, lock and temporary folders (default `<out>/.printmesh-lab`). */
  stateDir: string;
  /**
   * The paper, when the operator overrides what the order says (see sheet-choice.ts): every
   * service, and per service.
   */
  sheet?: SheetSize | null;
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
  pauseAfter?: { step: "claimed" | "publishing" | "written"; ms: number } | null;
  /** What the hot folder holds: plain print files (default), or a minilab controller's format. */
  dialect?: Dialect;
  /** The lab's controller settings (--profile); defaults when absent. */
  profile?: LabProfile;
}

export class LabDaemon {
  private readonly client: CenterClient;
  private readonly say: (line: string) => void;
  private readonly run: RunState;
  private readonly queue: JobQueue;
  private readonly templates: LabTemplates;
  private journal!: Journal;
  private worker!: Worker;
  private reporters!: Reporters;
  private releaseLock: (() => void) | null = null;
  private workers: Promise<void>[] = [];
  private stoppedPromise: Promise<void> | null = null;
  private connected = false;
  private readonly handlers: SubscriptionHandlers;
  private resolveExit!: (code: number) => void;
  /** Resolves with the process's exit code once the daemon has stopped. */
  readonly exited: Promise<number>;

  constructor(private readonly opts: DaemonOptions) {
    this.say = opts.say ?? ((line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`));
    this.client = new CenterClient({ url: opts.url, key: opts.key, backoff: opts.backoff });
    this.run = new RunState(this.say, opts.stopGraceMs, () => void this.stop());
    this.queue = new JobQueue(opts.concurrency);
    this.templates = new LabTemplates(opts.templatesDir, this.say);
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.handlers = {
      onJob: (job) => this.worker.announce(job),
      onConnected: (reconnect) => {
        this.connected = true;
        this.say(reconnect ? `reconnected to ${this.client.baseUrl}; catching up on the backlog` : `connected to ${this.client.baseUrl}; waiting for jobs`);
        this.queue.resumeClaims();
        void this.reporters.reportTemplates(true);
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
      onGiveUp: (e) => this.run.fatal(`${e.message}; giving up`, EXIT.KEY_REFUSED),
      onWarning: (message) => this.say(message),
    };
  }

  /** Recovers from the journal, connects, and starts working. */
  async start(): Promise<void> {
    const opts = this.opts;
    this.releaseLock = lockStateDir(opts.stateDir);
    try {
      fs.mkdirSync(opts.out, { recursive: true });
      const hot = new HotFolder(opts.out, chooseTmpRoot(opts.out, opts.stateDir));
      hot.prepare();
      const { journal, report } = Journal.open(opts.stateDir);
      this.journal = journal;
      if (report.tornTail) this.say("journal: dropped a half-written last line (the daemon was killed while writing it)");
      if (report.unreadable > 0) this.say(`journal: skipped ${report.unreadable} unreadable line(s)`);
      const { client, queue, templates, run, say } = this;
      const sheetFor = sheetChooser(opts);
      const recovery = new Recovery({ client, journal, hot, say, printer: opts.printer, completed: (jobId) => queue.markFinished(jobId) });
      const writer = chooseWriter(
        opts.dialect ?? "plain",
        { hot, dpi: opts.dpi, format: opts.format, center: client.baseUrl, sheetFor, sheetSource: (s) => sheetSource(opts, s) },
        opts.profile,
      );
      this.worker = new Worker({
        client,
        journal,
        hot,
        queue,
        recovery,
        writer,
        templates,
        run,
        say,
        sheetFor,
        libraryDir: opts.libraryDir,
        pauseAfter: opts.pauseAfter,
      });
      this.reporters = new Reporters({
        client,
        journal,
        queue,
        templates,
        run,
        say,
        loadEverySeconds: opts.loadEverySeconds,
        historyEverySeconds: opts.historyEverySeconds,
      });
      for (const job of recovery.recover()) queue.enqueue(job);
    } catch (e) {
      this.releaseLock();
      this.releaseLock = null;
      throw e;
    }
    this.say(
      `lab daemon: center ${this.client.baseUrl}, hot folder ${opts.out}, state ${opts.stateDir}, sheet ${opts.sheet ? opts.sheet.name : "as ordered"} at ${opts.dpi} dpi (${opts.format})` +
        (opts.dialect && opts.dialect !== "plain"
          ? `, ${opts.dialect} controller (answer awaited up to ${(opts.profile ?? defaultProfile()).acceptTimeoutSeconds}s)`
          : ""),
    );
    this.client.start(this.handlers);
    for (let i = 0; i < opts.concurrency; i++) this.workers.push(this.worker.work());
    this.reporters.start();
    this.run.every(opts.resyncEverySeconds, () => this.resync());
  }

  /** Finishes the jobs in hand, claims no more, reports what history it can, and releases the state folder. */
  stop(): Promise<void> {
    if (this.stoppedPromise) return this.stoppedPromise;
    this.run.beginStop();
    this.stoppedPromise = (async () => {
      const busy = this.queue.inHand;
      this.say(busy > 0 ? `stopping: finishing ${busy} job(s) in hand, claiming no more` : "stopping");
      this.run.clearSchedules();
      this.queue.clear();
      this.queue.wakeAll();
      await Promise.all(this.workers);
      await this.client.close();
      if (this.journal && !this.run.fatalCode) await this.reporters.flushHistory(true);
      this.journal?.close();
      this.releaseLock?.();
      this.releaseLock = null;
      this.say("stopped");
      this.resolveExit(this.run.fatalCode ?? EXIT.OK);
    })();
    return this.stoppedPromise;
  }

  /** What the lab has waiting and how busy it is, for the center's lab ranking (see JobQueue.loadNow). */
  loadNow(now = Date.now()): { queuedJobs: number; queuedSheets: number; utilisation: number } {
    return this.queue.loadNow(now);
  }

  /** When idle, asks for the backlog again: jobs whose retry delay or lease ran out are rung by no one. */
  private resync(): void {
    if (this.run.stopping || !this.connected || this.queue.size > 0 || this.queue.inHand > 0) return;
    this.client.resubscribe(this.handlers);
  }
}

/** The hot folder's writer for a dialect: plain print files, or a controller's format (JPEG only). */
function chooseWriter(dialect: Dialect, o: ConstructorParameters<typeof PrintFileWriter>[0], profile = defaultProfile()): JobWriter {
  switch (dialect) {
    case "plain":
      return new PrintFileWriter(o);
    case "dpof":
      return new DpofWriter({ ...o, profile });
    case "frontier":
      return new FrontierWriter({ ...o, profile });
    default:
      throw new Error(`unreachable dialect ${String(dialect)}`);
  }
}
