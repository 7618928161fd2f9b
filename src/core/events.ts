/**
 * Typed topics in one module. Events carry ids and small data and are published only after the
 * transaction that made them has committed; the database stays the source of truth.
 *
 * One process: an in-process event target. Several center processes (REDIS_URL set): the same
 * topics through Redis pub/sub, so that a job queued through one process rings the lab connected to
 * another, and a cache invalidated in one is invalidated in all. Channels carry a prefix per
 * database, so that installations (and parallel test runs) sharing one Redis never hear each other.
 */
import { createHash } from "node:crypto";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub, type PubSub, type PubSubEventTarget } from "@graphql-yoga/subscription";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { DatabaseConfig, RedisTarget } from "../config";
import { createRedis, quitRedis } from "../common/redis";

export interface NotificationEvent {
  notificationId: string;
}
export interface PrintJobRing {
  jobId: string;
}
/** An order's status changed (committed): sent to its customer. */
export interface OrderUpdate {
  orderId: string;
  /** The status it entered, as the change made it (the order may have moved on by the time it is read). */
  status: string;
}
export interface CacheInvalidation {
  /** What changed: "prices" (a group's or the standard price book), "catalog", "labs" (a lab's load), "lab-keys", "users". */
  kind: string;
  key?: string;
}

/**
 * Every cache kind the center's listeners know. When the Redis subscription was down for a while,
 * invalidations may have been missed: each of these is then delivered locally, whole (no key).
 */
export const CACHE_KINDS: readonly string[] = ["catalog", "prices", "labs", "lab-keys", "users"];

/** topic -> [routing key, payload] or [payload]. */
export type Topics = {
  notification: [userId: string, event: NotificationEvent];
  printJob: [labId: string, event: PrintJobRing];
  orderUpdate: [customerUserId: string, event: OrderUpdate];
  invalidate: [event: CacheInvalidation];
};

/** Whether the bus can carry events between processes now; `reason` says why not. */
export type BusReadiness = { ready: true } | { ready: false; reason: string };

export type EventBus = PubSub<Topics> & {
  close(): Promise<void>;
  /** Delivers a cache invalidation to this process's listeners only (a change this process learnt of by itself). */
  invalidateLocally(event: CacheInvalidation): void;
  /** In-process: always ready. Through Redis: both connections ready and answering a PING in time. */
  ready(): Promise<BusReadiness>;
};

/** How long a readiness PING may take before Redis counts as not answering. */
export const READY_PING_TIMEOUT_MS = 1000;

export interface EventBusOptions {
  /** The database the processes share: the channel prefix is derived from it (see channelPrefix). */
  database?: DatabaseConfig;
  /** An explicit channel prefix (wins over `database`). */
  channelPrefix?: string;
  logger?: Logger;
}

/**
 * The center's event bus: in-process without a Redis URL, through Redis with one. Redis errors are
 * logged and the connections reconnect on their own (ioredis retries without end); `close()` ends
 * both connections.
 */
export function createEventBus(redisTarget?: RedisTarget | string | null, opts: EventBusOptions = {}): EventBus {
  if (!redisTarget) {
    const bus = createPubSub<Topics>();
    return Object.assign(bus, {
      close: async () => undefined,
      ready: async (): Promise<BusReadiness> => ({ ready: true }),
      invalidateLocally: (event: CacheInvalidation) => bus.publish("invalidate", event),
    });
  }
  const prefix = opts.channelPrefix ?? (opts.database ? channelPrefix(opts.database) : "printmesh:");
  const redis = redisEventTarget(redisTarget, prefix, opts.logger);
  const bus = createPubSub<Topics>({ eventTarget: redis.target });
  return Object.assign(bus, {
    close: redis.close,
    ready: redis.ready,
    invalidateLocally: (event: CacheInvalidation) => redis.deliverLocally("invalidate", event),
  });
}

/**
 * "printmesh:<database>:" for MariaDB/MySQL (the database name: processes that share a database
 * share events, whatever host name each reaches it by); for SQLite, a digest of the file's path.
 */
export function channelPrefix(db: DatabaseConfig): string {
  if (db.type === "mysql") return `printmesh:${db.database}:`;
  return `printmesh:sqlite-${createHash("sha256").update(db.path).digest("hex").slice(0, 16)}:`;
}

type Listener = ((event: { type: string; detail: unknown }) => void) | { handleEvent(event: { type: string; detail: unknown }): void } | null;

/**
 * An event target over two Redis connections (a subscriber cannot publish), via
 * @graphql-yoga/redis-event-target, with the channel prefix applied both ways.
 */
