/**
 * `npm run bench:dispatch`: one center, many simulated labs (graphql-ws clients in a child process,
 * bench/dispatch/labs-process.ts) holding `printJobs` subscriptions, claiming and completing.
 *
 * 1. Scratch database (SQLite file by default, or --database-url mysql://...bench...), the seed
 *    fixture imported with `importBundle`, then --labs extra labs at SP01 (SV01, PICKUP) with one
 *    API key each, written directly with the ORM (argon2 hashes computed in parallel batches).
 * 2. The real center (node dist/src/main.js, production settings). Its RSS before any connection,
 *    after 100 warm-up subscriptions (one-time costs), and after each step of --connections
 *    (default 1000,5000) once idle: KiB per idle subscription, from the warm-up and from none.
 *    With fewer keys than connections, connection i uses key i % keys: the memory of a
 *    subscription does not depend on its key (the output says so).
 * 3. Back to 1,000 connections (the first step): --orders orders placed and confirmed as the
 *    customer at --rate orders/s, each naming one of the labs; the child reports when each event
 *    arrives (same machine, same clock): confirm -> event p50/p99; the labs claim and complete.
 * 4. End to end, in --rounds rounds (3), each:
 *    a. the labs hold events while --jobs orders are placed, then claim and complete all of them
 *       at once (--concurrency in flight): jobs/s;
 *    b. the ceiling, the center idle: the same jobs put back to QUEUED, claimed (conditional
 *       UPDATE ... WHERE status='QUEUED') and completed with raw SQL (better-sqlite3 or mysql2),
 *       with the order status moves the center makes, in the same statements (MariaDB: one
 *       multi-table UPDATE each; SQLite: two UPDATEs in a transaction each): jobs/s, and the
 *       round's ratio.
 *    The two measures of a round are seconds apart, so that a drift of the machine's speed
 *    weighs on both; the target is judged on the median round's ratio, every round printed.
 *
 * Figures, not tests: exit 0 even when a target is missed; 1 only when it could not measure.
 *
 * Flags: --database-url URL  --labs N (1000)  --connections A,B (1000,5000)  --orders N (300)
 *        --rate R (20)  --jobs N (10000)  --concurrency N (64)  --keep-database  --profile DIR (the
 *        center runs with --cpu-prof into DIR)  --lab-transport ws|http (ws: claims and completions
 *        over each lab's socket, as the lab daemon sends them; http: one POST each)  --rounds N (3)
 *        --center-node-args "FLAGS" (more node flags for the center)
 */
import * as child from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import * as mysql from "mysql2/promise";
import { redact, type DatabaseConfig } from "../../src/config";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { LabEntity, LabServiceEntity } from "../../src/labs/lab.entity";
import { openDatabase } from "../../src/entities";
import { generateLabKey, labKeyRecord } from "../../src/labs/lab-keys.service";
import { LabApiKeyEntity } from "../../src/labs/lab-api-key.entity";
import { cpuSeconds, databaseConfig, fmt, login, machineLine, memoryMiB, percentile, progress, ROOT, sleep, startCenter, stopAll, table } from "../common";
import { Probe } from "../orders/probe";
import { Labs } from "./labs-driver";
import { connectionOptions, createScratchDatabase, dropScratchDatabase, type MysqlConfig } from "../orders/scratch-database";

const TARGET_P99_MS = 50;
const TARGET_RATIO = 0.5;
const TARGET_KIB = 64;
/** Subscriptions opened (and kept open) before memory per subscription is measured. */
const WARM_SUBSCRIPTIONS = 100;

interface Options {
  databaseUrl: string | null;
  labs: number;
  connections: number[];
  orders: number;
  rate: number;
  jobs: number;
  concurrency: number;
  keepDatabase: boolean;
  profileDir: string | null;
  labTransport: "ws" | "http";
  rounds: number;
  centerNodeArgs: string[];
}

