/**
 * The load reports' retention (LAB_LOAD_RETENTION_DAYS), asked of the lab reports service against a
 * real center and database: reports older than the retention are pruned in batches, the latest
 * load on the lab stays, several processes pruning at once delete each report once, and the timer
 * stops cleanly. Pruning has no public operation (the center runs it on a timer), so these tests
 * call the service; what labs report is seeded through the API as a lab would.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { In, LessThan } from "typeorm";
import { startCenter, type TestCenter } from "../support/center";
import { until } from "../support/until";
import { LabEntity } from "../../src/labs/lab.entity";
import { LabLoadReportEntity } from "../../src/labs/lab-report.entity";

const KEY = {
  LAB01: "lab01-key-0123456789abcdef",
  LAB02: "lab02-key-0123456789abcdef",
  LAB03: "lab03-key-0123456789abcdef",
  LAB04: "lab04-key-0123456789abcdef",
};
const LOAD = `mutation($input: LabLoadInput!) { reportLabLoad(input: $input) { accepted errors { code message field } } }`;
const LOAD_HISTORY = `query($lab: ID!, $first: Int) { labLoadHistory(labId: $lab, first: $first) { reportedAt queuedJobs queuedSheets utilisation } }`;
const LABS = `{ labs { id online lastSeenAt latestLoad { reportedAt queuedJobs queuedSheets utilisation } } }`;

let c: TestCenter;
const t: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter({ env: { BUSINESS_TIMEZONE: "Asia/Tokyo" } });
  t.center = await c.login("center", "center-pass-1");
  // Recent reports, as labs send them: three of LAB01, one of LAB03, none of LAB02 and LAB04.
  for (const lab of ["LAB01", "LAB01", "LAB01", "LAB03"] as const) {
    expect((await c.gql(LOAD, { input: { queuedJobs: 1, queuedSheets: 10, utilisation: 0.5 } }, KEY[lab])).data!.reportLabLoad).toEqual({
      accepted: true,
      errors: [],
    });
  }
});
afterAll(async () => {
  await c?.stop();
});

/**
 * Another center process pruning: a child (the compiled dist/) that opens this test's database,
 * says "ready", and runs pruneLoadReports when told to `go()`, so that runs in several processes
 * really overlap.
 */