function redisEventTarget(
  redisTarget: RedisTarget | string,
  prefix: string,
  logger?: Logger,
): { target: PubSubEventTarget<Topics>; close(): Promise<void>; ready(): Promise<BusReadiness>; deliverLocally(type: string, detail: unknown): void } {
  const publisher = createRedis(redisTarget, { connectionName: "printmesh-publish" });
  // Subscriptions wait in the offline queue for as long as Redis is away (never rejected after N
  // retries); ioredis subscribes to every channel again once it is back.
  const subscriber = createRedis(redisTarget, { connectionName: "printmesh-subscribe", maxRetriesPerRequest: null, autoResubscribe: true });
  const local = new Map<string, Set<Listener>>();

  const report = (what: string) => (err: unknown) => logger?.error({ err, channelPrefix: prefix }, `event bus: Redis ${what} failed`);
  watch(publisher, "publish", logger);
  watch(subscriber, "subscribe", logger, () => {
    // Back after an outage: invalidations sent meanwhile were lost, so every cache here is dropped,
    // once the channels are subscribed again (ioredis resubscribes right after "ready"; a PING is
    // answered after those SUBSCRIBEs), so that no change slips between the drop and the resubscribe.
    const drop = () => {
      logger?.warn({ channelPrefix: prefix }, "event bus: Redis subscription restored; dropping local caches (invalidations may have been missed)");
      for (const kind of CACHE_KINDS) deliverLocally("invalidate", { kind });
    };
    setImmediate(() => void subscriber.ping().then(drop, drop));
  });

  // The library leaves these promises unhandled; a refused command would then be an unhandled
  // rejection, which stops a Node process. Each is caught and logged here instead.
  const publishClient = {
    publish: (channel: string, message: string) => publisher.publish(channel, message).catch(report("publish")),
  };
  const subscribeClient = {
    on: (event: "message", fn: (channel: string, message: string) => void) => {
      subscriber.on(event, fn);
      return subscribeClient;
    },
    subscribe: (channel: string) => subscriber.subscribe(channel).catch(report(`subscribe to ${channel}`)),
    unsubscribe: (channel: string) => subscriber.unsubscribe(channel).catch(report(`unsubscribe from ${channel}`)),
  };
  const inner = createRedisEventTarget({ publishClient: publishClient as unknown as Redis, subscribeClient: subscribeClient as unknown as Redis });

  function deliverLocally(type: string, detail: unknown): void {
    for (const l of local.get(type) ?? []) {
      if (typeof l === "function") l({ type, detail });
      else l?.handleEvent({ type, detail });
    }
  }

  const target = {
    addEventListener(type: string, listener: Listener) {
      if (!listener) return;
      if (!local.has(type)) local.set(type, new Set());
      local.get(type)!.add(listener);
      inner.addEventListener(prefix + type, listener as never);
    },
    removeEventListener(type: string, listener: Listener) {
      if (!listener) return;
      local.get(type)?.delete(listener);
      if (local.get(type)?.size === 0) local.delete(type);
      inner.removeEventListener(prefix + type, listener as never);
    },
    dispatchEvent(event: { type: string; detail: unknown }) {
      // The Redis target reads only type and detail; a process hears its own events back through Redis.
      return inner.dispatchEvent({ type: prefix + event.type, detail: event.detail } as never);
    },
  };

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await Promise.all([publisher, subscriber].map((c) => quitRedis(c)));
    })());

  // Not ready while either connection is (re)connecting, or while Redis does not answer a PING in
  // time (a connection that looks open but leads nowhere). A PING is sent only on a ready
  // connection: on another it would wait in the offline queue.
  const ready = async (): Promise<BusReadiness> => {
    const down = (
      [
        [publisher, "publish"],
        [subscriber, "subscribe"],
      ] as const
    ).filter(([client]) => client.status !== "ready");
    if (down.length > 0) return { ready: false, reason: down.map(([client, role]) => `the ${role} connection is ${client.status}`).join(", ") };
    let timer: NodeJS.Timeout | undefined;
    try {
      const answered = await Promise.race([
        Promise.all([publisher.ping(), subscriber.ping()]).then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), READY_PING_TIMEOUT_MS))),
      ]);
      return answered ? { ready: true } : { ready: false, reason: `no answer to PING within ${READY_PING_TIMEOUT_MS} ms` };
    } catch (e) {
      return { ready: false, reason: `PING failed: ${e instanceof Error ? e.message : String(e)}` };
    } finally {
      clearTimeout(timer);
    }
  };
  return { target: target as unknown as PubSubEventTarget<Topics>, close, ready, deliverLocally };
}

/** Logs a connection's trouble once per outage (ioredis reports each failed reconnect), and its return. */
function watch(client: Redis, role: string, logger?: Logger, onRestored?: () => void): void {
  let connectedOnce = false;
  let healthy = true;
  client.on("error", (err: Error) => {
    if (healthy) logger?.error({ err, connection: role }, `event bus: Redis ${role} connection failed; reconnecting`);
    else logger?.debug({ err, connection: role }, `event bus: Redis ${role} connection still failing`);
    healthy = false;
  });
  client.on("reconnecting", () => {
    // A dropped connection says "reconnecting" before any error: the outage is logged once, here or there.
    if (healthy) logger?.error({ connection: role }, `event bus: Redis ${role} connection lost; reconnecting`);
    healthy = false;
  });
  client.on("ready", () => {
    if (connectedOnce) {
      logger?.info({ connection: role }, `event bus: Redis ${role} connection restored`);
      onRestored?.();
    }
    connectedOnce = true;
    healthy = true;
  });
}

/** Events gathered during a transaction, sent once it has committed. */
export type Emit = <K extends keyof Topics>(topic: K, ...args: Topics[K]) => void;

export class Outbox {
  private readonly pending: Array<() => void> = [];
  readonly emit: Emit = (topic, ...args) => {
    this.pending.push(() => (this.bus.publish as (t: string, ...a: unknown[]) => void)(topic, ...args));
  };
  constructor(private readonly bus: EventBus) {}
  /** Forgets what was queued: the transaction is run again from the start. */
  clear(): void {
    this.pending.length = 0;
  }
  flush(): void {
    for (const send of this.pending.splice(0)) send();
  }
}
