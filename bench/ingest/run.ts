/**
 * `npm run bench:ingest`: how fast the center takes a shoot's images from its capture devices,
 * against sharp decoding and thumbnailing the same images in one process as the ceiling, and
 * whether the center's memory stays flat while it does.
 *
 * 1. Camera-like JPEGs (bench/ingest/camera-images.ts), distinct bytes each: BENCH_INGEST_IMAGES of
 *    BENCH_INGEST_SIZE pixels for the throughput, BENCH_INGEST_SHOOT_IMAGES small ones for the shoot.
 * 2. The ceiling (bench/ingest/ceiling.ts): the large images decoded and thumbnailed by sharp here,
 *    IMAGE_DECODE_CONCURRENCY at once (the center's decode gate), after a warm-up.
 * 3. The real center (node dist/src/main.js, production configuration, the demo catalog) on a
 *    SQLite file, or on a scratch MariaDB database with DATABASE_URL=mysql://.../<name with
 *    "bench"> (created and dropped). A shop admin makes the shoots and BENCH_INGEST_DEVICES capture
 *    devices through GraphQL; the devices upload at once over HTTP (POST /shoots/<id>/images), each
 *    sending its next image when the last is answered. Warm-up images go into a shoot of their own,
 *    then the same images as the ceiling's into another, timed.
 * 4. The shoot of BENCH_INGEST_SHOOT_IMAGES (5,000) small images uploaded the same way: the rate of
 *    the first and of the last 1,000, then every image read back through `shootImages`, 100 a page.
 *
 * The center's resident memory (VmRSS) is sampled every 200 ms throughout: at the start, after the
 * warm-up, the peak and the end of each phase. It counts as flat when no sample after the warm-up
 * (after the first 1,000 images of the shoot) passes that point's by more than
 * BENCH_INGEST_RSS_BOUND_MIB (64).
 *
 * Figures, not tests: exit 0 even when the target is missed or uploads fail (counted, the first
 * printed); 1 only when it cannot measure (the center does not start, the shoot cannot be made).
 *
 * Environment: BENCH_INGEST_IMAGES (200)  BENCH_INGEST_SIZE (4000x3000)  BENCH_INGEST_WARMUP (24)
 *   BENCH_INGEST_DEVICES (8)  BENCH_INGEST_SHOOT_IMAGES (5000; 0 skips the shoot)
 *   BENCH_INGEST_SHOOT_SIZE (640x480)  BENCH_INGEST_RSS_BOUND_MIB (64)  BENCH_INGEST_KEEP=1 (keep
 *   the temp folder)  DATABASE_URL (MariaDB instead of SQLite)  IMAGE_DECODE_CONCURRENCY (2, for
 *   the center and the ceiling alike)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig, redact } from "../../src/config";
import {
  cpuSeconds,
  databaseConfig,
  envInt,
  envPixels,
  fmt,
  login,
  machineLine,
  percentile,
  progress,
  RssSampler,
  runBench,
  startCenter,
  table,
} from "../common";
import { createScratchDatabase, dropScratchDatabase, type MysqlConfig } from "../orders/scratch-database";
import { cameraImages, type CameraImages } from "./camera-images";
import { runCeiling, type CeilingRun } from "./ceiling";
import { newDevices, newShoot, readAllPages, uploadAll, type UploadRun } from "./shoot-client";

const TARGET_RATIO = 0.6;
const MB = 1e6;
/** The demo catalog's shop and its admin (fixtures/demo-catalog.json). */
const SHOP = { id: "SP01", login: "shop-1", password: "shop-1-pass" };

interface Options {
  images: number;
  size: { width: number; height: number };
  warmup: number;
  devices: number;
  shootImages: number;
  shootSize: { width: number; height: number };
  rssBoundMiB: number;
  keep: boolean;
  databaseUrl: string | null;
  decodeConcurrency: number;
}

function options(): Options {
  const databaseUrl = process.env.DATABASE_URL?.trim() || null;
  // The center reads IMAGE_DECODE_CONCURRENCY from the same environment (startCenter passes it on).
  const config = loadConfig({ ...process.env, DATABASE_URL: "sqlite::memory:", NODE_ENV: "test", JWT_SECRET: "x".repeat(32), DEMO_DATA: "0" });
  return {
    images: envInt("BENCH_INGEST_IMAGES", 200, 1),
    size: envPixels("BENCH_INGEST_SIZE", "4000x3000"),
    warmup: envInt("BENCH_INGEST_WARMUP", 24, 0),
    devices: envInt("BENCH_INGEST_DEVICES", 8, 1, 64),
    shootImages: envInt("BENCH_INGEST_SHOOT_IMAGES", 5000, 0),
    shootSize: envPixels("BENCH_INGEST_SHOOT_SIZE", "640x480"),
    rssBoundMiB: envInt("BENCH_INGEST_RSS_BOUND_MIB", 64, 1),
    keep: process.env.BENCH_INGEST_KEEP === "1",
    databaseUrl,
    decodeConcurrency: config.images.decodeConcurrency,
  };
}

