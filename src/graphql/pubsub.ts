/**
 * Typed topics in one module. Events carry ids and small data and are published only after the
 * transaction that made them has committed; the database stays the source of truth.
 */
import { createPubSub, type PubSub } from "@graphql-yoga/subscription";

export interface NotificationEvent {
  notificationId: string;
}
export interface PrintJobRing {
  jobId: string;
}
export interface CacheInvalidation {
  /** What changed: "prices" (a group's or the standard price book), "catalog", "lab-keys". */
  kind: string;
  key?: string;
}

/** topic -> [routing key, payload] or [payload]. */
export type Topics = {
  notification: [userId: string, event: NotificationEvent];
  printJob: [labId: string, event: PrintJobRing];
  invalidate: [event: CacheInvalidation];
};

export type EventBus = PubSub<Topics> & { close(): Promise<void> };

export function createEventBus(): EventBus {
  const bus = createPubSub<Topics>();
  return Object.assign(bus, { close: async () => undefined });
}

/** Events gathered during a transaction, sent once it has committed. */
export type Emit = <K extends keyof Topics>(topic: K, ...args: Topics[K]) => void;

export class Outbox {
  private readonly pending: Array<() => void> = [];
  readonly emit: Emit = (topic, ...args) => {
    this.pending.push(() => (this.bus.publish as (t: string, ...a: unknown[]) => void)(topic, ...args));
  };
  constructor(private readonly bus: EventBus) {}
  flush(): void {
    for (const send of this.pending.splice(0)) send();
  }
}
