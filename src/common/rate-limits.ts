/**
 * Rate limits shared by every center process (login attempts, lab keys, uploads and their bytes): in
 * Redis when REDIS_URL is set, in this process otherwise. An attempt is counted before it is checked (one atomic increment),
 * so a burst of concurrent attempts cannot all pass a counter read before any of them raised it.
 * When Redis does not answer, each process falls back to counting on its own rather than refusing
 * every login or letting every attempt through.
 */
import type { Redis } from "ioredis";
import type { RedisTarget } from "../config";
import { createRedis } from "./redis";
import { quitRedis } from "./redis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";

export interface AttemptLimit {
  /** Attempts allowed per key within the window. */
  points: number;
  windowSeconds: number;
}

/** Taken: the attempt may be checked. Refused: over the limit; `retryAfterSeconds` until it resets. */
export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

/** One limit over keys (an address, a login): take a point per attempt, give it back on success. */
export class AttemptCounter {
  constructor(private readonly limiter: RateLimiterAbstract) {}

  async take(key: string): Promise<Take> {
    try {
      await this.limiter.consume(key, 1);
      return { ok: true };
    } catch (e) {
      if (e instanceof RateLimiterRes) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(e.msBeforeNext / 1000)) };
      throw e;
    }
  }

  /** Whether the key has used up its points in the window (nothing is counted). */
  async spent(key: string): Promise<boolean> {
    const state = await this.limiter.get(key);
    return state !== null && state.consumedPoints >= this.limiter.points;
  }

  /** Counts an attempt already made (one that turned out bad), without refusing it. */
  async count(key: string): Promise<void> {
    await this.limiter.penalty(key, 1);
  }

  /** An attempt that turned out good: it no longer counts against the key. */
  async giveBack(key: string): Promise<void> {
    await this.limiter.reward(key, 1);
  }

  /** Forgets the key's attempts. */
  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}

/**
 * Makes the counters of one center process. `prefix` keeps installations (and test databases)
 * sharing one Redis apart.
 */
export class RateLimits {
  private readonly redis: Redis | null;

  constructor(
    redis: RedisTarget | null,
    private readonly prefix: string,
  ) {
    // A command waits for the connection being made (so the first attempts after a start are
    // counted in Redis too), but while Redis is away it fails after one reconnection attempt and the
    // in-process counter stands in, rather than a login waiting for Redis to come back.
    // Connected at the first attempt counted (a center that checks no password or key has no use for
    // it); a Redis that takes the connection but never answers: a command gives up after a second.
    this.redis = redis ? createRedis(redis, { connectionName: "printmesh-limits", maxRetriesPerRequest: 1, commandTimeout: 1000, lazyConnect: true }) : null;
    // Errors are answered by the fallback counters; ioredis reconnects on its own.
    this.redis?.on("error", () => undefined);
  }

  /** A limiter of `limit.points` per key and window, named apart from the others. */
  limiter(name: string, limit: AttemptLimit): RateLimiterAbstract {
    const keyPrefix = `${this.prefix}limit:${name}`;
    const memory = new RateLimiterMemory({ points: limit.points, duration: limit.windowSeconds, keyPrefix });
    if (!this.redis) return memory;
    return new RateLimiterRedis({ storeClient: this.redis, points: limit.points, duration: limit.windowSeconds, keyPrefix, insuranceLimiter: memory });
  }

  counter(name: string, limit: AttemptLimit): AttemptCounter {
    return new AttemptCounter(this.limiter(name, limit));
  }

  async close(): Promise<void> {
    if (this.redis) await quitRedis(this.redis);
  }
}