/** One round of the end-to-end measure: the center's drain and the ceiling on the same jobs. */
interface Round {
  drained: { completed: number; failed: number; ms: number };
  perSec: number;
  cpu: Record<"center" | "labs" | "mariadb", number>;
  statementsPerJob: number | null;
  ceiling: { jobsPerSec: number; completed: number };
  ceilingCpu: Record<"center" | "labs" | "mariadb", number>;
  /** The idle center's and labs' CPU while the ceiling ran, in ms per second of it. */
  idleCpu: Record<"center" | "labs", number>;
  ratio: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    databaseUrl: null,
    labs: 1000,
    connections: [1000, 5000],
    orders: 300,
    rate: 20,
    jobs: 10_000,
    concurrency: 64,
    keepDatabase: false,
    profileDir: null,
    labTransport: "ws",
    rounds: 3,
    centerNodeArgs: [],
  };
  const num = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v ?? "");
    if (v === undefined || !Number.isFinite(n) || n < min) throw new Error(`${flag} needs a number of at least ${min}, got ${String(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case "--database-url":
        o.databaseUrl = value() ?? "";
        break;
      case "--labs":
        o.labs = Math.floor(num(flag, value(), 1));
        break;
      case "--connections":
        o.connections = (value() ?? "").split(",").map((s) => Math.floor(num(flag, s, 1)));
        break;
      case "--orders":
        o.orders = Math.floor(num(flag, value(), 1));
        break;
      case "--rate":
        o.rate = num(flag, value(), 0.1);
        break;
      case "--jobs":
        o.jobs = Math.floor(num(flag, value(), 1));
        break;
      case "--concurrency":
        o.concurrency = Math.floor(num(flag, value(), 1));
        break;
      case "--rounds":
        o.rounds = Math.floor(num(flag, value(), 1));
        break;
      case "--center-node-args":
        o.centerNodeArgs = (value() ?? "").split(/\s+/).filter((x) => x !== "");
        break;
      case "--keep-database":
        o.keepDatabase = true;
        break;
      case "--profile":
        o.profileDir = path.resolve(value() ?? "bench-profiles");
        break;
      case "--lab-transport": {
        const t = value();
        if (t !== "ws" && t !== "http") throw new Error(`--lab-transport is ws or http, got ${String(t)}`);
        o.labTransport = t;
        break;
      }
      default:
        throw new Error(`unknown flag ${a}`);
    }
  }
  if (o.connections.length === 0) throw new Error("--connections needs at least one count");
  return o;
}

// ---------------------------------------------------------------------------
// Clean-up
// ---------------------------------------------------------------------------

const scratch: { mysql: MysqlConfig | null; dir: string | null; keep: boolean; labs: child.ChildProcess | null } = {
  mysql: null,
  dir: null,
  keep: false,
  labs: null,
};
let cleaning: Promise<void> | null = null;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    if (scratch.labs && scratch.labs.exitCode === null) scratch.labs.kill("SIGKILL");
    await stopAll();
    const db = scratch.mysql;
    scratch.mysql = null;
    if (db && !scratch.keep) await dropScratchDatabase(db).catch((e: unknown) => progress(`could not drop ${db.database}: ${String(e)}`));
    if (scratch.dir && !scratch.keep) fs.rmSync(scratch.dir, { recursive: true, force: true });
    else if (scratch.dir) progress(`kept ${scratch.dir}`);
  })();
  return cleaning;
}

// ---------------------------------------------------------------------------
// The database
// ---------------------------------------------------------------------------

interface LabKey {
  labId: string;
  key: string;
}

async function prepareDatabase(db: DatabaseConfig, labs: number): Promise<LabKey[]> {
  const bundle = JSON.parse(fs.readFileSync(path.join(ROOT, "fixtures", "patent-example.json"), "utf8")) as object;
  const ds = await openDatabase(db, { poolSize: 4 });
  try {
    const report = await importBundle(ds, bundle);
    if (!report.ok)
      throw new Error(
        `the seed fixture does not import: ${report.faults
          .slice(0, 5)
          .map((f) => `${f.path}: ${f.code}`)
          .join("; ")}`,
      );
    const keys: LabKey[] = Array.from({ length: labs }, (_, i) => ({ labId: `BLAB${String(i + 1).padStart(5, "0")}`, key: generateLabKey() }));
    const labRows = keys.map(({ labId }) => {
      const l = new LabEntity();
      Object.assign(l, {
        id: labId,
        name: `Bench lab ${labId}`,
        shopId: "SP01",
        fulfilment: "PICKUP",
        express: false,
        capacitySheetsPerHour: 1000,
        lat: null,
        lng: null,
        postalCode: null,
        region: null,
        disabled: false,
        loadUtilisation: null,
        loadQueuedJobs: null,
        loadQueuedSheets: null,
        loadReportedAt: null,
        lastSeenAt: null,
      });
      return l;
    });
    const t0 = Date.now();
    const records: LabApiKeyEntity[] = [];
    const BATCH = Math.max(2, os.cpus().length * 2);
    for (let i = 0; i < keys.length; i += BATCH) {
      records.push(...(await Promise.all(keys.slice(i, i + BATCH).map((k) => labKeyRecord(k.labId, k.key, "bench")))));
      if (i % 200 === 0 && i > 0) progress(`hashed ${i}/${keys.length} lab keys`);
    }
    progress(`hashed ${keys.length} lab keys in ${fmt((Date.now() - t0) / 1000, 1)} s`);
    await ds.transaction(async (em) => {
      for (let i = 0; i < keys.length; i += 200) {
        await em.insert(LabEntity, labRows.slice(i, i + 200));
        await em.insert(
          LabServiceEntity,
          keys.slice(i, i + 200).map((k) => ({ labId: k.labId, serviceId: "SV01" })),
        );
        await em.insert(LabApiKeyEntity, records.slice(i, i + 200));
      }
    });
    return keys;
  } finally {
    await ds.destroy();
  }
}

// ---------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------

const PLACE = "mutation($input: OrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { order { id total } errors { code message } } }";
const CONFIRM =
  "mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId } errors { code message } } }";

async function gql(url: string, token: string, query: string, variables: object): Promise<Record<string, unknown>> {
  const r = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data?: Record<string, unknown> };
  if (!r.ok || !body.data) throw new Error(`HTTP ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body.data;
}

