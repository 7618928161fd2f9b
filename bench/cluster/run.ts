/**
 * `npm run bench:cluster`: what running the center as a cluster costs, against one center on one
 * MariaDB, in the same run with the same settings.
 *
 * 1. Single: a scratch database on the machine's MariaDB (--database-url, its name must say
 *    "bench"; created and dropped), the demo catalog imported with the benchmark's customers and
 *    dispatch labs, one center (production settings, no Redis).
 * 2. Cluster: the cluster harness (bench/cluster/harness.ts): three Galera nodes, Redis with three
 *    Sentinels, three centers (each on its own node) behind HAProxy, the same catalog imported.
 *    Every request goes through HAProxy, which balances each request on its own, round robin:
 *    a customer's confirm goes to the center next in turn when it arrives, so most confirms reach
 *    another center than their place did. Nothing forces it; the X-Center header of each answer
 *    says which center took each step, and the report counts how many confirms crossed.
 * On each: the orders workload of `npm run bench:orders` (customers placing and confirming orders
 * over HTTP for --duration after --warmup), then a smaller dispatch workload of
 * `npm run bench:dispatch` (--labs labs over graphql-ws, through HAProxy on the cluster, hold
 * the events of --jobs orders naming them, then claim and complete them all, --concurrency in
 * flight). When each measured window opens and closes, the centers' own count of the conflicts
 * they ran again (printmesh_db_retries_total{cause="deadlock"} on /metrics, read from each center past
 * HAProxy) and, on the cluster, the Galera nodes' counters (wsrep_local_cert_failures,
 * wsrep_local_bf_aborts) are read and summed.
 *
 * Figures, not tests: failed orders are counted and the exit code stays 0. A run that cannot
 * measure exits 1; Ctrl-C exits 130. On every way out the single center, the labs' process and
 * every process of the cluster are stopped and the scratch database dropped (unless --keep,
 * which keeps it and the cluster's folder, its logs included).
 *
 * Flags: --duration S (15)  --warmup S (5)  --customers N (16)  --labs N (40)  --jobs N (300)
 *        --concurrency N (16)  --database-url URL (mysql://root@127.0.0.1:3306/printmesh_bench_cluster)
 *        --keep  --wait-others S (900: how long to wait for another cluster run, a test's, to end;
 *        the harness would take its processes for leftovers and kill them)
 */
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { redact } from "../../src/config";
import { fmt, machineLine, percentile, progress, readFlags, ROOT, runBench, sleep, startCenter, stopAll, table } from "../common";
import { createScratchDatabase, dropScratchDatabase, loadCatalog, mysqlConfig, type MysqlConfig } from "../orders/scratch-database";
import { clustersInUse } from "./busy";
import { CLUSTER_METRICS_TOKEN, startCluster, type Cluster } from "./harness";
import { benchCatalog, dispatchWorkload, loginAll, ordersWorkload, type BenchCatalog, type DispatchResult, type OrdersResult } from "./workloads";

const DEMO_CATALOG = path.join(ROOT, "fixtures", "demo-catalog.json");

interface Options {
  duration: number;
  warmup: number;
  customers: number;
  labs: number;
  jobs: number;
  concurrency: number;
  databaseUrl: string;
  keep: boolean;
  waitOthers: number;
}

function parseFlags(argv: string[]): Options {
  const f = readFlags(argv, {
    duration: { kind: "number", min: 1 },
    warmup: { kind: "number", min: 0 },
    customers: { kind: "integer", min: 1 },
    labs: { kind: "integer", min: 1 },
    jobs: { kind: "integer", min: 1 },
    concurrency: { kind: "integer", min: 1 },
    "database-url": { kind: "string" },
    keep: { kind: "boolean" },
    "wait-others": { kind: "number", min: 0 },
  });
  const o: Options = {
    duration: f.duration ?? 15,
    warmup: f.warmup ?? 5,
    customers: f.customers ?? 16,
    labs: f.labs ?? 40,
    jobs: f.jobs ?? 300,
    concurrency: f.concurrency ?? 16,
    databaseUrl: f["database-url"] ?? "mysql://root@127.0.0.1:3306/printmesh_bench_cluster",
    keep: f.keep ?? false,
    waitOthers: f["wait-others"] ?? 900,
  };
  if (o.customers > 99) throw new Error("--customers is at most 99");
  if (o.labs > 9999) throw new Error("--labs is at most 9999");
  return o;
}

