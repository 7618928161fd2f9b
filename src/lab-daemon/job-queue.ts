/**
 * The lab daemon's jobs: those waiting to be tried, those in hand, those this process completed,
 * the pause on claiming while the center is away, the idle workers waiting for work, and how busy
 * the workers have been (the load the daemon reports).
 */
import { backoffDelay } from "./center-errors";

/** The queue's expected work is counted against this span (see loadNow). */
const BACKLOG_HORIZON_MS = 5 * 60 * 1000;
/** The most a load report may say (the center refuses more). */
const MAX_UTILISATION = 100;

export interface QueuedJob {
  id: string;
  orderId: string;
  sheets: number;
  /** Not before this instant (a claim that could not reach the center waits). */
  notBefore: number;
  /**
   * A job a previous run left in hand (found in the journal on start): carried on with the lease the
   * journal holds, completed if it is in the hot folder, written first if not.
   */
  finish: boolean;
  /**
   * The key of a claim whose answer never came (the center unreachable): sent again with the same
   * key, so that a claim the center did take answers its lease instead of ALREADY_CLAIMED.
   */
  claimKey?: string;
}

export class JobQueue {
  private readonly waiting = new Map<string, QueuedJob>();
  private readonly active = new Map<string, { sheets: number; startedAt: number }>();
  /** Jobs this process completed: a late announcement of them is not claimed again. */
  private readonly finished = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private claimFailures = 0;
  private claimsPausedUntil = 0;
  // Load accounting since the last report (see loadNow).
  private windowStart = Date.now();
  private busyMs = 0;
  private avgJobMs = 1000;

  constructor(private readonly concurrency: number) {}

  get size(): number {
    return this.waiting.size;
  }

  get inHand(): number {
    return this.active.size;
  }

  get(jobId: string): QueuedJob | undefined {
    return this.waiting.get(jobId);
  }

  has(jobId: string): boolean {
    return this.waiting.has(jobId);
  }

  /** Taken off the queue without waking anyone (withdrawn, or leased by someone). */
  delete(jobId: string): boolean {
    return this.waiting.delete(jobId);
  }

  clear(): void {
    this.waiting.clear();
  }

  isActive(jobId: string): boolean {
    return this.active.has(jobId);
  }

  isFinished(jobId: string): boolean {
    return this.finished.has(jobId);
  }

  /** Remembers a job this process completed (the oldest is forgotten past 100000). */
  markFinished(jobId: string): void {
    this.finished.add(jobId);
    if (this.finished.size > 100000) this.finished.delete(this.finished.values().next().value as string);
  }

  enqueue(job: QueuedJob): void {
    this.waiting.set(job.id, job);
    this.wakeOne();
  }

  /** Puts a job back to wait, without waking a worker (it may not be tried before notBefore). */
  putBack(job: QueuedJob): void {
    this.waiting.set(job.id, job);
  }

  /** The first job that may be tried now, taken off the queue. */
  take(): QueuedJob | null {
    const now = Date.now();
    if (now < this.claimsPausedUntil) return null;
    for (const job of this.waiting.values()) {
      if (job.notBefore <= now && !this.active.has(job.id)) {
        this.waiting.delete(job.id);
        return job;
      }
    }
    return null;
  }

  /** Waits until a job may be tried, a worker is woken, or five seconds passed. */
  idle(): Promise<void> {
    let next = Date.now() + 5000;
    for (const j of this.waiting.values()) next = Math.min(next, Math.max(j.notBefore, this.claimsPausedUntil));
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

  wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  /** A claim could not reach the center: every claim waits (growing); the instant they may go again. */
  pauseClaims(): { delay: number; until: number } {
    const delay = backoffDelay(this.claimFailures++, 1000, 30000);
    this.claimsPausedUntil = Date.now() + delay;
    return { delay, until: this.claimsPausedUntil };
  }

  claimAnswered(): void {
    this.claimFailures = 0;
  }

  /** The center is back: claims paused by its absence may go at once. */
  resumeClaims(): void {
    this.claimsPausedUntil = 0;
    this.claimFailures = 0;
    this.wakeAll();
  }

  /** A worker took this job in hand; the instant it started. */
  begin(job: QueuedJob): number {
    const startedAt = Date.now();
    this.active.set(job.id, { sheets: job.sheets, startedAt });
    return startedAt;
  }

  /** A worker is done with this job, however it ended. */
  end(jobId: string, startedAt: number): void {
    this.active.delete(jobId);
    const now = Date.now();
    this.busyMs += now - Math.max(startedAt, this.windowStart);
    this.avgJobMs = this.avgJobMs * 0.8 + (now - startedAt) * 0.2;
  }

  /**
   * What the lab has waiting and how busy it is, for the center's lab ranking. Utilisation is the
   * share of the last window the workers were busy (0 idle, 1 busy throughout), plus the work
   * waiting as a share of the next BACKLOG_HORIZON_MS (so above 1 means overbooked: 2 is busy now
   * with five minutes of work queued), at most MAX_UTILISATION.
   */
  loadNow(now = Date.now()): { queuedJobs: number; queuedSheets: number; utilisation: number } {
    const waiting = [...this.waiting.values()];
    const inHand = [...this.active.values()];
    const capacity = this.concurrency;
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

  /** A load report went out: the next one counts from `now`. */
  restartWindow(now: number): void {
    this.windowStart = now;
    this.busyMs = 0;
  }
}
