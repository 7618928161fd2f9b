/**
 * `npm run bench:cluster`: the orders workload (bench/orders: customers placing and confirming
 * orders over HTTP, each order 2 sub-orders x 3 items) through HAProxy to three centers, first on
 * a three-node Galera cluster (each center on its own node), then, in the same run, the same three
 * centers on a single MariaDB (127.0.0.1:3306). Prints both, their ratio, and the certification
 * conflicts the centers retried per thousand orders on the cluster.
 *
 * On one machine with few cores this measures the cost of replication (every commit certified by
 * three nodes sharing the same cores), not how far a cluster scales: the ratio says that, no more.
 *
 * Flags: --customers N (8)  --duration S (15)  --warmup S (5)
 *        --database-url URL (the single MariaDB: mysql://root@127.0.0.1:3306/printmesh_bench_cluster;
 *        created and dropped, so it must not exist unless its name says "bench")
 */
import * as os from "node:os";
import * as path from "node:path";
import { fmt, login, machineLine, percentile, progress, ROOT, table } from "../common";
import { benchOrder, CenterClient } from "../orders/center-orders";
import { createScratchDatabase, CUSTOMER_PASSWORD, customers, dropScratchDatabase, loadCatalog, mysqlConfig, type Catalog } from "../orders/scratch-database";
import { runTimed, type TimedResult } from "../orders/timed-run";
import { CLUSTER_METRICS_TOKEN, startCluster, type Cluster } from "./harness";

interface Options {
  customers: number;
  duration: number;
  warmup: number;
  databaseUrl: string;
}

function options(argv: string[]): Options {
  const o: Options = { customers: 8, duration: 15, warmup: 5, databaseUrl: "mysql://root@127.0.0.1:3306/printmesh_bench_cluster" };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    const n = Number(v);
    if (argv[i] === "--customers" && Number.isInteger(n) && n > 0) o.customers = n;
    else if (argv[i] === "--duration" && n > 0) o.duration = n;
    else if (argv[i] === "--warmup" && n >= 0) o.warmup = n;
    else if (argv[i] === "--database-url" && v) o.databaseUrl = v;
    else throw new Error(`bench:cluster: unknown or bad flag ${argv[i]} ${v ?? ""}`);
    i++;
  }
  return o;
}

const CATALOG = path.join(ROOT, "fixtures", "demo-catalog.json");

/** The conflicts the three centers retried so far (printmesh_db_conflicts_retried_total, summed). */
async function conflictsRetried(cluster: Cluster): Promise<number> {
  let sum = 0;
  for (const c of cluster.centers.list) {
    const text = await (await fetch(`${c.url}/metrics`, { headers: { authorization: `Bearer ${CLUSTER_METRICS_TOKEN}` } })).text();
    sum += Number(/^printmesh_db_conflicts_retried_total (\d+)/m.exec(text)?.[1] ?? 0);
  }
  return sum;
}

interface Measured {
  result: TimedResult;
  /** Orders completed from the warm-up's start to the window's end (the conflicts' denominator). */
  orders: number;
  conflicts: number;
}

async function measure(cluster: Cluster, catalog: Catalog, o: Options, label: string): Promise<Measured> {
  const people = customers(o.customers);
  const url = cluster.balancer.url;
  const tokens = await Promise.all(people.map((p) => login(url, p.login, CUSTOMER_PASSWORD)));
  const client = new CenterClient(url, o.customers);
  let orders = 0;
  try {
    const before = await conflictsRetried(cluster);
    progress(`${label}: ${o.customers} customers through HAProxy, ${o.warmup} s warm-up, ${o.duration} s measured`);
    const result = await runTimed({ workers: o.customers, warmupMs: o.warmup * 1000, durationMs: o.duration * 1000 }, async (w, seq) => {
      await client.placeAndConfirm(tokens[w], benchOrder(catalog, w, seq), `bench-${label}-${w}-${seq}`);
      orders++;
    });
    return { result, orders, conflicts: (await conflictsRetried(cluster)) - before };
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const people = customers(o.customers);
  let catalog: Catalog | null = null;
  const single = mysqlConfig(o.databaseUrl);
  const cluster = await startCluster({
    log: progress,
    centerEnv: { LOG_LEVEL: "error" },
    seed: async (db) => {
      if (db.type !== "mysql") throw new Error("unreachable");
      catalog = await loadCatalog(db, CATALOG, people, progress);
    },
  });
  let singleCreated = false;
  try {
    const onCluster = await measure(cluster, catalog!, o, "cluster");
    // The same three centers and HAProxy, now on one MariaDB.
    await createScratchDatabase(single, progress);
    singleCreated = true;
    await loadCatalog(single, CATALOG, people, progress);
    for (const c of cluster.centers.list) {
      await cluster.killCenter(c);
      c.env.DATABASE_URL = o.databaseUrl;
      await cluster.startCenter(c);
    }
    await cluster.balancer.awaitUp(cluster.centers.list.map((c) => c.name));
    const onSingle = await measure(cluster, catalog!, o, "single");

    const row = (name: string, m: Measured) => [
      name,
      fmt(m.result.completed / m.result.seconds, 1),
      fmt(percentile(m.result.latencies, 0.5), 1),
      fmt(percentile(m.result.latencies, 0.99), 1),
      String(m.result.failures),
    ];
    const lines = [
      "",
      "bench:cluster - orders placed and confirmed through HAProxy by three centers",
      machineLine(`${o.customers} customers`),
      "",
      table([["database", "orders/s", "p50 ms", "p99 ms", "failures"], row("Galera, 3 nodes", onCluster), row("MariaDB, single", onSingle)]),
      "",
      `cluster / single: ${fmt(onCluster.result.completed / onCluster.result.seconds / (onSingle.result.completed / onSingle.result.seconds), 2)}`,
      `  (all on this machine's ${os.cpus().length} cores: the cost of replicating every commit to three nodes, not a scaling figure)`,
      `certification conflicts retried: ${onCluster.conflicts} over ${onCluster.orders} orders = ${fmt((1000 * onCluster.conflicts) / Math.max(1, onCluster.orders), 1)} per 1,000 orders`,
      "",
    ];
    process.stdout.write(lines.join("\n"));
    for (const f of [...onCluster.result.failureSamples, ...onSingle.result.failureSamples].slice(0, 5)) progress(`failure: ${f}`);
  } finally {
    await cluster.stop();
    if (singleCreated) await dropScratchDatabase(single).catch(() => undefined);
  }
}

main().catch((e) => {
  process.stderr.write(`bench:cluster failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