// ---------------------------------------------------------------------------
// Clean-up on every way out
// ---------------------------------------------------------------------------

const state: {
  db: MysqlConfig | null;
  dir: string | null;
  labs: ChildProcess | null;
  cluster: Promise<Cluster> | null;
  keep: boolean;
} = { db: null, dir: null, labs: null, cluster: null, keep: false };

/** Aborted by Ctrl-C or SIGTERM: the workers start no new order, and everything is cleaned up. */
const interrupted = new AbortController();
let cleaning: Promise<void> | null = null;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    if (state.labs && state.labs.exitCode === null && state.labs.signalCode === null) state.labs.kill("SIGKILL");
    // The single center.
    await stopAll();
    if (state.cluster !== null) {
      const starting = state.cluster;
      state.cluster = null;
      // A cluster still starting is stopped once it is up (a failed start stops itself).
      const cluster = await starting.catch(() => null);
      if (cluster !== null) {
        progress("stopping the cluster");
        if (state.keep) process.env.CLUSTER_KEEP = "1";
        await cluster.stop();
        if (state.keep) progress(`kept the cluster's folder ${cluster.dir}`);
      }
    }
    if (state.dir !== null && !state.keep) fs.rmSync(state.dir, { recursive: true, force: true });
    else if (state.dir !== null) progress(`kept ${state.dir} (the catalog imported, the single center's data folder)`);
    state.dir = null;
    const db = state.db;
    state.db = null;
    if (db === null) return;
    if (state.keep) progress(`kept the database ${db.database}`);
    else await dropScratchDatabase(db).catch((e: unknown) => progress(`could not drop ${db.database}: ${e instanceof Error ? e.message : String(e)}`));
  })();
  return cleaning;
}

/**
 * Waits until no other cluster harness runs on the machine (a test's, another benchmark's): the
 * harness takes the processes of every cluster folder for leftovers and kills them, and both would
 * want the same ports. Throws after `seconds`.
 */
async function otherClustersDone(seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let said = 0;
  for (let busy = clustersInUse(); busy.length > 0; busy = clustersInUse()) {
    if (Date.now() > deadline) throw new Error(`another cluster run is still going on (${busy.join(", ")}) after ${seconds} s; run again once it is done`);
    if (Date.now() - said > 30_000) {
      progress(`another cluster run is going on (${busy.join(", ")}): waiting for it to end (at most ${fmt((deadline - Date.now()) / 1000, 0)} s more)`);
      said = Date.now();
    }
    if (interrupted.signal.aborted) throw new Error("interrupted");
    await sleep(2000);
  }
}

// ---------------------------------------------------------------------------
// Galera's counters
// ---------------------------------------------------------------------------

interface Conflicts {
  /** Galera's counters summed over the nodes (null on the single MariaDB). */
  certFailures: number | null;
  bfAborts: number | null;
  /** printmesh_db_retries_total{cause="deadlock"} summed over the centers (null when a center does not expose it). */
  retried: number | null;
}

/** Where a setup's counters are read: its centers' /metrics, and on the cluster its Galera nodes. */
interface Counted {
  centerUrls: string[];
  cluster: Cluster | null;
}

