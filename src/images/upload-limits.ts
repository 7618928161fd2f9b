/**
 * What bounds the cost of uploads: a per-user quota (uploads and bytes per window) and a gate on
 * concurrent decodes. Decoding is what costs memory (libvips holds a region of pixels per decode,
 * more for large images); a customer sending many large images at once had made the center's RSS
 * pass 1 GiB. The quota is counted where the login limits are (in Redis with REDIS_URL, so every
 * center process shares it); the decode gate is per process, as the memory it protects.
 */
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { RateLimits } from "../common/rate-limits";

export interface UploadQuotaOptions {
  /** Uploads a user may start per window. */
  uploads: number;
  /** Bytes a user may store per window. */
  bytes: number;
  windowSeconds: number;
}

export type QuotaRefusal = { code: "RATE_LIMITED" | "UPLOAD_QUOTA_EXCEEDED"; message: string; retryAfterSeconds: number };

export class UploadQuota {
  private readonly starts: RateLimiterAbstract;
  private readonly stored: RateLimiterAbstract;

  constructor(
    limits: RateLimits,
    readonly opts: UploadQuotaOptions,
  ) {
    this.starts = limits.limiter("upload", { points: opts.uploads, windowSeconds: opts.windowSeconds });
    this.stored = limits.limiter("upload-bytes", { points: opts.bytes, windowSeconds: opts.windowSeconds });
  }

  /**
   * Counts an upload as it starts; refuses it when the user started too many in the window, or when
   * the bytes it announces do not fit in what is left of the budget.
   */
  async start(userId: string, declaredBytes: number | undefined): Promise<QuotaRefusal | null> {
    try {
      await this.starts.consume(userId, 1);
    } catch (e) {
      return { code: "RATE_LIMITED", message: `At most ${this.opts.uploads} uploads per ${this.opts.windowSeconds} s`, retryAfterSeconds: retryAfter(e) };
    }
    if (declaredBytes !== undefined) {
      const used = (await this.stored.get(userId))?.consumedPoints ?? 0;
      if (used + declaredBytes > this.opts.bytes) return this.overBudget(used, declaredBytes, await this.stored.get(userId));
    }
    return null;
  }

  /** Charges `bytes` before an upload is stored; refuses (charging nothing) when they do not fit. */
  async charge(userId: string, bytes: number): Promise<QuotaRefusal | null> {
    // One increment, checked after: two uploads charged at once (in any processes) cannot both fit
    // in what only one of them fits in. A refused charge is given back.
    try {
      await this.stored.consume(userId, bytes);
      return null;
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      await this.stored.reward(userId, bytes);
      return this.overBudget(e.consumedPoints - bytes, bytes, e);
    }
  }

  /** Gives back what `charge` took, for an upload that was not stored after all. */
  async refund(userId: string, bytes: number): Promise<void> {
    await this.stored.reward(userId, bytes);
  }

  private overBudget(used: number, bytes: number, state: RateLimiterRes | null): QuotaRefusal {
    return {
      code: "UPLOAD_QUOTA_EXCEEDED",
      message: `Uploads may store at most ${this.opts.bytes} bytes per ${this.opts.windowSeconds} s; ${used} are used and this image has ${bytes}`,
      retryAfterSeconds: state ? Math.max(1, Math.ceil(state.msBeforeNext / 1000)) : this.opts.windowSeconds,
    };
  }
}

function retryAfter(e: unknown): number {
  return e instanceof RateLimiterRes ? Math.max(1, Math.ceil(e.msBeforeNext / 1000)) : 1;
}

/**
 * At most `concurrency` decodes at once; up to `queue` more wait their turn, in order. Beyond that
 * `acquire` answers null at once: the caller refuses the request (503, Retry-After) rather than
 * holding its body and memory in an unbounded line.
 */
export class DecodeGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** The most decodes that ran at once (for tests and metrics). */
  peak = 0;

  constructor(
    readonly concurrency: number,
    readonly queue: number,
  ) {}

  get active(): number {
    return this.running;
  }

  /** A release function once a slot is free, or null when the line is full. */
  async acquire(): Promise<(() => void) | null> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    this.peak = Math.max(this.peak, this.running);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes on: running stays the same
      else this.running--;
    };
  }
}
