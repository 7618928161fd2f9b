/**
 * Redis with failover, from Debian's packages (redis-server, redis-sentinel): a master, one
 * replica and three Sentinels (quorum 2) on 127.0.0.1, and a failover on demand: the master is
 * killed and the Sentinels promote the replica.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Redis } from "ioredis";
import { waitUntil, type Daemon, type Daemons } from "./daemons";

export const SENTINEL_MASTER_NAME = "printmesh";

export interface RedisPorts {
  /** The two data nodes: the first starts as master, the second as its replica. */
  data: [number, number];
  sentinels: number[];
}

export class RedisWithSentinels {
  private readonly data = new Map<number, Daemon>();
  private readonly sentinels: Daemon[] = [];

  constructor(
    private readonly daemons: Daemons,
    private readonly dir: string,
    readonly ports: RedisPorts,
  ) {}

  /** REDIS_SENTINELS for the centers. */
  get sentinelList(): string {
    return this.ports.sentinels.map((p) => `127.0.0.1:${p}`).join(",");
  }

  async start(): Promise<void> {
    const [master, replica] = this.ports.data;
    this.startData(master, null);
    this.startData(replica, master);
    await waitUntil("the Redis replica to follow its master", async () => (await this.info(replica)).includes("master_link_status:up"), 30_000);
    for (const port of this.ports.sentinels) {
      const conf = path.join(this.dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its configuration file as it learns the group: one writable file each.
      fs.writeFileSync(
        conf,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${this.dir}`,
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          "",
        ].join("\n"),
      );
      this.sentinels.push(this.daemons.spawn(`sentinel-${port}`, "redis-sentinel", [conf]));
    }
    await waitUntil(
      "every Sentinel to know the others and the replica",
      async () => {
        for (const port of this.ports.sentinels) {
          const m = await this.sentinelMaster(port);
          if (m["num-other-sentinels"] !== String(this.ports.sentinels.length - 1) || m["num-slaves"] !== "1") return false;
        }
        return true;
      },
      60_000,
    );
  }

  /** The master's port, as every Sentinel names it (null while they disagree). */
  async masterPort(): Promise<number | null> {
    const ports = await Promise.all(
      this.ports.sentinels.map(async (p) => {
        const s = this.client(p);
        try {
          const addr = (await s.call("SENTINEL", "get-master-addr-by-name", SENTINEL_MASTER_NAME)) as [string, string] | null;
          return addr ? Number(addr[1]) : null;
        } finally {
          s.disconnect();
        }
      }),
    );
    return ports.every((p) => p === ports[0]) ? ports[0] : null;
  }

  /**
   * Fails the master over: SIGKILL, the Sentinels elect the replica, and the old master comes back
   * (empty, as after a lost machine) as the new master's replica. Answers the new master's port.
   */
  async failover(): Promise<number> {
    const old = await this.masterPort();
    if (old === null) throw new Error("the Sentinels disagree on the master");
    await this.data.get(old)!.kill();
    this.data.delete(old);
    const next = await waitUntil(
      "the Sentinels to promote the replica",
      async () => {
        const p = await this.masterPort();
        return p !== null && p !== old && (await this.info(p)).includes("role:master") ? p : null;
      },
      60_000,
    );
    this.startData(old, next);
    await waitUntil("the old master to follow the new one", async () => (await this.info(old)).includes("master_link_status:up"), 60_000);
    return next;
  }

  async stop(): Promise<void> {
    await Promise.all(this.sentinels.map((d) => d.stop("SIGTERM", 5000)));
    await Promise.all([...this.data.values()].map((d) => d.stop("SIGTERM", 5000)));
    this.sentinels.length = 0;
    this.data.clear();
  }

  private startData(port: number, masterPort: number | null): void {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir];
    if (masterPort !== null) args.push("--replicaof", "127.0.0.1", String(masterPort));
    this.data.set(port, this.daemons.spawn(`redis-${port}`, "redis-server", args));
  }

  private client(port: number): Redis {
    const c = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
    // A refused connection rejects the command that needed it: that is how "not up yet" is read.
    c.on("error", () => undefined);
    return c;
  }

  private async info(port: number): Promise<string> {
    const c = this.client(port);
    try {
      return await c.info("replication");
    } finally {
      c.disconnect();
    }
  }

  private async sentinelMaster(port: number): Promise<Record<string, string>> {
    const s = this.client(port);
    try {
      const flat = (await s.call("SENTINEL", "master", SENTINEL_MASTER_NAME)) as string[];
      const out: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
      return out;
    } finally {
      s.disconnect();
    }
  }
}