/** Places and confirms an order naming `labId`; the instant confirm was sent and the order id. */
async function placeAndConfirm(url: string, token: string, labId: string, key: string): Promise<{ id: string; confirmSentAt: number; confirmMs: number }> {
  const input = {
    labId,
    fulfilment: { method: "PICKUP" },
    subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: "IMG-C01", layout: { x: 10, y: 10, width: 100, height: 150 } }] }],
  };
  const p = (await gql(url, token, PLACE, { input, key })).placeOrder as {
    order: { id: string; total: number } | null;
    errors: Array<{ code: string; message: string }>;
  };
  if (!p.order) throw new Error(`placeOrder: ${p.errors.map((e) => `${e.code} ${e.message}`).join("; ")}`);
  const confirmSentAt = performance.timeOrigin + performance.now();
  const c = (await gql(url, token, CONFIRM, { id: p.order.id, total: p.order.total })).confirmOrder as {
    order: { labId: string } | null;
    errors: Array<{ code: string; message: string }>;
  };
  const confirmMs = performance.timeOrigin + performance.now() - confirmSentAt;
  if (!c.order) throw new Error(`confirmOrder: ${c.errors.map((e) => `${e.code} ${e.message}`).join("; ")}`);
  if (c.order.labId !== labId) throw new Error(`confirmOrder assigned ${c.order.labId}, not the named ${labId}`);
  return { id: p.order.id, confirmSentAt, confirmMs };
}

/** Polls until cond() holds, or fails after timeoutMs. */
async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** RSS once it stops moving (3 samples 500 ms apart within 1 %), at most 15 s. */
async function idleRss(pid: number): Promise<number> {
  const samples: number[] = [];
  const deadline = Date.now() + 15_000;
  for (;;) {
    await sleep(500);
    samples.push(memoryMiB(pid).rss ?? NaN);
    const last = samples.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) <= 0.01 * Math.max(...last)) return last[2];
    if (Date.now() > deadline) return samples[samples.length - 1];
  }
}

// ---------------------------------------------------------------------------
// The ceiling
// ---------------------------------------------------------------------------

interface JobRow {
  id: string;
  labId: string;
  orderId: string;
}

