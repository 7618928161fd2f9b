/** Helpers for the center's Redis connections (event bus, attempt counters). */
import type { Redis } from "ioredis";

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
