/**
 * The cluster harness: a three-node MariaDB Galera cluster, Redis with a replica and three
 * Sentinels, three center processes (each on its own Galera node, Redis through Sentinel) and
 * HAProxy in front of them, all on 127.0.0.1 from Debian's packages, in one temporary folder.
 * Used by the fault test (test/cluster/) and `npm run bench:cluster`.
 *
 * `startCluster` stops everything it started if any part fails to start; `stop()` stops every
 * process it started; a run that died before it could (killed) is cleaned up by the next start
 * (pid files, see daemons.ts). Needs root or the mysql user's rights to run the database nodes,
 * and `dist/` built (the centers run the compiled `dist/src/main.js`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { loadConfig, type DatabaseConfig } from "../../src/config";
import { ensureDatabase } from "../../src/db/ensure-database";
import { openDatabase } from "../../src/entities";
import { Balancer, Centers, portFree, type CenterProcess } from "./centers";
import { CLUSTER_DIR_PREFIX, Daemons, killLeftovers } from "./daemons";
import { GaleraCluster, mysqlIds, type GaleraPorts } from "./galera";
import { RedisWithSentinels, SENTINEL_MASTER_NAME } from "./redis-sentinel";

export interface ClusterPorts {
  galera: GaleraPorts[];
  redis: [number, number];
  sentinels: number[];
  haproxy: number;
  centers: number[];
}

/** The harness's ports (none of the usual ones: 3306 and 6379 stay free for the other tests). */
export const DEFAULT_PORTS: ClusterPorts = {
  galera: [0, 1, 2].map((i) => ({ sql: 3321 + i, gmcast: 4651 + i, ist: 4661 + i, sst: 4671 + i })),
  redis: [6391, 6392],
  sentinels: [26391, 26392, 26393],
  haproxy: 8390,
  centers: [8391, 8392, 8393],
};

export const CLUSTER_DATABASE = "printmesh";
export const CLUSTER_JWT_SECRET = "cluster-harness-secret-".padEnd(48, "x");
export const CLUSTER_METRICS_TOKEN = "cluster-metrics-token-0123456789";

export interface ClusterOptions {
  ports?: ClusterPorts;
  /** A catalog bundle (JSON file) imported before the centers start. */
  bundle?: string;
  /** Instead of `bundle`: fills the (created, empty) database before the centers start. */
  seed?: (db: DatabaseConfig) => Promise<void>;
  /** More environment for every center (PRINT_JOB_LEASE_SECONDS, LOG_LEVEL, ...). */
  centerEnv?: Record<string, string>;
  /** What the harness reports as it goes. */
  log?: (line: string) => void;
}

export interface Cluster {
  dir: string;
  galera: GaleraCluster;
  redis: RedisWithSentinels;
  centers: Centers;
  balancer: Balancer;
  /** The images folder the centers share (their DATA_DIR). */
  dataDir: string;
  /** DATABASE_URL of the database on node `i` (0-based). */
  databaseUrl(i: number): string;
  killCenter(c: CenterProcess): Promise<void>;
  startCenter(c: CenterProcess): Promise<void>;
  /** Stops every process the harness started and removes its folder (unless CLUSTER_KEEP=1). */
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const ports = options.ports ?? DEFAULT_PORTS;
  const log = options.log ?? (() => undefined);
  const leftovers = killLeftovers();
  if (leftovers > 0) log(`killed ${leftovers} process(es) a previous cluster run left behind`);
  const all = [...ports.galera.flatMap((g) => [g.sql, g.gmcast, g.ist, g.sst]), ...ports.redis, ...ports.sentinels, ports.haproxy, ...ports.centers];
  const taken = (await Promise.all(all.map(async (p) => ((await portFree(p)) ? null : p)))).filter((p) => p !== null);
  if (taken.length > 0) throw new Error(`the cluster's ports are in use: ${taken.join(", ")}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), CLUSTER_DIR_PREFIX));
  // The database nodes run as the mysql user: it must reach its folders through this one.
  fs.chmodSync(dir, 0o755);
  const daemons = new Daemons(dir);
  const galera = new GaleraCluster(daemons, dir, ports.galera, await mysqlIds());
  const redisDir = path.join(dir, "redis");
  fs.mkdirSync(redisDir);
  const redis = new RedisWithSentinels(daemons, redisDir, { data: ports.redis, sentinels: ports.sentinels });
  const dataDir = path.join(dir, "center-data");
  fs.mkdirSync(dataDir);
  const databaseUrl = (i: number) => galera.nodes[i].url(CLUSTER_DATABASE);
  const centers = new Centers(
    daemons,
    ports.centers.map((port, i) => ({
      port,
      env: {
        NODE_ENV: "production",
        DATABASE_URL: databaseUrl(i),
        REDIS_SENTINELS: redis.sentinelList,
        REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
        JWT_SECRET: CLUSTER_JWT_SECRET,
        METRICS_TOKEN: CLUSTER_METRICS_TOKEN,
        DATA_DIR: dataDir,
        DEMO_DATA: "0",
        LOG_LEVEL: "warn",
        ...options.centerEnv,
      },
    })),
  );
  const balancer = new Balancer(daemons, dir, ports.haproxy, centers.list);

  const stop = async () => {
    await balancer.stop().catch(() => undefined);
    await centers.stopAll().catch(() => undefined);
    await redis.stop().catch(() => undefined);
    await galera.stopAll().catch(() => undefined);
    await daemons.killAll();
    if (process.env.CLUSTER_KEEP !== "1") fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  };

  try {
    let t = Date.now();
    const lap = (what: string) => {
      log(`${what} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      t = Date.now();
    };
    // Both to the end, so that a failure of one does not leave the other starting while all is stopped.
    const parts = await Promise.allSettled([galera.start(), redis.start()]);
    for (const p of parts) if (p.status === "rejected") throw p.reason;
    lap("galera (3 nodes Synced) and redis (master, replica, 3 sentinels) up");
    const db = loadConfig({ DATABASE_URL: databaseUrl(0), JWT_SECRET: CLUSTER_JWT_SECRET, NODE_ENV: "test" }).database;
    await ensureDatabase(db);
    if (options.seed) await options.seed(db);
    else {
      const ds = await openDatabase(db, { poolSize: 2 });
      try {
        if (options.bundle) {
          const report = await importBundle(ds, JSON.parse(fs.readFileSync(options.bundle, "utf8")), {});
          if (!report.ok) throw new Error("the catalog does not import: " + JSON.stringify(report.faults));
        }
      } finally {
        await ds.destroy();
      }
    }
    lap("database migrated and catalog imported");
    // One after the other: the first start of each checks the migrations.
    for (const c of centers.list) await centers.start(c);
    await balancer.start();
    lap("3 centers and haproxy up");
  } catch (e) {
    log(`the cluster did not start: ${e instanceof Error ? e.message : String(e)}`);
    await stop().catch((f: unknown) => log(`and did not stop cleanly: ${String(f)}`));
    throw e;
  }
  return {
    dir,
    galera,
    redis,
    centers,
    balancer,
    dataDir,
    databaseUrl,
    killCenter: (c) => centers.kill(c),
    startCenter: (c) => centers.start(c),
    stop,
  };
}