const scratch: { dir: string | null; keep: boolean; mysql: MysqlConfig | null } = { dir: null, keep: false, mysql: null };

async function cleanUp(): Promise<void> {
  const { dir, mysql } = scratch;
  scratch.dir = null;
  scratch.mysql = null;
  if (mysql)
    await dropScratchDatabase(mysql).catch((e: unknown) => progress(`could not drop ${mysql.database}: ${e instanceof Error ? e.message : String(e)}`));
  if (dir && !scratch.keep) fs.rmSync(dir, { recursive: true, force: true });
  else if (dir) progress(`kept ${dir}`);
}

// ---------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------

interface Throughput {
  run: UploadRun;
  cpuSeconds: number | null;
  rss: { start: number | null; afterWarmup: number | null; peak: number | null; end: number | null };
}

interface ShootScale {
  run: UploadRun;
  cpuSeconds: number | null;
  firstRate: number;
  lastRate: number;
  /** Images of the first and last windows (1,000, or a fifth of a smaller shoot). */
  window: number;
  ceiling: CeilingRun;
  rss: { atWindow: number | null; peak: number | null; end: number | null };
  pages: { pageMs: number[]; images: number };
}

const perSec = (n: number, seconds: number): number => n / seconds;
const rssGrowth = (from: number | null, to: number | null): number | null => (from === null || to === null ? null : to - from);

