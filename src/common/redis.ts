/** The center's Redis connections (event bus, attempt counters): made here, closed here. */
import { Redis, type RedisOptions } from "ioredis";
import type { RedisTarget } from "../config";

/**
 * A connection to the center's Redis: by URL (REDIS_URL), or to the master a group of Sentinels
 * names (REDIS_SENTINELS, REDIS_SENTINEL_NAME). Through Sentinels, ioredis asks them for the
 * master at each (re)connection and checks its role, so after a failover it reconnects to the
 * replica they promoted; a bare URL string is taken as REDIS_URL.
 */
export function createRedis(target: RedisTarget | string, options: RedisOptions = {}): Redis {
  if (typeof target === "string") return new Redis(target, options);
  if ("url" in target) return new Redis(target.url, options);
  return new Redis({
    ...options,
    sentinels: target.sentinels,
    name: target.name,
    // A Sentinel that is down is skipped for the next; the list is tried again without end.
    sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
    // A master that turned replica (a failover under way) is left at once for the one the Sentinels name.
    reconnectOnError: (err) => (/READONLY/.test(err.message) ? 2 : false),
    // Not ioredis's failoverDetector: its disconnect on +switch-master, coming while the client is
    // already reconnecting (the old master killed), ended the reconnection for good in the cluster
    // test. A killed master drops the connection anyway, and a master demoted in place answers
    // READONLY (above); its subscribers still hear what is published, replicated from the new master.
  });
}

/**
 * QUIT (replies to what was sent are awaited), or a hard disconnect if Redis does not answer within
 * a second: a hung Redis (connections accepted, nothing answered) must not hold up a shutdown.
 */
export async function quitRedis(client: Redis): Promise<void> {
  if (client.status === "end") return;
  // A lazy connection never used: QUIT would connect just to say goodbye.
  if (client.status === "wait") return client.disconnect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([client.quit(), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
  } catch {
    // Already closed, or never connected: disconnect below either way.
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