async function ceiling(db: DatabaseConfig, jobs: JobRow[], concurrency: number): Promise<{ jobsPerSec: number; completed: number }> {
  const ids = jobs.map((j) => j.id);
  const orderIds = jobs.map((j) => j.orderId);
  if (db.type === "sqlite") {
    const conn = new Database(db.path, { timeout: 10000 });
    conn.pragma("journal_mode = WAL");
    conn.pragma("synchronous = NORMAL");
    conn.pragma("foreign_keys = ON");
    const marks = (n: number): string => Array(n).fill("?").join(",");
    for (let i = 0; i < ids.length; i += 500) {
      conn
        .prepare(`UPDATE print_jobs SET status='QUEUED', lease_token=NULL, lease_expires_at=NULL WHERE id IN (${marks(Math.min(500, ids.length - i))})`)
        .run(...ids.slice(i, i + 500));
      conn.prepare(`UPDATE orders SET status='ASSIGNED' WHERE id IN (${marks(Math.min(500, orderIds.length - i))})`).run(...orderIds.slice(i, i + 500));
    }
    const claimJob = conn.prepare(
      "UPDATE print_jobs SET status='LEASED', lease_token=?, lease_expires_at=?, updated_at=? WHERE id=? AND lab_id=? AND status='QUEUED' AND available_at<=?",
    );
    const claimOrder = conn.prepare("UPDATE orders SET status='PRINTING', updated_at=? WHERE id=? AND status='ASSIGNED'");
    const doneJob = conn.prepare(
      "UPDATE print_jobs SET status='DONE', lease_expires_at=NULL, updated_at=? WHERE id=? AND lab_id=? AND status='LEASED' AND lease_token=?",
    );
    const doneOrder = conn.prepare("UPDATE orders SET status='PRINTED', updated_at=? WHERE id=? AND status='PRINTING'");
    const claim = conn.transaction((j: JobRow, tok: string, now: number) => {
      if (claimJob.run(tok, now + 600_000, now, j.id, j.labId, now).changes !== 1) throw new Error(`ceiling: could not claim ${j.id}`);
      claimOrder.run(now, j.orderId);
    });
    const complete = conn.transaction((j: JobRow, tok: string, now: number) => {
      if (doneJob.run(now, j.id, j.labId, tok).changes !== 1) throw new Error(`ceiling: could not complete ${j.id}`);
      doneOrder.run(now, j.orderId);
    });
    const t0 = performance.now();
    for (const j of jobs) {
      const tok = randomBytes(24).toString("hex");
      claim(j, tok, Date.now());
      complete(j, tok, Date.now());
    }
    const s = (performance.now() - t0) / 1000;
    conn.close();
    return { jobsPerSec: jobs.length / s, completed: jobs.length };
  }
  const pool = mysql.createPool({ ...connectionOptions(db), connectionLimit: concurrency });
  try {
    for (let i = 0; i < ids.length; i += 500) {
      await pool.query("UPDATE print_jobs SET status='QUEUED', lease_token=NULL, lease_expires_at=NULL WHERE id IN (?)", [ids.slice(i, i + 500)]);
      await pool.query("UPDATE orders SET status='ASSIGNED' WHERE id IN (?)", [orderIds.slice(i, i + 500)]);
    }
    // As the center does on MySQL/MariaDB (src/dispatch/print-job.rows.ts): the job's and the order's
    // conditional update in one multi-table statement, atomic by itself; run again when InnoDB
    // picks it as a deadlock's victim (64 writers on the same indexes meet now and then).
    const once = async (sql: string, args: unknown[]): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          const [r] = await pool.execute(sql, args as never[]);
          if ((r as mysql.ResultSetHeader).affectedRows !== 2)
            throw new Error(`ceiling: ${sql.slice(0, 60)} changed ${(r as mysql.ResultSetHeader).affectedRows} rows`);
          return;
        } catch (e) {
          const code = (e as { code?: string }).code;
          if ((code !== "ER_LOCK_DEADLOCK" && code !== "ER_LOCK_WAIT_TIMEOUT") || attempt >= 5) throw e;
        }
      }
    };
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < jobs.length) {
          const j = jobs[next++];
          const tok = randomBytes(24).toString("hex");
          let now = Date.now();
          await once(
            "UPDATE print_jobs j JOIN orders o ON o.id = j.order_id SET j.status='LEASED', j.lease_token=?, j.lease_expires_at=?, j.updated_at=?, o.status='PRINTING', o.version=o.version+1, o.updated_at=?" +
              " WHERE j.id=? AND j.lab_id=? AND j.status='QUEUED' AND j.available_at<=? AND o.status='ASSIGNED'",
            [tok, now + 600_000, now, now, j.id, j.labId, now],
          );
          now = Date.now();
          await once(
            "UPDATE print_jobs j JOIN orders o ON o.id = j.order_id SET j.status='DONE', j.lease_expires_at=NULL, j.updated_at=?, o.status='PRINTED', o.version=o.version+1, o.updated_at=?" +
              " WHERE j.id=? AND j.lab_id=? AND j.status='LEASED' AND j.lease_token=? AND o.status='PRINTING'",
            [now, now, j.id, j.labId, tok],
          );
        }
      }),
    );
    return { jobsPerSec: jobs.length / ((performance.now() - t0) / 1000), completed: jobs.length };
  } finally {
    await pool.end();
  }
}

/** CPU seconds of a few processes from now on, per unit of work done when asked (NaN where unknown). */
function cpuMeter<K extends string>(pids: Record<K, number | null>): { perUnit(units: number): Record<K, number> } {
  const read = (): Record<K, number | null> =>
    Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, p === null ? null : cpuSeconds(p as number)])) as Record<K, number | null>;
  const before = read();
  return {
    perUnit(units: number) {
      const after = read();
      return Object.fromEntries(
        Object.keys(pids).map((k) => {
          const a = after[k as K];
          const b = before[k as K];
          return [k, a === null || b === null || units === 0 ? NaN : ((a - b) * 1000) / units];
        }),
      ) as Record<K, number>;
    },
  };
}