async function pruner(now: number, batchSize: number): Promise<{ go(): Promise<{ deleted: number; complete: boolean }> }> {
  const script = `
    require("reflect-metadata");
    const pino = require("pino");
    const { loadConfig } = require("./dist/src/config");
    const { openDatabase } = require("./dist/src/entities");
    const { LabReportsService } = require("./dist/src/labs/lab-reports.service");
    const { LabPresence } = require("./dist/src/labs/lab-presence.service");
    const { PrintJobRecordsService } = require("./dist/src/dispatch/print-job-records.service");
    (async () => {
      const config = loadConfig({ NODE_ENV: "test", DATABASE_URL: process.env.DATABASE_URL, JWT_SECRET: "x".repeat(32), DATA_DIR: process.env.DATA_DIR });
      const ds = await openDatabase(config.database, { migrate: false, poolSize: 2 });
      try {
        await ds.query("SELECT 1");
        process.stdout.write("ready\\n");
        await new Promise((resolve) => process.stdin.once("data", resolve));
        const r = await new LabReportsService(new LabPresence(), new PrintJobRecordsService()).pruneLoadReports({ ds, config, logger: pino({ level: "silent" }) }, { now: new Date(${now}), batchSize: ${batchSize} });
        process.stdout.write(JSON.stringify(r) + "\\n");
      } finally {
        await ds.destroy();
        process.stdin.destroy();
      }
    })().catch((e) => { process.stderr.write(String((e && e.stack) || e)); process.exit(1); });`;
  const child = spawn(process.execPath, ["-e", script], {
    cwd: path.resolve(__dirname, "../.."),
    env: { PATH: process.env.PATH ?? "", DATABASE_URL: c.config.database.url, DATA_DIR: c.config.dataDir },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const lines = new Promise<string[]>((resolve) => child.stdout!.on("data", (d) => ((out += String(d)), out.includes("ready\n") && resolve(out.split("\n")))));
  const ready = await Promise.race([lines, exited.then((code) => Promise.reject(new Error(`pruner exited with ${code}: ${err}`)))]);
  expect(ready[0]).toBe("ready");
  return {
    async go() {
      child.stdin!.write("go\n");
      const code = await exited;
      if (code !== 0) throw new Error(`pruner exited with ${code}: ${err}`);
      return JSON.parse(out.split("\n")[1]);
    },
  };
}

describe("retention of load reports", () => {
  const DAY = 24 * 3600 * 1000;
  const reports = () => c.ds.getRepository(LabLoadReportEntity);
  const service = () => c.server.services.labReports;
  /** Reports written straight into the table, at the given instants (ms). */
  async function insertReports(labId: string, instants: number[], queuedJobs = 7): Promise<void> {
    await reports().insert(instants.map((at) => ({ id: randomUUID(), labId, reportedAt: new Date(at), queuedJobs, queuedSheets: 70, utilisation: 0.5 })));
  }
  /** A lab's report instants, oldest first. */
  const instantsOf = async (labId: string) => (await reports().find({ where: { labId }, order: { reportedAt: "ASC" } })).map((r) => r.reportedAt.getTime());
  const countsByLab = async () =>
    Object.fromEntries(await Promise.all(["LAB01", "LAB02", "LAB03", "LAB04"].map(async (id) => [id, await reports().count({ where: { labId: id } })])));

  it("uses LAB_LOAD_RETENTION_DAYS (30 by default)", () => {
    expect(c.config.labLoadRetentionDays).toBe(30);
  });

  it("deletes the reports older than the retention, keeps the rest and the latest load on the lab, and logs what it pruned", async () => {
    expect((await c.gql(LOAD, { input: { queuedJobs: 4, queuedSheets: 44, utilisation: 0.75 } }, KEY.LAB04)).data!.reportLabLoad).toEqual({
      accepted: true,
      errors: [],
    });
    const latest = await instantsOf("LAB04");
    expect(latest).toHaveLength(1);
    const now = Date.now();
    const cutoff = now - 30 * DAY;
    await insertReports("LAB04", [now - 400 * DAY, now - 45 * DAY, cutoff - 1, cutoff, now - 29 * DAY, now - 3600_000]);
    await insertReports("LAB02", [now - 31 * DAY, now - DAY]);
    const others = await countsByLab();
    expect(others).toEqual({ LAB01: 3, LAB02: 2, LAB03: 1, LAB04: 7 });
    const labBefore = await c.ds.getRepository(LabEntity).findOneByOrFail({ id: "LAB04" });

    const lines: string[] = [];
    const logger = pino({ level: "info" }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const r = await service().pruneLoadReports({ ...c.server.app, logger }, { now: new Date(now) });
    // One DELETE per lab, none of them full.
    expect(r).toEqual({ deleted: 4, batches: 4, cutoff: new Date(cutoff), complete: true });

    expect(await instantsOf("LAB04")).toEqual([cutoff, now - 29 * DAY, now - 3600_000, latest[0]]);
    expect(await instantsOf("LAB02")).toEqual([now - DAY]);
    expect(await countsByLab()).toEqual({ LAB01: 3, LAB02: 1, LAB03: 1, LAB04: 4 });
    expect(await c.ds.getRepository(LabEntity).findOneByOrFail({ id: "LAB04" })).toEqual(labBefore);

    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.map((l) => [l.level, l.msg, l.event, l.deleted, l.before, l.retentionDays, l.complete])).toEqual([
      [30, "old lab load reports pruned", "lab_load_reports_pruned", 4, new Date(cutoff).toISOString(), 30, true],
    ]);

    // The load history still answers with what was kept, newest first.
    const history = (await c.gql(LOAD_HISTORY, { lab: "LAB04" }, t.center)).data!.labLoadHistory;
    expect(history).toEqual([
      { reportedAt: new Date(latest[0]).toISOString(), queuedJobs: 4, queuedSheets: 44, utilisation: 0.75 },
      { reportedAt: new Date(now - 3600_000).toISOString(), queuedJobs: 7, queuedSheets: 70, utilisation: 0.5 },
      { reportedAt: new Date(now - 29 * DAY).toISOString(), queuedJobs: 7, queuedSheets: 70, utilisation: 0.5 },
      { reportedAt: new Date(cutoff).toISOString(), queuedJobs: 7, queuedSheets: 70, utilisation: 0.5 },
    ]);
    expect((await c.gql(LABS, {}, t.center)).data!.labs.find((l: { id: string }) => l.id === "LAB04").latestLoad).toEqual({
      reportedAt: new Date(latest[0]).toISOString(),
      queuedJobs: 4,
      queuedSheets: 44,
      utilisation: 0.75,
    });

    // Nothing left to prune: nothing deleted, nothing logged.
    expect(await service().pruneLoadReports({ ...c.server.app, logger }, { now: new Date(now) })).toEqual({
      deleted: 0,
      batches: 4,
      cutoff: new Date(cutoff),
      complete: true,
    });
    expect(lines).toHaveLength(1);
    // A shorter retention reaches further: 1 day leaves LAB04 the two reports of the last hour.
    expect((await service().pruneLoadReports(c.server.app, { now: new Date(now), retentionDays: 1 })).deleted).toBe(2 + 0 + 0 + 0);
    expect(await instantsOf("LAB04")).toEqual([now - 3600_000, latest[0]]);
    expect(await countsByLab()).toEqual({ LAB01: 3, LAB02: 1, LAB03: 1, LAB04: 2 });
  });

  it("deletes in batches: 5 old reports with a batch size of 2 take 3 DELETEs", async () => {
    const now = Date.now();
    await insertReports(
      "LAB03",
      [1, 2, 3, 4, 5].map((d) => now - (40 + d) * DAY),
    );
    expect(await countsByLab()).toEqual({ LAB01: 3, LAB02: 1, LAB03: 6, LAB04: 2 });
    const r = await service().pruneLoadReports(c.server.app, { now: new Date(now), batchSize: 2 });
    // LAB01, LAB02, LAB04: one DELETE each finding nothing; LAB03: 2 + 2 + 1.
    expect(r).toMatchObject({ deleted: 5, batches: 3 + 3, complete: true });
    expect(await countsByLab()).toEqual({ LAB01: 3, LAB02: 1, LAB03: 1, LAB04: 2 });
  });

  it("stops a run at its cap of batches, and the next run goes on", async () => {
    const now = Date.now();
    await insertReports(
      "LAB01",
      [1, 2, 3, 4, 5].map((d) => now - (40 + d) * DAY),
    );
    const first = await service().pruneLoadReports(c.server.app, { now: new Date(now), batchSize: 2, maxBatches: 2 });
    expect(first).toMatchObject({ deleted: 4, batches: 2, complete: false });
    expect(await instantsOf("LAB01").then((all) => all.filter((at) => at < now - 30 * DAY))).toEqual([now - 41 * DAY]);
    const second = await service().pruneLoadReports(c.server.app, { now: new Date(now), batchSize: 2, maxBatches: 2 });
    expect(second).toMatchObject({ deleted: 1, batches: 2, complete: false }); // the cap again: LAB02 was next
    expect(await service().pruneLoadReports(c.server.app, { now: new Date(now), batchSize: 2 })).toMatchObject({ deleted: 0, batches: 4, complete: true });
    expect(await countsByLab()).toEqual({ LAB01: 3, LAB02: 1, LAB03: 1, LAB04: 2 });
  });

  it("is harmless when several processes prune at once: each old report is deleted once, the others stay", async () => {
    const now = Date.now();
    for (const lab of ["LAB01", "LAB02", "LAB03", "LAB04"])
      await insertReports(
        lab,
        Array.from({ length: 25 }, (_, i) => now - 31 * DAY - i * 60_000),
      );
    expect(await countsByLab()).toEqual({ LAB01: 28, LAB02: 26, LAB03: 26, LAB04: 27 });
    // Two other center processes (the compiled code, as `npm start` runs it) and two runs in this one, all at once.
    const others = await Promise.all([pruner(now, 1), pruner(now, 1)]);
    const runs = await Promise.all([
      ...others.map((o) => o.go()),
      service().pruneLoadReports(c.server.app, { now: new Date(now), batchSize: 1 }),
      service().pruneLoadReports(c.server.app, { now: new Date(now), batchSize: 1 }),
    ]);
    expect(runs.reduce((n, r) => n + r.deleted, 0)).toBe(100);
    expect(runs.map((r) => r.complete)).toEqual([true, true, true, true]);
    expect(await countsByLab()).toEqual({ LAB01: 3, LAB02: 1, LAB03: 1, LAB04: 2 });
    expect(await reports().count({ where: { reportedAt: LessThan(new Date(now - 30 * DAY)) } })).toBe(0);
  });

  it("runs on a timer once started, and stop() waits for the run under way", async () => {
    const now = Date.now();
    const old = Array.from({ length: 40 }, (_, i) => now - 60 * DAY - i * 1000);
    await insertReports("LAB02", old);
    const pruner = service().startLoadPruner(c.server.app, { firstDelayMs: 0, everyMs: 3600_000, batchSize: 1 });
    try {
      await until("the timer's run down to LAB02's last report", async () => (await reports().count({ where: { labId: "LAB02" } })) <= 1, {
        timeoutMs: 10_000,
      });
      expect(await instantsOf("LAB02")).toHaveLength(1);
    } finally {
      await pruner.stop();
    }

    // Stopped in the middle of a run: the run ends after its current batch and deletes nothing more.
    await insertReports("LAB02", old);
    const busy = service().startLoadPruner(c.server.app, { firstDelayMs: 0, batchSize: 1 });
    await until("the run's first batch", async () => (await reports().count({ where: { labId: "LAB02" } })) !== 41, { timeoutMs: 10_000, intervalMs: 1 });
    await busy.stop();
    const left = await reports().count({ where: { labId: "LAB02" } });
    // Time must pass to show that nothing more is deleted: an absence cannot be awaited.
    await new Promise((r) => setTimeout(r, 200));
    expect(await reports().count({ where: { labId: "LAB02" } })).toBe(left);
    await busy.stop(); // twice is fine

    await service().pruneLoadReports(c.server.app);
    expect(await countsByLab()).toEqual({ LAB01: 3, LAB02: 1, LAB03: 1, LAB04: 2 });
    expect(await reports().count({ where: { labId: In(["LAB01", "LAB02", "LAB03", "LAB04"]) } })).toBe(7);
  });
});