/** printmesh_db_retries_total{cause="deadlock"} of each center, past HAProxy, summed; null if one does not expose it. */
async function retried(centerUrls: string[]): Promise<number | null> {
  const each = await Promise.all(
    centerUrls.map(async (url) => {
      const r = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${CLUSTER_METRICS_TOKEN}` } });
      const m = /^printmesh_db_retries_total\{cause="deadlock"\} (\d+)/m.exec(await r.text());
      return r.ok && m ? Number(m[1]) : null;
    }),
  );
  return each.some((n) => n === null) ? null : each.reduce<number>((a, n) => a + (n ?? 0), 0);
}

/** wsrep_local_cert_failures and wsrep_local_bf_aborts summed over the cluster's nodes, and the centers' retries. */
async function conflicts(where: Counted): Promise<Conflicts> {
  const sum: Conflicts = { certFailures: null, bfAborts: null, retried: await retried(where.centerUrls) };
  if (where.cluster === null) return sum;
  sum.certFailures = 0;
  sum.bfAborts = 0;
  for (const node of where.cluster.galera.nodes) {
    const c = await where.cluster.galera.connect(node);
    try {
      const [rows] = await c.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')");
      for (const r of rows as Array<{ Variable_name: string; Value: string }>) {
        if (r.Variable_name === "wsrep_local_cert_failures") sum.certFailures += Number(r.Value);
        if (r.Variable_name === "wsrep_local_bf_aborts") sum.bfAborts += Number(r.Value);
      }
    } finally {
      await c.end();
    }
  }
  return sum;
}

const less = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);
const minus = (a: Conflicts, b: Conflicts): Conflicts => ({
  certFailures: less(a.certFailures, b.certFailures),
  bfAborts: less(a.bfAborts, b.bfAborts),
  retried: less(a.retried, b.retried),
});

// ---------------------------------------------------------------------------
// One setup
// ---------------------------------------------------------------------------

interface SetupResult {
  label: string;
  orders: OrdersResult;
  ordersPerSec: number;
  p50: number;
  p99: number;
  dispatch: DispatchResult;
  /** The 1-minute load average when the orders window opened. */
  load: number;
  /** Over the orders window and over the dispatch drain. */
  conflicts: { orders: Conflicts; dispatch: Conflicts };
}

async function measureSetup(label: string, url: string, opts: Options, catalog: BenchCatalog, counted: Counted): Promise<SetupResult> {
  const tokens = await loginAll(url, catalog.logins);
  progress(`${label}: ${tokens.length} customers logged in; orders: ${opts.warmup} s warm-up, then ${opts.duration} s measured`);
  const runId = `${label.split(" ")[0]}-${Date.now().toString(36)}`;
  const read = (): Promise<Conflicts> => conflicts(counted);
  let before: Promise<Conflicts> | null = null;
  let after: Promise<Conflicts> | null = null;
  let load = NaN;
  const orders = await ordersWorkload(url, tokens, catalog.orders, runId, {
    warmupMs: opts.warmup * 1000,
    durationMs: opts.duration * 1000,
    onWindowStart: () => {
      load = os.loadavg()[0];
      before = read();
    },
    onWindowEnd: () => {
      after = read();
    },
    signal: interrupted.signal,
  });
  const [ob, oa] = [await before!, await after!];
  if (interrupted.signal.aborted) throw new Error("interrupted");
  const run = orders.run;
  if (run.completed === 0) {
    throw new Error(
      `${label}: no order completed in the timed window (${run.failures} failed${run.failureSamples.length ? `; first: ${run.failureSamples[0]}` : ""})`,
    );
  }
  const ordersPerSec = run.completed / run.seconds;
  const [p50, p99] = [percentile(run.latencies, 0.5), percentile(run.latencies, 0.99)];
  progress(`${label}: ${fmt(ordersPerSec, 1)} orders/s, p50 ${fmt(p50, 1)} ms, p99 ${fmt(p99, 1)} ms, ${run.completed} orders, ${run.failures} failed`);

  progress(`${label}: dispatch: ${opts.labs} labs, ${opts.jobs} orders naming them`);
  let db: Conflicts | null = null;
  let da: Conflicts | null = null;
  const drainCounters = (): { before: Conflicts; after: Conflicts } => {
    if (db === null || da === null) throw new Error("the dispatch drain was not measured");
    return { before: db, after: da };
  };
  const dispatch = await dispatchWorkload(url, tokens, catalog, { jobs: opts.jobs, concurrency: opts.concurrency, runId }, (proc) => (state.labs = proc), {
    before: async () => {
      db = await read();
    },
    after: async () => {
      da = await read();
    },
  });
  progress(`${label}: ${fmt(dispatch.jobsPerSec, 1)} jobs/s, ${dispatch.completed} completed, ${dispatch.failed} failed`);
  return {
    label,
    orders,
    ordersPerSec,
    p50,
    p99,
    dispatch,
    load,
    conflicts: { orders: minus(oa, ob), dispatch: minus(drainCounters().after, drainCounters().before) },
  };
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

function report(opts: Options, single: SetupResult, cluster: SetupResult): string {
  const out: string[] = [""];
  out.push(
    `Cluster benchmark: orders (${opts.customers} customers, ${opts.duration} s after ${opts.warmup} s warm-up; place + confirm over HTTP) and dispatch ` +
      `(${opts.labs} labs over graphql-ws, ${opts.jobs} jobs claimed and completed, ${opts.concurrency} in flight), on each setup in turn`,
  );
  const row = (r: SetupResult): string[] => [
    r.label,
    fmt(r.ordersPerSec, 1),
    fmt(r.p50, 1),
    fmt(r.p99, 1),
    String(r.orders.run.completed),
    String(r.orders.run.failures),
    fmt(r.dispatch.jobsPerSec, 1),
    `${r.dispatch.completed}/${r.dispatch.jobs}`,
    String(r.dispatch.failed),
    fmt(r.load, 2),
  ];
  out.push(
    table([
      ["", "orders/s", "p50 ms", "p99 ms", "orders", "failed", "jobs/s", "jobs done", "failed", "load (1 min)"],
      row(single),
      row(cluster),
      [
        "cluster/single",
        fmt(cluster.ordersPerSec / single.ordersPerSec, 2),
        fmt(cluster.p50 / single.p50, 2),
        fmt(cluster.p99 / single.p99, 2),
        "",
        "",
        fmt(cluster.dispatch.jobsPerSec / single.dispatch.jobsPerSec, 2),
        "",
        "",
        "",
      ],
    ]),
  );
  out.push("  single: 1 center on one MariaDB (no Redis); cluster: HAProxy, 3 centers, each on its own Galera node, Redis through Sentinel");
  out.push("  load (1 min): the machine's load average when the orders window opened; the machine is shared, other work shows in every figure");
  const o = cluster.orders;
  const share = o.seenCenters > 0 ? (100 * o.crossed) / o.seenCenters : NaN;
  const per = [...o.placedOn.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([c, n]) => `${c} ${n}`);
  out.push(
    `  confirms on another center than their place: ${o.crossed} of ${o.seenCenters} orders (${fmt(share, 0)} %), by HAProxy's per-request round robin ` +
      `(X-Center of each answer); places per center: ${per.join(", ")}`,
  );
  const per1000 = (n: number | null, of: number): string => (n === null ? "-" : fmt((1000 * n) / Math.max(1, of), 2));
  const c = cluster.conflicts;
  const galera = (n: Conflicts): number | null => (n.certFailures === null || n.bfAborts === null ? null : n.certFailures + n.bfAborts);
  out.push(
    `  Galera conflicts, summed over the 3 nodes: orders window ${fmt(c.orders.certFailures, 0)} certification failures + ${fmt(c.orders.bfAborts, 0)} BF aborts = ` +
      `${per1000(galera(c.orders), o.run.completed)} per 1000 orders; dispatch drain ${fmt(c.dispatch.certFailures, 0)} + ${fmt(c.dispatch.bfAborts, 0)} = ` +
      `${per1000(galera(c.dispatch), cluster.dispatch.completed)} per 1000 jobs`,
  );
  for (const r of [single, cluster]) {
    const k = r.conflicts;
    out.push(
      `  ${r.label}: conflicts the centers retried (printmesh_db_retries_total{cause="deadlock"}): orders window ${fmt(k.orders.retried, 0)} = ` +
        `${per1000(k.orders.retried, r.orders.run.completed)} per 1000 orders; dispatch drain ${fmt(k.dispatch.retried, 0)} = ${per1000(k.dispatch.retried, r.dispatch.completed)} per 1000 jobs`,
    );
  }
  for (const r of [single, cluster]) {
    if (r.orders.run.failures > 0) {
      const kinds = [...r.orders.failureKinds.entries()].map(([k, n]) => `${n} ${k}`).join(", ");
      out.push(`  ${r.label}: ${r.orders.run.failures} orders FAILED (warm-up included: ${kinds}); the first:`);
      for (const f of r.orders.run.failureSamples.slice(0, 3)) out.push(`    ${f.slice(0, 300)}`);
    }
    if (r.dispatch.orderFailures > 0)
      out.push(
        `  ${r.label}: ${r.dispatch.orderFailures} dispatch orders FAILED (no job); first: ${r.dispatch.orderFailureSamples.map((f) => f.slice(0, 300)).join(" | ")}`,
      );
    if (r.dispatch.heard < r.dispatch.jobs) out.push(`  ${r.label}: ${r.dispatch.jobs - r.dispatch.heard} jobs' events never reached their lab (not claimed)`);
    if (r.dispatch.errors.length > 0) out.push(`  ${r.label}: lab errors (the first): ${r.dispatch.errors.join("; ")}`);
  }
  out.push("");
  out.push(
    `NOTE: all of it runs on this machine's ${os.cpus().length} cores (3 database nodes, 3 centers, HAProxy, Redis, the load generator): ` +
      "the ratio is the cost of replication and of the extra hops, not a scaling figure.",
  );
  return out.join("\n") + "\n";
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main(): Promise<number> {
  const opts = parseFlags(process.argv.slice(2));
  state.keep = opts.keep;
  const started = Date.now();
  process.stdout.write(`${machineLine("this process: HTTP clients; a child process: the labs")}\n`);
  await otherClustersDone(opts.waitOthers);
  const db = mysqlConfig(opts.databaseUrl);
  if (!/bench/i.test(db.database)) throw new Error(`the database name must say "bench" (it is created and dropped), got ${db.database}`);

  progress(`preparing the catalog: demo catalog, ${opts.customers} customers, ${opts.labs} dispatch labs`);
  const catalog = await benchCatalog(DEMO_CATALOG, opts.customers, opts.labs);
  state.dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-bench-cluster-"));
  const bundleFile = path.join(state.dir, "catalog.json");
  fs.writeFileSync(bundleFile, JSON.stringify(catalog.bundle));

  // --- single ------------------------------------------------------------------
  progress(`single: creating ${redact(opts.databaseUrl)}`);
  await createScratchDatabase(db, progress);
  state.db = db;
  await loadCatalog(db, bundleFile, [], progress);
  const dataDir = path.join(state.dir, "single-data");
  fs.mkdirSync(dataDir);
  const center = await startCenter({ databaseUrl: opts.databaseUrl, dataDir, label: "single", env: { METRICS_TOKEN: CLUSTER_METRICS_TOKEN } });
  progress(`single: center ready at ${center.url}`);
  const single = await measureSetup("single (1 center)", center.url, opts, catalog, { centerUrls: [center.url], cluster: null });
  await stopAll();
  await dropScratchDatabase(db);
  state.db = null;

  // --- cluster -----------------------------------------------------------------
  if (interrupted.signal.aborted) throw new Error("interrupted");
  progress("cluster: starting 3 Galera nodes, Redis with 3 Sentinels, 3 centers and HAProxy (a minute or two)");
  await otherClustersDone(opts.waitOthers);
  state.cluster = startCluster({ bundle: bundleFile, log: (l) => progress(`cluster: ${l}`), centerEnv: { GRAPHQL_IDE: "0", BUSINESS_TIMEZONE: "UTC" } });
  const cluster = await state.cluster;
  progress(`cluster: up, HAProxy at ${cluster.balancer.url}`);
  const clustered = await measureSetup("cluster (3 centers)", cluster.balancer.url, opts, catalog, {
    centerUrls: cluster.centers.list.map((c) => c.url),
    cluster,
  });
  await cleanUp();

  process.stdout.write(report(opts, single, clustered));
  process.stdout.write(`(total ${fmt((Date.now() - started) / 1000, 0)} s)\n`);
  return 0;
}

runBench(main, cleanUp, interrupted);