async function jobRows(db: DatabaseConfig, jobIds: string[]): Promise<JobRow[]> {
  const ds = await openDatabase(db, { poolSize: 2, migrate: false });
  try {
    const out: JobRow[] = [];
    for (let i = 0; i < jobIds.length; i += 500) {
      const rows = (await ds.query(
        `SELECT id, lab_id, order_id FROM print_jobs WHERE id IN (${jobIds
          .slice(i, i + 500)
          .map(() => "?")
          .join(",")})`,
        jobIds.slice(i, i + 500),
      )) as Array<{ id: string; lab_id: string; order_id: string }>;
      out.push(...rows.map((r) => ({ id: r.id, labId: r.lab_id, orderId: r.order_id })));
    }
    return out;
  } finally {
    await ds.destroy();
  }
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  process.stdout.write(`${machineLine("child process: graphql-ws labs; this process: customer HTTP, raw SQL ceiling")}\n`);
  scratch.keep = opts.keepDatabase;
  scratch.dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-bench-dispatch-"));
  const databaseUrl = opts.databaseUrl ?? `sqlite:${path.join(scratch.dir, "dispatch.sqlite")}`;
  const db = databaseConfig(databaseUrl);
  if (db.type === "mysql") {
    if (!/bench/i.test(db.database))
      throw new Error(`--database-url must name a scratch database with "bench" in its name (it is created and dropped), got ${db.database}`);
    await createScratchDatabase(db, progress);
    scratch.mysql = db;
  }
  progress(`database ${redact(databaseUrl)}: importing the seed fixture and ${opts.labs} labs`);
  const keys = await prepareDatabase(db, opts.labs);

  // Connection i uses key i % labs: 5 sockets per key at 5,000 connections, within the center's
  // default cap per credential (10). A larger run raises the cap rather than being refused.
  const perKey = Math.ceil(Math.max(...opts.connections) / keys.length);
  if (perKey > 10 && process.env.WS_MAX_SOCKETS_PER_CREDENTIAL === undefined) process.env.WS_MAX_SOCKETS_PER_CREDENTIAL = String(perKey);
  const center = await startCenter({
    databaseUrl,
    dataDir: path.join(scratch.dir, "data"),
    label: "dispatch",
    nodeArgs: opts.centerNodeArgs,
    profileDir: opts.profileDir,
  });
  const pid = center.child.proc.pid!;
  progress(`center ready at ${center.url}`);
  const labs = await Labs.start(opts.labTransport, (proc) => (scratch.labs = proc));

  // --- memory per idle subscription -----------------------------------------
  const rss0 = await idleRss(pid);
  progress(`center RSS with no subscription: ${fmt(rss0, 1)} MiB`);
  // The first subscriptions also pay what the process pays once: code compiled on first use, the
  // key checks' argon2 working memory (64 MiB each, kept by the allocator afterwards), pools grown.
  // A few are opened (and kept) first; the memory per subscription is measured from there.
  const warmCount = Math.max(1, Math.min(WARM_SUBSCRIPTIONS, Math.floor(Math.min(...opts.connections) / 10)));
  labs.send({ type: "connect", url: center.url, keys, count: warmCount });
  const warm = await labs.next("connected", 600_000);
  const rssWarm = await idleRss(pid);
  progress(`${warm.open} subscriptions open to warm up: RSS ${fmt(rssWarm, 1)} MiB`);
  const memory: Array<{ target: number; open: number; failed: number; rss: number; kibCold: number; kib: number }> = [];
  for (const count of [...opts.connections].sort((a, b) => a - b)) {
    const t0 = Date.now();
    labs.send({ type: "connect", url: center.url, keys, count });
    const m = await labs.next("connected", 600_000);
    const rss = await idleRss(pid);
    const kibCold = ((rss - rss0) * 1024) / Math.max(1, m.open);
    const kib = ((rss - rssWarm) * 1024) / Math.max(1, m.open - warm.open);
    memory.push({ target: count, open: m.open, failed: m.failed, rss, kibCold, kib });
    progress(
      `${m.open} subscriptions open (${m.failed} failed) in ${fmt((Date.now() - t0) / 1000, 1)} s: RSS ${fmt(rss, 1)} MiB, ${fmt(kib, 1)} KiB each after the warm-up (${fmt(kibCold, 1)} from none)`,
    );
  }
  const latencyConns = Math.min(...opts.connections);
  labs.send({ type: "close", count: latencyConns });
  const after = await labs.next("connected", 120_000);
  progress(`back to ${after.open} subscriptions`);
  await sleep(1000);

  // --- latency: confirm -> event ----------------------------------------------
  const token = await login(center.url, "customer", "customer-pass");
  const runId = Date.now().toString(36);
  labs.send({ type: "mode", claim: true });
  const sent: Array<Promise<{ id: string; confirmSentAt: number; confirmMs: number }>> = [];
  const orderFailures: string[] = [];
  progress(`latency: ${opts.orders} orders at ${opts.rate}/s naming labs in turn`);
  const interval = 1000 / opts.rate;
  const tStart = performance.now();
  for (let i = 0; i < opts.orders; i++) {
    const wait = tStart + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    sent.push(placeAndConfirm(center.url, token, keys[i % keys.length].labId, `${runId}-l${i}`));
  }
  const settled = await Promise.allSettled(sent);
  const placed = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : (orderFailures.push(String(s.reason)), [])));
  if (placed.length === 0) throw new Error(`no order went through: ${orderFailures[0]}`);
  const jobIdsOf = async (orders: Array<{ id: string }>): Promise<Map<string, string>> => {
    // The events carry job ids; the orders answer order ids: read the mapping from the database
    // through the center (a lab's own printJob query would do too; SQL is simpler here).
    const ds = await openDatabase(db, { poolSize: 2, migrate: false });
    try {
      const m = new Map<string, string>();
      for (let i = 0; i < orders.length; i += 500) {
        const part = orders.slice(i, i + 500).map((o) => o.id);
        const rows = (await ds.query(`SELECT id, order_id FROM print_jobs WHERE order_id IN (${part.map(() => "?").join(",")})`, part)) as Array<{
          id: string;
          order_id: string;
        }>;
        for (const r of rows) m.set(r.order_id, r.id);
      }
      return m;
    } finally {
      await ds.destroy();
    }
  };
  const latencyJobs = await jobIdsOf(placed);
  await waitFor(() => placed.every((o) => labs.done.has(latencyJobs.get(o.id) ?? "")), 60_000, "the labs to complete the latency phase's jobs").catch(
    (e: unknown) => progress(String(e)),
  );
  const lat = Float64Array.from(
    placed.flatMap((o) => {
      const at = labs.events.get(latencyJobs.get(o.id) ?? "");
      return at === undefined ? [] : [at - o.confirmSentAt];
    }),
  ).sort();
  const confirmMs = Float64Array.from(placed.map((o) => o.confirmMs)).sort();
  const latencyDone = placed.filter((o) => labs.done.get(latencyJobs.get(o.id) ?? "")?.ok).length;
  progress(
    `latency: ${lat.length}/${placed.length} events, p50 ${fmt(percentile(lat, 0.5), 1)} ms, p99 ${fmt(percentile(lat, 0.99), 1)} ms; ${latencyDone} completed`,
  );

  // --- end to end, and the ceiling, in rounds -------------------------------
  // Each round places --jobs orders with the labs holding their events, lets the labs claim and
  // complete them all at once through the center, then runs the ceiling on the same jobs (the
  // center idle, still up). The two sides of a round are measured seconds apart, so that the
  // machine's drift (other tenants, frequency) weighs on both alike; the target is judged on the
  // median round.
  const rounds: Round[] = [];
  const probe = db.type === "mysql" ? await Probe.open(db) : null;
  const mariadbPid = probe?.mariadbPid ?? null;
  try {
    for (let r = 1; r <= opts.rounds; r++) rounds.push(await round(r));
  } finally {
    await probe?.close();
  }
  const peak = memoryMiB(pid).peak;

  async function round(r: number): Promise<Round> {
    const tag = opts.rounds > 1 ? `round ${r}/${opts.rounds}: ` : "";
    progress(`${tag}end to end: placing ${opts.jobs} orders with the labs holding their events`);
    labs.send({ type: "mode", claim: false });
    await sleep(200);
    const e2eOrders: Array<{ id: string }> = [];
    let nextOrder = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (nextOrder < opts.jobs) {
          const i = nextOrder++;
          try {
            e2eOrders.push(await placeAndConfirm(center.url, token, keys[i % keys.length].labId, `${runId}-e${r}-${i}`));
          } catch (e) {
            if (orderFailures.length < 100) orderFailures.push(String(e));
          }
        }
      }),
    );
    const e2eJobIds = [...(await jobIdsOf(e2eOrders)).values()];
    await waitFor(() => e2eJobIds.every((id) => labs.events.has(id)), 60_000, "the end-to-end events");
    // Where the CPU went: the center, the labs' process, and mariadbd when it runs on this machine.
    const statementsBefore = (await probe?.sample(null))?.statements ?? null;
    const drainCpu = cpuMeter({ center: pid, labs: labs.proc.pid ?? null, mariadb: mariadbPid });
    labs.send({ type: "drain", concurrency: opts.concurrency });
    const drained = await labs.next("drained", 600_000);
    const drainMs = drainCpu.perUnit(drained.completed);
    const statementsAfter = (await probe?.sample(null))?.statements ?? null;
    // MariaDB's global count: the probe's own statement (one per sample) and the heartbeat's are in it.
    const statementsPerJob =
      statementsBefore === null || statementsAfter === null || drained.completed === 0 ? null : (statementsAfter - statementsBefore - 1) / drained.completed;
    const perSec = drained.completed / (drained.ms / 1000);
    progress(
      `${tag}end to end: ${drained.completed} jobs claimed and completed in ${fmt(drained.ms / 1000, 2)} s (${drained.failed} failed): ${fmt(perSec, 1)} jobs/s, center CPU ${fmt(drainMs.center, 2)} ms/job`,
    );

    const rows = await jobRows(db, e2eJobIds);
    // What the center does once the burst is over (a collection, the labs' last messages) is
    // left to finish first: the ceiling gets the machine as the center had it.
    await sleep(1000);
    progress(`${tag}ceiling: raw SQL claim + complete of the same ${rows.length} jobs`);
    const ceilCpu = cpuMeter({ center: process.pid, labs: null, mariadb: mariadbPid });
    const bystanders = cpuMeter({ center: pid, labs: labs.proc.pid ?? null });
    const ceil = await ceiling(db, rows, db.type === "sqlite" ? 1 : Math.min(opts.concurrency, 16));
    const ceilMs = ceilCpu.perUnit(ceil.completed);
    const idleCpu = bystanders.perUnit(ceil.completed / ceil.jobsPerSec);
    progress(`${tag}ceiling: ${fmt(ceil.jobsPerSec, 1)} jobs/s; ratio ${fmt(perSec / ceil.jobsPerSec, 3)}`);
    return { drained, perSec, cpu: drainMs, statementsPerJob, ceiling: ceil, ceilingCpu: ceilMs, idleCpu, ratio: perSec / ceil.jobsPerSec };
  }

  labs.send({ type: "stop" });
  await Promise.race([new Promise((r) => labs.proc.once("exit", r)), sleep(10_000)]);
  await stopAll();

  // --- report -----------------------------------------------------------------
  const out: string[] = [""];
  out.push(
    `Dispatch benchmark on ${db.type === "sqlite" ? "SQLite (file, WAL)" : `MariaDB/MySQL (${db.database})`}: seed fixture + ${opts.labs} labs at SP01 with one key each; ` +
      `labs are graphql-ws clients in a child process on this machine`,
  );
  out.push("");
  out.push(
    table([
      ["center memory", "subscriptions", "failed", "RSS MiB", "KiB/subscription", "KiB/subscription from none"],
      ["none", "0", "-", fmt(rss0, 1), "-", "-"],
      ["warm-up", String(warm.open), String(warm.failed), fmt(rssWarm, 1), "-", "-"],
      ...memory.map((m) => [`${m.target} asked`, String(m.open), String(m.failed), fmt(m.rss, 1), fmt(m.kib, 1), fmt(m.kibCold, 1)]),
    ]),
  );
  const spread = memory.filter((m) => m.open > keys.length);
  if (spread.length > 0) {
    out.push(
      `  (${spread.map((m) => m.open).join(", ")} subscriptions over ${keys.length} keys: connection i uses key i % ${keys.length}, so a lab has several subscriptions; ` +
        "the memory of an idle subscription does not depend on which key it holds)",
    );
  }
  out.push(
    `  KiB/subscription = (RSS once idle - RSS with the ${warm.open} warm-up subscriptions) / subscriptions opened since; "from none" counts from the RSS`,
  );
  out.push("  with no subscription, one-time costs included; RSS read from /proc, the center not forced to collect garbage");
  out.push("");
  out.push(
    table([
      ["with " + String(after.open) + " subscriptions", "orders", "events", "p50 ms", "p99 ms", "max ms", "confirm p50 ms"],
      [
        "confirm -> event",
        String(placed.length),
        String(lat.length),
        fmt(percentile(lat, 0.5), 2),
        fmt(percentile(lat, 0.99), 2),
        fmt(lat[lat.length - 1] ?? NaN, 2),
        fmt(percentile(confirmMs, 0.5), 2),
      ],
    ]),
  );
  out.push(
    `  ${opts.rate} orders/s, each naming a lab (labId), 1 sub-order; latency from sending confirmOrder to the lab's process receiving the event (one clock); ${latencyDone}/${placed.length} then claimed and completed`,
  );
  out.push("");
  const label = (what: string, r: number): string => (opts.rounds > 1 ? `${r}: ${what}` : what);
  out.push(
    table([
      ["claim + complete", "jobs", "failed", "seconds", "jobs/s", "CPU ms/job: center or SQL loop", "labs", "mariadbd", "ratio"],
      ...rounds.flatMap((r, i) => [
        [
          label(`center (GraphQL over ${opts.labTransport === "ws" ? "each lab's socket" : "HTTP"}, ${opts.concurrency} in flight)`, i + 1),
          String(r.drained.completed),
          String(r.drained.failed),
          fmt(r.drained.ms / 1000, 2),
          fmt(r.perSec, 1),
          fmt(r.cpu.center, 2),
          fmt(r.cpu.labs, 2),
          fmt(r.cpu.mariadb, 2),
          fmt(r.ratio, 3),
        ],
        [
          label(`ceiling (raw ${db.type === "sqlite" ? "better-sqlite3, 1 connection" : "mysql2"})`, i + 1),
          String(r.ceiling.completed),
          "0",
          fmt(r.ceiling.completed / r.ceiling.jobsPerSec, 2),
          fmt(r.ceiling.jobsPerSec, 1),
          fmt(r.ceilingCpu.center, 2),
          "-",
          fmt(r.ceilingCpu.mariadb, 2),
          "",
        ],
      ]),
    ]),
  );
  const idleMax = (k: "center" | "labs"): string => fmt(Math.max(...rounds.map((r) => r.idleCpu[k])) / 10, 1);
  out.push(`  while the ceiling ran, the idle center used at most ${idleMax("center")}% of a core, the labs' process ${idleMax("labs")}%`);
  if (opts.rounds > 1)
    out.push(
      `  ${opts.rounds} rounds, each: ${opts.jobs} orders placed, their jobs claimed and completed through the center, then the same jobs by the ceiling (the center idle); ratio = center / ceiling jobs/s of the round`,
    );
  out.push(
    "  CPU ms/job: the center's process (the ceiling: this process, running the SQL loop), the labs' process, and mariadbd when it runs on this machine",
  );
  const statements = rounds.flatMap((r) => (r.statementsPerJob === null ? [] : [fmt(r.statementsPerJob, 2)]));
  if (statements.length > 0)
    out.push(`  the center sent MariaDB ${statements.join(", ")} statements per job (its global Questions count over each round's drain; the ceiling sends 2)`);
  out.push("  both: conditional UPDATE ... WHERE status='QUEUED' (claim) then ... 'LEASED' AND lease_token (complete), each with the order's status move,");
  out.push(
    db.type === "sqlite"
      ? "  one transaction each"
      : "  each one multi-table UPDATE of the job and its order (as the center makes them on MySQL/MariaDB; it reads a job back only when it did not announce it);\n" +
          "  the ceiling sends each statement alone (autocommit); the center sends those of the same moment together, in one transaction per round trip",
  );
  out.push(`  center peak RSS ${fmt(peak, 0)} MiB`);
  if (orderFailures.length > 0) out.push(`  ${orderFailures.length} orders FAILED; first: ${orderFailures[0]}`);
  if (labs.errors.length > 0) out.push(`  lab errors: ${labs.errors.join("; ")}`);
  out.push("");
  out.push("Targets");
  const ratios = Float64Array.from(rounds.map((r) => r.ratio)).sort();
  const ratio = ratios.length % 2 === 1 ? ratios[(ratios.length - 1) / 2] : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
  const p99 = percentile(lat, 0.99);
  const line = (name: string, value: string, target: string, ok: boolean): string =>
    `  ${name.padEnd(44)} ${value.padStart(9)}   ${target.padEnd(10)} ${ok ? "ok" : "MISSED"}`;
  out.push(line(`confirm -> event p99 (${after.open} subscriptions)`, `${fmt(p99, 1)} ms`, "< 50 ms", p99 < TARGET_P99_MS));
  out.push(
    line(opts.rounds > 1 ? `center/ceiling jobs/s, median of ${opts.rounds} rounds` : "center/ceiling jobs/s", fmt(ratio, 3), ">= 0.5", ratio >= TARGET_RATIO),
  );
  if (opts.rounds > 1)
    out.push(
      `  (rounds: ${rounds.map((r) => fmt(r.ratio, 3)).join(", ")}; ${rounds.filter((r) => r.ratio >= TARGET_RATIO).length} of ${opts.rounds} at ${TARGET_RATIO} or more)`,
    );
  for (const m of memory) out.push(line(`KiB per idle subscription at ${m.open}`, fmt(m.kib, 1), "<= 64", m.kib <= TARGET_KIB));
  const short = memory.filter((m) => m.open < m.target);
  if (short.length > 0) out.push(`  NOTE: fewer subscriptions opened than asked: ${short.map((m) => `${m.open} of ${m.target}`).join(", ")}`);
  out.push(`(total ${fmt((Date.now() - started) / 1000, 0)} s)`);
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    progress(`${signal}: stopping`);
    void cleanUp().finally(() => process.exit(130));
  });
}

main().then(
  async (code) => {
    await cleanUp();
    process.exit(code);
  },
  async (e: unknown) => {
    process.stderr.write(`bench: ${redact(e instanceof Error ? e.message : String(e))}\n`);
    await cleanUp();
    process.exit(1);
  },
);