function report(opts: Options, engine: string, ceiling: CeilingRun, t: Throughput, shoot: ShootScale | null, big: CameraImages): string[] {
  const out: string[] = [""];
  out.push(
    `Ingest: ${opts.devices} capture devices uploading at once over HTTP; ${opts.images} images of ${opts.size.width}x${opts.size.height} ` +
      `(JPEG q90, ${fmt(big.meanBytes / MB, 2)} MB each) after ${opts.warmup} warm-up images; ${engine}, production configuration; ` +
      `IMAGE_DECODE_CONCURRENCY ${opts.decodeConcurrency} (the center's decode gate and the ceiling's workers)`,
  );
  const centerRate = perSec(t.run.stored, t.run.seconds);
  const ceilingRate = perSec(ceiling.images, ceiling.seconds);
  out.push(
    table([
      ["", "images", "MB", "seconds", "images/s", "MB/s", "CPU ms/image", "failed"],
      [
        `center (HTTP, ${opts.devices} devices)`,
        fmt(t.run.stored, 0),
        fmt(t.run.bytes / MB, 1),
        fmt(t.run.seconds, 1),
        fmt(centerRate, 2),
        fmt(t.run.bytes / MB / t.run.seconds, 1),
        fmt(t.cpuSeconds === null ? null : (t.cpuSeconds * 1000) / Math.max(1, t.run.stored), 1),
        String(t.run.failed),
      ],
      [
        "ceiling (sharp, one process)",
        fmt(ceiling.images, 0),
        fmt(ceiling.bytes / MB, 1),
        fmt(ceiling.seconds, 1),
        fmt(ceilingRate, 2),
        fmt(ceiling.bytes / MB / ceiling.seconds, 1),
        fmt((ceiling.cpuSeconds * 1000) / ceiling.images, 1),
        "0",
      ],
    ]),
  );
  out.push("  center: the upload spooled and hashed, decoded into its thumbnail, original and thumbnail stored, rows written; CPU of the center process");
  out.push("  ceiling: the header read and the image decoded into the same thumbnail, from memory, nothing stored; CPU of this process");
  for (const f of t.run.firstFailures) out.push(`  FAILED: ${f}`);
  const { start, afterWarmup, peak, end } = t.rss;
  const growth = rssGrowth(afterWarmup, peak);
  out.push(
    `  center RSS: ${fmt(start, 0)} MiB at the start, ${fmt(afterWarmup, 0)} after the warm-up, peak ${fmt(peak, 0)}, ${fmt(end, 0)} at the end ` +
      `(peak - after warm-up ${fmt(growth, 0)} MiB: ${growth !== null && growth <= opts.rssBoundMiB ? "flat" : "NOT flat"}, bound ${opts.rssBoundMiB} MiB)`,
  );

  if (shoot) {
    const s = shoot;
    out.push("");
    out.push(
      `Shoot of ${fmt(s.run.stored, 0)} images of ${opts.shootSize.width}x${opts.shootSize.height} (${fmt(s.run.bytes / Math.max(1, s.run.stored) / 1000, 0)} kB each), ` +
        `${opts.devices} devices: ${fmt(perSec(s.run.stored, s.run.seconds), 1)} images/s over ${fmt(s.run.seconds, 1)} s, ${s.run.failed} failed; ` +
        `ceiling on the same images ${fmt(perSec(s.ceiling.images, s.ceiling.seconds), 1)} images/s (ratio ${fmt(perSec(s.run.stored, s.run.seconds) / perSec(s.ceiling.images, s.ceiling.seconds), 3)})`,
    );
    out.push(
      `  CPU ms/image: center ${fmt(s.cpuSeconds === null ? null : (s.cpuSeconds * 1000) / Math.max(1, s.run.stored), 1)}, ` +
        `ceiling ${fmt((s.ceiling.cpuSeconds * 1000) / s.ceiling.images, 1)}`,
    );
    out.push(
      `  first ${fmt(s.window, 0)} images ${fmt(s.firstRate, 1)} images/s, last ${fmt(s.window, 0)} ${fmt(s.lastRate, 1)} images/s ` +
        `(last/first ${fmt(s.lastRate / s.firstRate, 2)})`,
    );
    for (const f of s.run.firstFailures) out.push(`  FAILED: ${f}`);
    const g = rssGrowth(s.rss.atWindow, s.rss.peak);
    out.push(
      `  center RSS: ${fmt(s.rss.atWindow, 0)} MiB after the first ${fmt(s.window, 0)} images, peak ${fmt(s.rss.peak, 0)} after that, ${fmt(s.rss.end, 0)} at the end ` +
        `(${g !== null && g <= opts.rssBoundMiB ? "flat" : "NOT flat"}, bound ${opts.rssBoundMiB} MiB)`,
    );
    const ms = Float64Array.from(s.pages.pageMs).sort();
    const pages = s.pages.pageMs;
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    out.push(
      `  shootImages, 100 a page: ${pages.length} pages, ${fmt(s.pages.images, 0)} images read; ms per page p50 ${fmt(percentile(ms, 0.5), 1)}, ` +
        `max ${fmt(ms[ms.length - 1], 1)}; first 5 pages ${fmt(mean(pages.slice(0, 5)), 1)} ms, last 5 ${fmt(mean(pages.slice(-5)), 1)} ms`,
    );
  }

  out.push("");
  out.push("Target");
  const ratio = centerRate / ceilingRate;
  out.push(`  ${"center/ceiling images/s".padEnd(26)} ${fmt(ratio, 3).padStart(7)}   target >= ${TARGET_RATIO}   ${ratio >= TARGET_RATIO ? "ok" : "MISSED"}`);
  out.push(
    `  ${"center memory flat".padEnd(26)} ${(growth !== null && growth <= opts.rssBoundMiB ? "yes" : "no").padStart(7)}   bound ${opts.rssBoundMiB} MiB   ${growth !== null && growth <= opts.rssBoundMiB ? "ok" : "MISSED"}`,
  );
  if (os.loadavg()[0] > os.cpus().length + 0.5) {
    out.push("");
    out.push(
      `NOTE: load average ${fmt(os.loadavg()[0], 2)} on ${os.cpus().length} cores: other work shared the machine; ` +
        "the ceiling and the center ran at different moments, so their ratio moves with that work; run again on a quiet machine.",
    );
  }
  return out;
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main(): Promise<number> {
  const opts = options();
  const started = Date.now();
  scratch.keep = opts.keep;
  process.stdout.write(`${machineLine("this process: the devices' HTTP uploads, then the ceiling's decodes")}\n`);
  scratch.dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-bench-ingest-"));
  const runTag = Date.now().toString(36);

  const databaseUrl = opts.databaseUrl ?? `sqlite:${path.join(scratch.dir, "ingest.sqlite")}`;
  const db = databaseConfig(databaseUrl);
  if (db.type === "mysql") {
    if (!/bench/i.test(db.database))
      throw new Error(`DATABASE_URL must name a scratch database with "bench" in its name (it is created and dropped), got ${db.database}`);
    await createScratchDatabase(db, progress);
    scratch.mysql = db;
  }
  const engine = db.type === "mysql" ? `MariaDB (${db.database})` : "SQLite";

  progress(
    `making ${opts.images + opts.warmup} images of ${opts.size.width}x${opts.size.height} and ${opts.shootImages} of ${opts.shootSize.width}x${opts.shootSize.height}`,
  );
  const big = await cameraImages(opts.size.width, opts.size.height, opts.images + opts.warmup, runTag);
  const small = await cameraImages(opts.shootSize.width, opts.shootSize.height, opts.shootImages, runTag);

  // --- the ceiling --------------------------------------------------------------
  progress(`ceiling: ${opts.warmup} warm-up images, then ${opts.images}, ${opts.decodeConcurrency} at a time`);
  await runCeiling(big, opts.images, opts.images + opts.warmup, opts.decodeConcurrency);
  const ceiling = await runCeiling(big, 0, opts.images, opts.decodeConcurrency);
  progress(`ceiling: ${fmt(ceiling.images / ceiling.seconds, 2)} images/s, ${fmt(ceiling.bytes / MB / ceiling.seconds, 1)} MB/s`);

  // --- the center -----------------------------------------------------------------
  progress(`starting the center (${redact(databaseUrl)}, demo catalog)`);
  const center = await startCenter({ databaseUrl, dataDir: path.join(scratch.dir, "data"), label: "ingest", env: { DEMO_DATA: "1" } });
  const pid = center.child.proc.pid!;
  const rss = new RssSampler(pid);
  try {
    const token = await login(center.url, SHOP.login, SHOP.password);
    const keys = await newDevices(center.url, token, SHOP.id, opts.devices);
    const rssStart = rss.sample();
    if (opts.warmup > 0) {
      const warm = await uploadAll(center.url, await newShoot(center.url, token, SHOP.id, "Warm-up"), keys, big, opts.images, opts.images + opts.warmup);
      if (warm.stored === 0) throw new Error(`no warm-up image was stored: ${warm.firstFailures.join("; ")}`);
    }
    const rssAfterWarmup = rss.sample();
    progress(`center: ${opts.images} images from ${opts.devices} devices`);
    const shootId = await newShoot(center.url, token, SHOP.id, "Throughput");
    const cpu0 = cpuSeconds(pid);
    const t0 = Date.now();
    const run = await uploadAll(center.url, shootId, keys, big, 0, opts.images);
    const cpu1 = cpuSeconds(pid);
    if (run.stored === 0) throw new Error(`no image was stored: ${run.firstFailures.join("; ")}`);
    const throughput: Throughput = {
      run,
      cpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
      rss: { start: rssStart, afterWarmup: rssAfterWarmup, peak: rss.peakSince(t0), end: rss.sample() },
    };
    progress(`center: ${fmt(run.stored / run.seconds, 2)} images/s, ${run.failed} failed`);

    // --- the shoot of many small images -------------------------------------------
    let shoot: ShootScale | null = null;
    if (opts.shootImages > 0) {
      const window = Math.min(1000, Math.max(1, Math.floor(opts.shootImages / 5)));
      const scaleShoot = await newShoot(center.url, token, SHOP.id, `Shoot of ${opts.shootImages}`);
      progress(`shoot: ${opts.shootImages} images of ${opts.shootSize.width}x${opts.shootSize.height} from ${opts.devices} devices`);
      let atWindow: { at: number; rss: number | null } | null = null;
      const scpu0 = cpuSeconds(pid);
      const s = await uploadAll(center.url, scaleShoot, keys, small, 0, opts.shootImages, (stored) => {
        if (stored === window) atWindow = { at: Date.now(), rss: rss.sample() };
        if (stored % 1000 === 0) progress(`shoot: ${stored} stored`);
      });
      const scpu1 = cpuSeconds(pid);
      const end = rss.sample();
      const d = s.doneAt;
      const n = d.length;
      const firstRate = n >= window ? window / (d[window - 1] / 1000) : NaN;
      const lastRate = n > window ? window / ((d[n - 1] - d[n - 1 - window]) / 1000) : NaN;
      const mark = atWindow as { at: number; rss: number | null } | null;
      progress("shoot: reading it back through shootImages");
      const pages = await readAllPages(center.url, token, scaleShoot, 100);
      const ceilingCount = Math.min(opts.shootImages, 1000);
      progress(`shoot: the ceiling on ${ceilingCount} of its images`);
      const smallCeiling = await runCeiling(small, 0, ceilingCount, opts.decodeConcurrency);
      shoot = {
        run: s,
        cpuSeconds: scpu0 === null || scpu1 === null ? null : scpu1 - scpu0,
        firstRate,
        lastRate,
        window,
        ceiling: smallCeiling,
        rss: { atWindow: mark?.rss ?? null, peak: mark ? rss.peakSince(mark.at) : null, end },
        pages,
      };
    }
    rss.stop();
    process.stdout.write(report(opts, engine, ceiling, throughput, shoot, big).join("\n") + "\n");
  } finally {
    rss.stop();
  }
  process.stdout.write(`(total ${fmt((Date.now() - started) / 1000, 0)} s)\n`);
  return 0;
}

runBench(main, cleanUp);
