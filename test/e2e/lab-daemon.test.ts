/**
 * The lab daemon against the real center, both as real processes (`node dist/src/main.js` and
 * `node dist/src/lab-daemon/main.js`), over a fresh database per scenario (SQLite by default,
 * MariaDB when DATABASE_URL says so). What is checked each time: the hot folder holds exactly one
 * folder per job, whole (print files and a ticket whose checksums match), and the center's tables
 * say DONE/PRINTED (or FAILED) as they should, whatever was killed on the way.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createClient } from "graphql-ws";
import sharp from "sharp";
import WebSocket from "ws";
import { In, type DataSource } from "typeorm";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { loadConfig } from "../../src/config";
import { openDatabase } from "../../src/entities";
import { withTransaction } from "../../src/db/transaction";
import { ImageEntity } from "../../src/images/image.entity";
import { PrintHistoryEntity } from "../../src/labs/lab-report.entity";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { Journal } from "../../src/lab-daemon/journal";
import { LabEntity } from "../../src/labs/lab.entity";
import { OrderEntity } from "../../src/orders/order.entity";
import { createServer } from "../../src/server";
import { PATENT_FIXTURE } from "../support/center";
import { createTestDatabase, usingMysql, type TestDatabase } from "../support/database";
import { makePng } from "../support/images";
import { pdfLines } from "../support/pdf-text";
import { CENTER_NODE_ENV } from "../support/env";
import { freePort, killLeftovers, run as runProcess, type Proc } from "../support/processes";
import { until } from "../support/until";

const ROOT = path.resolve(__dirname, "../..");
const CENTER_MAIN = path.join(ROOT, "dist/src/main.js");
const DAEMON_MAIN = path.join(ROOT, "dist/src/lab-daemon/main.js");
const LAB01_KEY = "lab01-key-0123456789abcdef";
const JWT_SECRET = "lab-daemon-e2e-secret-".padEnd(48, "x");
const LEASE_SECONDS = 3;
/** The default lease (10 minutes): a daemon that resumes its own lease must not wait for this one. */
const LONG_LEASE_SECONDS = 600;
const MAX_ATTEMPTS = 2;
/** A small sheet at a low resolution keeps a thousand jobs quick; the layout is the same. */
const TEST_SHEET = ["--sheet", "40x60", "--dpi", "50"];

// --- processes -------------------------------------------------------------------------------------

/** A node process of ours (the center or the daemon), with only PATH of this one's environment. */
function run(args: string[], env: Record<string, string>): Proc {
  return runProcess(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } });
}

// --- a world: a database, a center process, a customer, an image --------------------------------------

interface World {
  test: TestDatabase;
  ds: DataSource;
  dir: string;
  dataDir: string;
  port: number;
  leaseSeconds?: number;
  url: string;
  center: Proc | null;
  token: string;
  imageId: string;
  imageSha256: string;
  startCenter(): Promise<void>;
  stopCenter(signal?: NodeJS.Signals): Promise<void>;
  daemon(name: string, args?: string[], env?: Record<string, string>): Proc;
  out(name: string): string;
  gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    bearer?: string | null,
  ): Promise<{ data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> }>;
  placeOrders(n: number, input?: (i: number) => object, parallel?: number): Promise<string[]>;
  jobs(orderIds?: string[]): Promise<PrintJobEntity[]>;
  close(): Promise<void>;
}

const centerEnv = (w: { test: TestDatabase; port: number; dataDir: string; leaseSeconds?: number }): Record<string, string> => ({
  DATABASE_URL: w.test.url,
  PORT: String(w.port),
  HOST: "127.0.0.1",
  DEMO_DATA: "0",
  JWT_SECRET,
  DATA_DIR: w.dataDir,
  PRINT_JOB_LEASE_SECONDS: String(w.leaseSeconds ?? LEASE_SECONDS),
  PRINT_JOB_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  LOG_LEVEL: "warn",
  NODE_ENV: CENTER_NODE_ENV,
});

/** One item laid out at 2,2 mm and one loose item on an A4-printing sub-order of `sheets` sheets. */
const order = (imageId: string, sheets = 1, extra: object = {}) => ({
  labId: "LAB01",
  fulfilment: { method: "PICKUP" },
  subOrders: [{ serviceId: "SV01", sheets, items: [{ imageId, layout: { x: 2, y: 2, width: 20, height: 15 }, ...extra }] }],
});

async function world(opts: { leaseSeconds?: number } = {}): Promise<World> {
  const test = await createTestDatabase();
  const seedDs = await openDatabase(test.db, { poolSize: 2 });
  const report = await importBundle(seedDs, JSON.parse(fs.readFileSync(PATENT_FIXTURE, "utf8")), {});
  if (!report.ok) throw new Error("fixture does not import: " + JSON.stringify(report.faults));
  await seedDs.destroy();
  // The test's own connection, to read (and once in a while nudge) what the center stored.
  const ds = await openDatabase(test.db, { poolSize: 2, migrate: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-lab-e2e-"));
  const dataDir = path.join(dir, "data");
  const port = await freePort();
  const w: World = {
    test,
    ds,
    dir,
    dataDir,
    port,
    leaseSeconds: opts.leaseSeconds,
    url: `http://127.0.0.1:${port}`,
    center: null,
    token: "",
    imageId: "",
    imageSha256: "",
    async startCenter() {
      const p = run([CENTER_MAIN], centerEnv(w));
      await p.waitFor(/ready at http:\/\/\S+\/graphql/, 60000);
      w.center = p;
    },
    async stopCenter(signal = "SIGTERM") {
      const p = w.center;
      if (!p) return;
      w.center = null;
      p.child.kill(signal);
      await p.exited;
    },
    daemon(name, args = [], env = {}) {
      return run(
        [
          DAEMON_MAIN,
          "--url",
          w.url,
          "--key",
          LAB01_KEY,
          "--out",
          w.out(name),
          ...TEST_SHEET,
          "--load-every",
          "1",
          "--history-every",
          "1",
          "--resync-every",
          "2",
          ...args,
        ],
        env,
      );
    },
    out: (name) => path.join(dir, name),
    async gql(query, variables = {}, bearer = w.token) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      const res = await fetch(`${w.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as never;
    },
    async placeOrders(n, input = () => order(w.imageId), parallel = 4) {
      const ids: string[] = new Array(n);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < n; i = next++) {
          const placed = await w.gql(`mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`, {
            input: input(i),
          });
          const o = placed.data?.placeOrder?.order;
          if (!o) throw new Error(`placeOrder failed: ${JSON.stringify(placed)}`);
          const confirmed = await w.gql(
            `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id labId } errors { code message } } }`,
            {
              id: o.id,
              total: o.total,
            },
          );
          if (confirmed.data?.confirmOrder?.order?.labId !== "LAB01") throw new Error(`confirmOrder failed: ${JSON.stringify(confirmed)}`);
          ids[i] = o.id;
        }
      };
      await Promise.all(Array.from({ length: parallel }, worker));
      return ids;
    },
    async jobs(orderIds) {
      const repo = ds.getRepository(PrintJobEntity);
      if (!orderIds) return repo.find({ order: { createdAt: "ASC" } });
      const out: PrintJobEntity[] = [];
      for (let i = 0; i < orderIds.length; i += 500) out.push(...(await repo.find({ where: { orderId: In(orderIds.slice(i, i + 500)) } })));
      return out;
    },
    async close() {
      await w.stopCenter("SIGKILL");
      await ds.destroy();
      await test.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await w.startCenter();
  const login = await w.gql(`mutation { login(login: "customer", password: "customer-pass") { token } }`, {}, null);
  w.token = login.data.login.token;
  const png = makePng(40, 30, 7);
  const up = await fetch(`${w.url}/images`, {
    method: "POST",
    headers: { authorization: `Bearer ${w.token}`, "content-type": "image/png" },
    body: new Uint8Array(png),
  });
  const image = (await up.json()) as { id: string; sha256: string };
  w.imageId = image.id;
  w.imageSha256 = image.sha256;
  expect(image.sha256).toBe(createHash("sha256").update(png).digest("hex"));
  return w;
}

/** The job folders in a hot folder (hidden folders are the daemon's own). */
function jobFolders(out: string): string[] {
  if (!fs.existsSync(out)) return [];
  return fs
    .readdirSync(out)
    .filter((n) => !n.startsWith("."))
    .sort();
}

/** Every job folder of these hot folders, checked whole; answers the job ids, one per folder. */
function printedJobs(...outs: string[]): string[] {
  const ids: string[] = [];
  for (const out of outs) {
    for (const name of jobFolders(out)) {
      const dir = path.join(out, name);
      const ticket = JSON.parse(fs.readFileSync(path.join(dir, "ticket.json"), "utf8"));
      expect(name).toBe(`job-${ticket.jobId}`);
      for (const f of ticket.files) {
        const bytes = fs.readFileSync(path.join(dir, f.name));
        expect({ name: f.name, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") }).toEqual({
          name: f.name,
          bytes: f.bytes,
          sha256: f.sha256,
        });
      }
      expect(fs.readdirSync(dir).sort()).toEqual([...ticket.files.map((f: { name: string }) => f.name), "ticket.json"].sort());
      ids.push(ticket.jobId);
    }
  }
  return ids.sort();
}

const statuses = (jobs: PrintJobEntity[]) => jobs.reduce<Record<string, number>>((n, j) => ({ ...n, [j.status]: (n[j.status] ?? 0) + 1 }), {});

async function allDone(w: World, orderIds: string[]): Promise<boolean> {
  const jobs = await w.jobs(orderIds);
  return jobs.length === orderIds.length && jobs.every((j) => j.status === "DONE");
}

/** Lines that would mean the daemon met something it did not expect, or the center refused a report. */
function expectNothingOdd(...procs: Proc[]): void {
  for (const p of procs)
    expect(p.output()).not.toMatch(/unexpected error|not taken|scheduled task failed|not reported|refused:|UnhandledPromiseRejection|Error:/);
}

/**
 * Each job was written into a hot folder exactly once over all these daemon runs (a second write
 * would be refused by the folder's name, but a printer that had already taken the first away would
 * print it twice). The jobs are settled (DONE): first waits until this process has read, for each,
 * the line its daemon says after completing it. The database can be ahead of the daemon's output
 * as read here (the daemon says "written to" before it completes a job, but this process reads its
 * stdout only when its event loop turns, and on SQLite the query that saw the job DONE did not
 * turn it); each daemon's stdout is one ordered stream, so with "completed" read, every earlier
 * line about the job is too.
 */
async function expectWrittenOnce(jobIds: string[], ...procs: Proc[]): Promise<void> {
  const settled = () =>
    new Set(
      [
        ...procs
          .map((p) => p.output())
          .join("\n")
          .matchAll(/job (\S+) completed/g),
      ].map((m) => m[1]),
    );
  await until(
    "the daemons' output to catch up with the jobs they completed",
    () => {
      const done = settled();
      return jobIds.every((id) => done.has(id));
    },
    { timeoutMs: 15000, intervalMs: 100, detail: () => `no "completed" line read for: ${jobIds.filter((id) => !settled().has(id)).join(", ")}` },
  );
  const all = procs.map((p) => p.output()).join("\n");
  const counts = new Map<string, number>();
  for (const m of all.matchAll(/job (\S+) written to /g)) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  expect([...counts.keys()].sort()).toEqual([...jobIds].sort());
  expect(all).not.toMatch(/not written again/);
}

async function stopDaemon(p: Proc, signal: NodeJS.Signals = "SIGTERM"): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  p.child.kill(signal);
  return p.exited;
}

const engine = usingMysql() ? "MariaDB" : "SQLite";

describe(`lab daemon end to end (${engine})`, () => {
  let w: World;
  afterEach(async () => {
    killLeftovers((child) => child === w?.center?.child);
    await w?.close();
  });

  it("prints a confirmed order once: one folder with print files and a ticket, the job DONE, the order PRINTED, history and load reported", async () => {
    w = await world();
    const [orderId] = await w.placeOrders(1, () => ({
      labId: "LAB01",
      fulfilment: { method: "PICKUP" },
      subOrders: [
        {
          serviceId: "SV01",
          sheets: 3,
          items: [
            { imageId: w.imageId, layout: { x: 5, y: 10, width: 20, height: 15 } },
            { imageId: w.imageId, layout: { page: 2, x: 0, y: 0, width: 40, height: 60 } },
          ],
        },
        { serviceId: "SV02", sheets: 2, items: [{ imageId: w.imageId }] },
      ],
    }));
    const [job] = await w.jobs([orderId]);
    const d = w.daemon("lab", ["--sheet", "SV02=30x20"]);
    await until("the job DONE", () => allDone(w, [orderId]), { timeoutMs: 30000, intervalMs: 100, detail: d.output });
    await d.waitFor(new RegExp(`job ${job.id} completed`));
    // One line per state, in order.
    const lines = d.output().split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(new RegExp(`job ${job.id} claimed \\(order ${orderId}\\)`))).toBeGreaterThan(-1);
    expect(at(new RegExp(`job ${job.id} written to ${w.out("lab")}/job-${job.id} \\(3 print files, 5 sheets\\)`))).toBeGreaterThan(at(/claimed/));
    expect(at(new RegExp(`job ${job.id} completed`))).toBeGreaterThan(at(/written to/));

    expect(printedJobs(w.out("lab"))).toEqual([job.id]);
    await expectWrittenOnce([job.id], d);
    const folder = path.join(w.out("lab"), `job-${job.id}`);
    const ticket = JSON.parse(fs.readFileSync(path.join(folder, "ticket.json"), "utf8"));
    expect(ticket).toMatchObject({ jobId: job.id, orderId, labId: "LAB01", format: "jpeg", dpi: 50, totalSheets: 5 });
    expect(ticket.handover).toEqual({ method: "PICKUP", speed: "STANDARD", recipient: null, address: null });
    expect(ticket.services).toEqual([
      { subOrderId: "1", serviceId: "SV01", sheetsOrdered: 3, sheetSize: "40x60", sheetSource: "OPERATOR", printSize: null, pages: 2 },
      { subOrderId: "2", serviceId: "SV02", sheetsOrdered: 2, sheetSize: "30x20", sheetSource: "OPERATOR", printSize: null, pages: 1 },
    ]);
    expect(ticket.sheets.map((s: any) => [s.file, s.subOrderId, s.page, s.copies, s.size.widthPx, s.size.heightPx])).toEqual([
      ["sheet-001.jpg", "1", 1, 2, 79, 118],
      ["sheet-002.jpg", "1", 2, 1, 79, 118],
      ["sheet-003.jpg", "2", 1, 2, 59, 39],
    ]);
    expect(ticket.images).toEqual([
      { imageId: w.imageId, sha256: w.imageSha256, bytes: makePng(40, 30, 7).length, width: 40, height: 30, contentType: "image/png" },
    ]);
    expect(ticket.items.map((i: any) => [i.subOrderId, i.imageId, i.sha256, i.file, i.layout?.x ?? null])).toEqual([
      ["1", w.imageId, w.imageSha256, "sheet-001.jpg", 5],
      ["1", w.imageId, w.imageSha256, "sheet-002.jpg", 0],
      ["2", w.imageId, w.imageSha256, "sheet-003.jpg", null],
    ]);
    // The first sheet shows the photo at its place (5..25 x 10..25 mm) on white.
    const { data, info } = await sharp(path.join(folder, "sheet-001.jpg")).raw().toBuffer({ resolveWithObject: true });
    const px = (xMm: number, yMm: number) => {
      const i = (Math.round((yMm * 50) / 25.4) * info.width + Math.round((xMm * 50) / 25.4)) * info.channels;
      return [data[i], data[i + 1], data[i + 2]];
    };
    expect(px(2, 2).every((v) => v > 230)).toBe(true);
    expect(px(15, 17).every((v) => v > 230)).toBe(false);

    const [after] = await w.jobs([orderId]);
    expect([after.status, after.attempts]).toEqual(["DONE", 0]);
    expect((await w.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId })).status).toBe("PRINTED");
    await until("the history reported", async () => (await w.ds.getRepository(PrintHistoryEntity).count({ where: { jobId: job.id } })) === 1, {
      timeoutMs: 10000,
      intervalMs: 100,
      detail: d.output,
    });
    expect(await w.ds.getRepository(PrintHistoryEntity).findOneByOrFail({ jobId: job.id })).toMatchObject({ labId: "LAB01", orderId, sheets: 5, ok: true });
    // Load reports come every second; once idle they say so.
    const done = Date.now();
    await until(
      "an idle load report",
      async () => {
        const lab = await w.ds.getRepository(LabEntity).findOneByOrFail({ id: "LAB01" });
        return lab.loadReportedAt !== null && lab.loadReportedAt.getTime() >= done - 500 && lab.loadQueuedJobs === 0 && lab.loadQueuedSheets === 0;
      },
      { timeoutMs: 10000, intervalMs: 100, detail: d.output },
    );

    // SIGTERM with nothing in hand: a clean stop, and the journal has nothing left to do.
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    expectNothingOdd(d);
    expect(d.output()).toMatch(/stopped\n$/);
    const { journal } = Journal.open(path.join(w.out("lab"), ".printmesh-lab"));
    expect(journal.all()).toEqual([]);
    journal.close();
  }, 90000);

  it("writes a delivery's handover and packing slip; its shipment goes TO_PACK -> DELIVERED, the customer told", async () => {
    w = await world();
    const address = { country: "JP", postalCode: "100-0005", region: "Tokyo", city: "Chiyoda-ku", line1: "1-9-1 Marunouchi", line2: "3F" };
    // The customer follows their orders, with the shipment, from before the order is placed.
    const heard: Array<{ status: string; shipment: { status: string; carrier: string | null; trackingNumber: string | null } | null }> = [];
    const ws = createClient({
      url: w.url.replace(/^http/, "ws") + "/graphql",
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${w.token}` },
    });
    const dispose = ws.subscribe<{ orderUpdates: (typeof heard)[number] }>(
      { query: "subscription { orderUpdates { status shipment { status carrier trackingNumber } } }" },
      { next: (v) => heard.push(v.data!.orderUpdates), error: () => undefined, complete: () => undefined },
    );
    await new Promise<void>((resolve, reject) => ws.subscribe({ query: "{ me { id } }" }, { next: () => undefined, error: reject, complete: resolve }));
    try {
      const [orderId] = await w.placeOrders(1, () => ({
        ...order(w.imageId),
        fulfilment: { method: "DELIVERY", speed: "EXPRESS", address: { ...address, recipient: "Carol Example" } },
      }));
      const [job] = await w.jobs([orderId]);
      const d = w.daemon("lab");
      await until("the job DONE", () => allDone(w, [orderId]), { timeoutMs: 30000, intervalMs: 100, detail: d.output });
      const dir = path.join(w.out("lab"), `job-${job.id}`);
      const ticket = JSON.parse(fs.readFileSync(path.join(dir, "ticket.json"), "utf8"));
      expect(ticket).toMatchObject({ jobId: job.id, orderId });
      expect(ticket.handover).toEqual({ method: "DELIVERY", speed: "EXPRESS", recipient: "Carol Example", address });
      // The packing slip beside the prints, named in the ticket, read back by an independent parser.
      const slipName = `${job.id}.packing-slip.pdf`;
      const slip = fs.readFileSync(path.join(dir, slipName));
      expect(ticket.packingSlip).toEqual({
        name: slipName,
        bytes: slip.length,
        sha256: createHash("sha256").update(slip).digest("hex"),
        contentType: "application/pdf",
      });
      expect(fs.readdirSync(dir).sort()).toEqual([...ticket.files.map((f: { name: string }) => f.name), slipName, "ticket.json"].sort());
      const lines = await pdfLines(slip);
      for (const want of [
        "Carol Example",
        "1-9-1 Marunouchi",
        "3F",
        "100-0005 Tokyo Chiyoda-ku",
        "JP",
        `Order ${orderId}`,
        "1. SV01 (40x60): 1 sheet, 1 image",
      ]) {
        expect(lines).toContain(want);
      }
      expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });

      // The shipping terminal: the lab's key moves the shipment; the order and its customer follow.
      const read = async () =>
        (await w.gql(`query($id: ID!) { order(id: $id) { status shipment { id status carrier trackingNumber } } }`, { id: orderId })).data.order;
      const printed = await read();
      expect(printed).toMatchObject({ status: "PRINTED", shipment: { status: "TO_PACK", carrier: null, trackingNumber: null } });
      const toShip = await w.gql(`{ shipmentsToShip { id orderId } }`, {}, LAB01_KEY);
      expect(toShip.data.shipmentsToShip).toEqual([{ id: printed.shipment.id, orderId }]);
      const moves: Array<[string, Record<string, string>, string]> = [
        ["PACKED", {}, "PRINTED"],
        ["SHIPPED", { carrier: "Yamato", tracking: "4455-6677-8899" }, "SHIPPED"],
        ["DELIVERED", {}, "COMPLETED"],
      ];
      for (const [status, more, orderStatus] of moves) {
        const r = await w.gql(
          `mutation($id: ID!, $s: ShipmentStatus!, $carrier: String, $tracking: String) { updateShipment(id: $id, status: $s, carrier: $carrier, trackingNumber: $tracking) { shipment { status } errors { code } } }`,
          { id: printed.shipment.id, s: status, ...more },
          LAB01_KEY,
        );
        expect(r.data.updateShipment).toEqual({ shipment: { status }, errors: [] });
        expect((await read()).status).toBe(orderStatus);
      }
      expect(await read()).toMatchObject({ status: "COMPLETED", shipment: { status: "DELIVERED", carrier: "Yamato", trackingNumber: "4455-6677-8899" } });
      await until("the customer hears every change", () => heard.length >= 6, { detail: () => JSON.stringify(heard) });
      expect(heard.map((h) => h.status)).toEqual(["ASSIGNED", "PRINTING", "PRINTED", "PRINTED", "SHIPPED", "COMPLETED"]);
      expect(heard[2].shipment).not.toBeNull();
      expect(heard[5].shipment).toEqual({ status: "DELIVERED", carrier: "Yamato", trackingNumber: "4455-6677-8899" });
    } finally {
      dispose();
      await ws.dispose();
    }
  }, 60000);

  it("after kill -9 right after a claim, resumes its own lease from the journal at once and prints the job once", async () => {
    w = await world({ leaseSeconds: LONG_LEASE_SECONDS });
    const [orderId] = await w.placeOrders(1);
    const [job] = await w.jobs([orderId]);
    const first = w.daemon("lab", [], { PRINTMESH_LAB_PAUSE_AFTER: "claimed:60000" });
    await first.waitFor(new RegExp(`job ${job.id} claimed`));
    first.child.kill("SIGKILL");
    await first.exited;
    expect(jobFolders(w.out("lab"))).toEqual([]);
    expect((await w.jobs([orderId]))[0]).toMatchObject({ status: "LEASED", attempts: 0 });

    const second = w.daemon("lab");
    await second.waitFor(new RegExp(`job ${job.id} was not written when the daemon stopped: writing it now with the lease the journal holds`));
    // Far below the 10-minute lease: the daemon does not wait for it to lapse.
    await until("the job DONE", () => allDone(w, [orderId]), { timeoutMs: 20000, intervalMs: 100, detail: second.output });
    expect(printedJobs(w.out("lab"))).toEqual([job.id]);
    // The first lease did it: never lapsed, never claimed again.
    expect((await w.jobs([orderId]))[0]).toMatchObject({ status: "DONE", attempts: 0 });
    expect(second.output()).not.toMatch(new RegExp(`job ${job.id} claimed`));
    await expectWrittenOnce([job.id], first, second);
    expect((await w.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId })).status).toBe("PRINTED");
    expect(await stopDaemon(second)).toEqual({ code: 0, signal: null });
    expectNothingOdd(second);
  }, 60000);

  it("after kill -9 with the job whole in its temporary folder, not yet renamed in, removes it and writes the job again at once", async () => {
    w = await world({ leaseSeconds: LONG_LEASE_SECONDS });
    const [orderId] = await w.placeOrders(1);
    const [job] = await w.jobs([orderId]);
    const first = w.daemon("lab", [], { PRINTMESH_LAB_PAUSE_AFTER: "publishing:60000" });
    const journalFile = path.join(w.out("lab"), ".printmesh-lab", "journal.jsonl");
    const publishing = () =>
      (fs.existsSync(journalFile) ? fs.readFileSync(journalFile, "utf8") : "")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { op: string; job?: string; tmp?: string })
        .find((l) => l.op === "publishing" && l.job === job.id);
    await until("the job about to be renamed into the hot folder", () => publishing() !== undefined, {
      timeoutMs: 20000,
      intervalMs: 50,
      detail: first.output,
    });
    first.child.kill("SIGKILL");
    await first.exited;
    const tmp = publishing()!.tmp!;
    expect(fs.existsSync(path.join(tmp, "ticket.json"))).toBe(true);
    expect(jobFolders(w.out("lab"))).toEqual([]);
    expect((await w.jobs([orderId]))[0]).toMatchObject({ status: "LEASED", attempts: 0 });

    const second = w.daemon("lab");
    await second.waitFor(new RegExp(`job ${job.id} was half-written when the daemon stopped: removed, writing it again now with the lease the journal holds`));
    await until("the job DONE", () => allDone(w, [orderId]), { timeoutMs: 20000, intervalMs: 100, detail: second.output });
    expect(fs.existsSync(tmp)).toBe(false);
    expect(printedJobs(w.out("lab"))).toEqual([job.id]);
    expect((await w.jobs([orderId]))[0]).toMatchObject({ status: "DONE", attempts: 0 });
    expect(second.output()).not.toMatch(new RegExp(`job ${job.id} claimed`));
    await expectWrittenOnce([job.id], first, second);
    expect((await w.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId })).status).toBe("PRINTED");
    expect(await stopDaemon(second)).toEqual({ code: 0, signal: null });
    expectNothingOdd(second);
  }, 60000);

  it("after kill -9 right after a claim whose lease then lapsed, claims the job again on start and prints it once", async () => {
    w = await world();
    const [orderId] = await w.placeOrders(1);
    const [job] = await w.jobs([orderId]);
    const first = w.daemon("lab", [], { PRINTMESH_LAB_PAUSE_AFTER: "claimed:60000" });
    await first.waitFor(new RegExp(`job ${job.id} claimed`));
    first.child.kill("SIGKILL");
    await first.exited;
    // The lease lapses after 3 s; the center's sweep finds it on its next round (a loaded machine may take a while).
    await until("the lease swept", async () => (await w.jobs([orderId]))[0].status === "QUEUED", { timeoutMs: 40000, intervalMs: 100 });

    const second = w.daemon("lab");
    await second.waitFor(new RegExp(`job ${job.id} was not written when the daemon stopped: writing it now with the lease the journal holds`));
    await until("the job DONE", () => allDone(w, [orderId]), { timeoutMs: 20000, intervalMs: 100, detail: second.output });
    expect(second.output()).toMatch(new RegExp(`job ${job.id} claimed again \\(its lease had run out\\)`));
    expect(printedJobs(w.out("lab"))).toEqual([job.id]);
    // The lease ran out once (attempts 1), and the job was then claimed and printed once.
    expect((await w.jobs([orderId]))[0]).toMatchObject({ status: "DONE", attempts: 1 });
    await expectWrittenOnce([job.id], first, second);
    expect((await w.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId })).status).toBe("PRINTED");
    expect(await stopDaemon(second)).toEqual({ code: 0, signal: null });
    expectNothingOdd(second);
  }, 90000);

  it("after kill -9 between writing and completing, completes the job at once with its own lease, without writing it again", async () => {
    w = await world({ leaseSeconds: LONG_LEASE_SECONDS });
    const [orderId] = await w.placeOrders(1);
    const [job] = await w.jobs([orderId]);
    const first = w.daemon("lab", [], { PRINTMESH_LAB_PAUSE_AFTER: "written:60000" });
    await first.waitFor(new RegExp(`job ${job.id} written to`));
    first.child.kill("SIGKILL");
    await first.exited;
    expect((await w.jobs([orderId]))[0]).toMatchObject({ status: "LEASED", attempts: 0 });
    const ticket = path.join(w.out("lab"), `job-${job.id}`, "ticket.json");
    const before = fs.statSync(ticket);

    const second = w.daemon("lab");
    await second.waitFor(new RegExp(`job ${job.id} is in the hot folder but was not completed: completing it`));
    await until("the job DONE", () => allDone(w, [orderId]), { timeoutMs: 20000, intervalMs: 100, detail: second.output });
    await second.waitFor(new RegExp(`job ${job.id} completed`));
    expect(second.output()).not.toMatch(/written to/);
    expect((await w.jobs([orderId]))[0]).toMatchObject({ status: "DONE", attempts: 0 });
    await expectWrittenOnce([job.id], first, second);
    expect(printedJobs(w.out("lab"))).toEqual([job.id]);
    const after = fs.statSync(ticket);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect((await w.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId })).status).toBe("PRINTED");
    await until("the history reported", async () => (await w.ds.getRepository(PrintHistoryEntity).count({ where: { jobId: job.id } })) === 1, {
      timeoutMs: 10000,
      intervalMs: 100,
      detail: second.output,
    });
    expect(await stopDaemon(second)).toEqual({ code: 0, signal: null });
    expectNothingOdd(second);
  }, 60000);

  it("takes a job again when its lease ran out while it worked, and prints it once", async () => {
    w = await world();
    const [orderId] = await w.placeOrders(1);
    const [job] = await w.jobs([orderId]);
    // Held past the lease: the center's sweeper puts the job back in the queue meanwhile.
    const d = w.daemon("lab", [], { PRINTMESH_LAB_PAUSE_AFTER: `claimed:${(LEASE_SECONDS + 4) * 1000}` });
    await d.waitFor(new RegExp(`job ${job.id} claimed \\(order`));
    await until("the lease swept", async () => (await w.jobs([orderId]))[0].status === "QUEUED", { timeoutMs: 10000, intervalMs: 100, detail: d.output });
    await d.waitFor(new RegExp(`job ${job.id} claimed again \\(its lease had run out\\)`), 15000);
    await until("the job DONE", () => allDone(w, [orderId]), { timeoutMs: 15000, intervalMs: 100, detail: d.output });
    expect((await w.jobs([orderId]))[0]).toMatchObject({ status: "DONE", attempts: 1 });
    expect(printedJobs(w.out("lab"))).toEqual([job.id]);
    await expectWrittenOnce([job.id], d);
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    expectNothingOdd(d);
  }, 60000);

  it("on SIGTERM finishes the job in hand, claims no more, and exits 0", async () => {
    w = await world();
    const orderIds = await w.placeOrders(3, () => order(w.imageId), 1);
    const d = w.daemon("lab", [], { PRINTMESH_LAB_PAUSE_AFTER: "claimed:1500" });
    const [, jobId] = await d.waitFor(/job (\S+) claimed/);
    d.child.kill("SIGTERM");
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(d.output()).toMatch(/stopping: finishing 1 job\(s\) in hand, claiming no more/);
    expect(printedJobs(w.out("lab"))).toEqual([jobId]);
    const jobs = await w.jobs(orderIds);
    expect(jobs.find((j) => j.id === jobId)!.status).toBe("DONE");
    expect(statuses(jobs)).toEqual({ DONE: 1, QUEUED: 2 });
  }, 60000);

  it("loses and duplicates nothing when the center is killed and restarted mid-flow", async () => {
    w = await world();
    const firstBatch = await w.placeOrders(20);
    const d = w.daemon("lab");
    await d.waitFor(/(?:job \S+ completed[\s\S]*){5}/, 30000);
    await w.stopCenter("SIGKILL");
    await d.waitFor(/center unreachable at http:\/\/127\.0\.0\.1:\d+, retrying in \d+s/, 30000);
    // Down for longer than a lease: a job in hand may lose its lease meanwhile.
    await new Promise((r) => setTimeout(r, (LEASE_SECONDS + 1) * 1000));
    await w.startCenter();
    await d.waitFor(/reconnected to http:\/\/127\.0\.0\.1:\d+; catching up on the backlog/, 60000);
    const secondBatch = await w.placeOrders(10);
    const all = [...firstBatch, ...secondBatch];
    await until("every job DONE", () => allDone(w, all), { timeoutMs: 90000, intervalMs: 100, detail: () => d.output().slice(-3000) });
    const jobs = await w.jobs(all);
    expect(printedJobs(w.out("lab"))).toEqual(jobs.map((j) => j.id).sort());
    await expectWrittenOnce(
      jobs.map((j) => j.id),
      d,
    );
    const orders = await w.ds.getRepository(OrderEntity).find({ where: { id: In(all) } });
    expect(orders.every((o) => o.status === "PRINTED")).toBe(true);
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    expectNothingOdd(d);
  }, 180000);

  it("with two daemons on one lab, prints every job once", async () => {
    w = await world();
    const queued = await w.placeOrders(30);
    const a = w.daemon("lab-a");
    const b = w.daemon("lab-b");
    const live = await w.placeOrders(20);
    const all = [...queued, ...live];
    await until("every job DONE", () => allDone(w, all), {
      timeoutMs: 90000,
      intervalMs: 100,
      detail: () => a.output().slice(-2000) + b.output().slice(-2000),
    });
    const ids = (await w.jobs(all)).map((j) => j.id).sort();
    const printedA = printedJobs(w.out("lab-a"));
    const printedB = printedJobs(w.out("lab-b"));
    expect([...printedA, ...printedB].sort()).toEqual(ids);
    await expectWrittenOnce(ids, a, b);
    // Both took part, and the losers of a race said so.
    expect(printedA.length + printedB.length).toBe(50);
    expect(a.output() + b.output()).toMatch(/skipped: (ALREADY_CLAIMED|NOT_CLAIMABLE)/);
    expect(await stopDaemon(a)).toEqual({ code: 0, signal: null });
    expectNothingOdd(a);
    expect(await stopDaemon(b)).toEqual({ code: 0, signal: null });
    expectNothingOdd(b);
  }, 180000);

  it("reconnects after the center restarts and prints what was queued meanwhile", async () => {
    w = await world();
    const [firstOrder] = await w.placeOrders(1);
    const d = w.daemon("lab");
    await until("the first job DONE", () => allDone(w, [firstOrder]), { timeoutMs: 30000, intervalMs: 100, detail: d.output });
    await w.stopCenter("SIGTERM");
    await d.waitFor(/connection to the center lost \(\d+\); reconnecting/);
    await d.waitFor(/center unreachable at/);
    // While the center process is down, orders are placed through another center on the same
    // database (in this process): the daemon cannot have been told of them.
    const config = loadConfig({ ...centerEnv(w), PORT: "0", LOG_LEVEL: "silent" });
    const other = await createServer(config, { ds: await openDatabase(w.test.db, { poolSize: 2, migrate: false }) });
    const saved = w.url;
    w.url = other.url;
    const meanwhile = await w.placeOrders(5);
    w.url = saved;
    await other.stop();
    await other.app.ds.destroy();
    expect(statuses(await w.jobs(meanwhile))).toEqual({ QUEUED: 5 });
    await w.startCenter();
    await d.waitFor(/reconnected to .*; catching up on the backlog/, 60000);
    await until("the jobs queued meanwhile DONE", () => allDone(w, meanwhile), { timeoutMs: 60000, intervalMs: 100, detail: d.output });
    const ids = (await w.jobs([firstOrder, ...meanwhile])).map((j) => j.id);
    expect(printedJobs(w.out("lab"))).toEqual([...ids].sort());
    await expectWrittenOnce(ids, d);
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    expectNothingOdd(d);
  }, 120000);

  it("prints 1,000 jobs queued while the lab was offline, each once", async () => {
    w = await world();
    const t0 = Date.now();
    const orderIds = await w.placeOrders(1000, () => order(w.imageId), 8);
    const queuedMs = Date.now() - t0;
    expect(statuses(await w.jobs(orderIds))).toEqual({ QUEUED: orderIds.length });
    const t1 = Date.now();
    const d = w.daemon("lab", ["--concurrency", "2", "--sheet", "20x30", "--dpi", "30"]);
    await until("1,000 jobs DONE", () => allDone(w, orderIds), { timeoutMs: 600000, intervalMs: 100, detail: () => d.output().slice(-3000) });
    const printedMs = Date.now() - t1;
    const jobs = await w.jobs(orderIds);
    expect(printedJobs(w.out("lab"))).toEqual(jobs.map((j) => j.id).sort());
    await expectWrittenOnce(
      jobs.map((j) => j.id),
      d,
    );
    expect(jobs.every((j) => j.attempts === 0)).toBe(true);
    await until("the history reported", async () => (await w.ds.getRepository(PrintHistoryEntity).count({ where: { labId: "LAB01" } })) === orderIds.length, {
      timeoutMs: 60000,
      intervalMs: 100,
      detail: d.output,
    });
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    // Its whole output now: nothing was written a second time after it was completed either.
    await expectWrittenOnce(
      jobs.map((j) => j.id),
      d,
    );
    expectNothingOdd(d);
    process.stdout.write(`[${engine}] 1,000 jobs: queued in ${queuedMs} ms, printed in ${printedMs} ms\n`);
  }, 900000);

  it("fails a job whose design template the lab lacks, retryably, until PRINT_JOB_MAX_ATTEMPTS; then FAILED and the admins told", async () => {
    w = await world();
    const admin = (await w.gql(`mutation { login(login: "center", password: "center-pass-1") { token } }`, {}, null)).data.login.token;
    const preview = "data:image/png;base64," + makePng(4, 4, 1).toString("base64");
    // The lab held T01 and T77 (and said so to the center), so the order naming T77 went to it;
    // by the time it runs the job, T77 is gone from its templates folder.
    const frame = makePng(4, 4, 2);
    const frame77 = makePng(4, 4, 3);
    for (const [id, bytes] of [
      ["T01", frame],
      ["T77", frame77],
    ] as const) {
      const made = await w.gql(
        `mutation($input: CreateDesignTemplateInput!) { createDesignTemplate(input: $input) { errors { code message } } }`,
        { input: { id, name: `Frame ${id}`, preview, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length } },
        admin,
      );
      expect(made.data.createDesignTemplate.errors).toEqual([]);
    }
    const templates = path.join(w.dir, "templates");
    fs.mkdirSync(templates);
    fs.writeFileSync(path.join(templates, "T01.png"), frame);
    fs.writeFileSync(path.join(templates, "T77.png"), frame77);
    const before = w.daemon("lab", ["--templates", templates]);
    await before.waitFor(/design templates reported to the center: T01, T77\n/);
    expect(await stopDaemon(before)).toEqual({ code: 0, signal: null });
    const [orderId] = await w.placeOrders(1, () => order(w.imageId, 1, { designTemplateId: "T77" }));
    const [job] = await w.jobs([orderId]);
    fs.unlinkSync(path.join(templates, "T77.png"));
    const d = w.daemon("lab", ["--templates", templates]);
    await d.waitFor(/design templates reported to the center: T01\n/);
    await d.waitFor(new RegExp(`job ${job.id} failed \\(retryable\\): TEMPLATE_MISSING: the lab does not hold design template T77`));
    await until("the first failure recorded", async () => (await w.jobs([orderId]))[0].attempts === 1, { timeoutMs: 10000, intervalMs: 100, detail: d.output });
    const retried = (await w.jobs([orderId]))[0];
    expect(retried).toMatchObject({ status: "QUEUED", attempts: 1 });
    expect(retried.lastError).toMatch(/^TEMPLATE_MISSING: /);
    // The center's retry delay is 30 s; bring it forward so that the test need not wait for it.
    await withTransaction(w.ds, (em) => em.update(PrintJobEntity, { id: job.id }, { availableAt: new Date(Date.now() + 1000) }));
    await until("the job FAILED", async () => (await w.jobs([orderId]))[0].status === "FAILED", { timeoutMs: 30000, intervalMs: 100, detail: d.output });
    expect((await w.jobs([orderId]))[0]).toMatchObject({ status: "FAILED", attempts: MAX_ATTEMPTS });
    expect(d.output().match(new RegExp(`job ${job.id} failed \\(retryable\\): TEMPLATE_MISSING`, "g"))).toHaveLength(2);
    expect(jobFolders(w.out("lab"))).toEqual([]);
    expect((await w.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId })).status).toBe("FAILED");
    const notes = await w.gql(`{ notifications { kind message } }`, {}, admin);
    expect(notes.data.notifications).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: "PRINT_JOB_FAILED", message: expect.stringContaining(job.id) })]),
    );
    // A job naming the template the lab holds prints, the frame laid over its item.
    const [framed] = await w.placeOrders(1, () => order(w.imageId, 1, { designTemplateId: "T01" }));
    await until("the framed job DONE", () => allDone(w, [framed]), { timeoutMs: 30000, intervalMs: 100, detail: d.output });
    const [framedJob] = await w.jobs([framed]);
    expect(printedJobs(w.out("lab"))).toEqual([framedJob.id]);
    const ticket = JSON.parse(fs.readFileSync(path.join(w.out("lab"), `job-${framedJob.id}`, "ticket.json"), "utf8"));
    expect(ticket.items.map((i: { designTemplateId: string }) => i.designTemplateId)).toEqual(["T01"]);
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    expectNothingOdd(d);
  }, 90000);

  it("fails a job retryably when an image's bytes do not match its checksum", async () => {
    w = await world();
    const [orderId] = await w.placeOrders(1);
    const [job] = await w.jobs([orderId]);
    const image = await w.ds.getRepository(ImageEntity).findOneByOrFail({ id: w.imageId });
    const stored = path.join(w.dataDir, "images", ...image.storageKey.split("/"));
    const bytes = fs.readFileSync(stored);
    bytes[bytes.length - 20] ^= 0xff; // same size, other bytes
    fs.writeFileSync(stored, bytes);
    const d = w.daemon("lab");
    await d.waitFor(
      new RegExp(`job ${job.id} failed \\(retryable\\): CHECKSUM_MISMATCH: image ${w.imageId}: expected sha256 ${w.imageSha256}, got [0-9a-f]{64}`),
    );
    await until("the failure recorded", async () => (await w.jobs([orderId]))[0].attempts === 1, { timeoutMs: 10000, intervalMs: 100, detail: d.output });
    const after = (await w.jobs([orderId]))[0];
    expect(after).toMatchObject({ status: "QUEUED", attempts: 1 });
    expect(after.lastError).toMatch(/^CHECKSUM_MISMATCH: /);
    expect(jobFolders(w.out("lab"))).toEqual([]);
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    expectNothingOdd(d);
  }, 60000);

  it("takes the key from --key-file or PRINTMESH_LAB_KEY, so that it is not in the process list", async () => {
    w = await world();
    const keyFile = path.join(w.dir, "lab01.key");
    fs.writeFileSync(keyFile, LAB01_KEY + "\n", { mode: 0o600 });
    const fromFile = run([DAEMON_MAIN, "--url", w.url, "--key-file", keyFile, "--out", w.out("a"), ...TEST_SHEET], {});
    const fromEnv = run([DAEMON_MAIN, "--url", w.url, "--out", w.out("b"), ...TEST_SHEET], { PRINTMESH_LAB_KEY: LAB01_KEY });
    // The center acknowledges a socket only after it accepted the key (a refused one is closed with 4403).
    await fromFile.waitFor(/connected to http:\/\/127\.0\.0\.1:\d+; waiting for jobs/);
    await fromEnv.waitFor(/connected to http:\/\/127\.0\.0\.1:\d+; waiting for jobs/);
    for (const d of [fromFile, fromEnv]) {
      const cmdline = fs.readFileSync(`/proc/${d.child.pid}/cmdline`, "utf8");
      expect(cmdline).toContain(DAEMON_MAIN);
      expect(cmdline).not.toContain(LAB01_KEY);
      expect(d.output()).not.toContain("warning");
      expect(d.output()).not.toContain(LAB01_KEY);
    }
    const [orderId] = await w.placeOrders(1);
    await until("the job printed", () => allDone(w, [orderId]), { timeoutMs: 30000, intervalMs: 100 });
    expect(printedJobs(w.out("a"), w.out("b"))).toHaveLength(1);
    expect(await stopDaemon(fromFile)).toEqual({ code: 0, signal: null });
    expect(await stopDaemon(fromEnv)).toEqual({ code: 0, signal: null });
    expectNothingOdd(fromFile, fromEnv);
  }, 60000);

  it("says the key is refused (4403) and exits non-zero after a few refusals", async () => {
    w = await world();
    const d = run([DAEMON_MAIN, "--url", w.url, "--key", "not-a-real-key-0000000000", "--out", w.out("lab")], {});
    const { code } = await d.exited;
    expect(code).toBe(3);
    expect(d.output()).toContain("the center refused the lab key (4403): check --key");
    expect(d.output().match(/refused the lab key \(4403\)/g)!.length).toBeGreaterThanOrEqual(3);
    expect(d.output()).not.toContain("not-a-real-key");
  }, 60000);
});

describe("how the scenarios read a daemon's output", () => {
  it("waits for a job's lines when the database shows the job DONE before they were read", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-lab-out-"));
    const done = path.join(dir, "J1.done");
    try {
      // As the daemon does: "written to", then the job completed (there a row DONE, here a file), then "completed".
      const p = run(
        [
          "-e",
          `process.stdout.write("job J1 claimed (order O1)\\njob J1 written to /hot/job-J1 (1 print file, 1 sheet)\\n");
           require("node:fs").writeFileSync(${JSON.stringify(done)}, "");
           process.stdout.write("job J1 completed\\n");
           setInterval(() => undefined, 1000);`,
        ],
        {},
      );
      // As a synchronous SQLite query that sees the job DONE: this process's event loop does not turn meanwhile.
      const nap = new Int32Array(new SharedArrayBuffer(4));
      const started = Date.now();
      while (!fs.existsSync(done)) {
        if (Date.now() - started > 30000) throw new Error("the child did not run");
        Atomics.wait(nap, 0, 0, 5);
      }
      // What the check right after the query used to read: none of the job's lines.
      expect(p.output()).toBe("");
      await expectWrittenOnce(["J1"], p);
      p.child.kill("SIGKILL");
      await p.exited;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});

describe("lab daemon command line", () => {
  it("says its last lines before it exits, also to a reader that is behind (a full pipe)", async () => {
    // More than a pipe holds, written at once: the rest waits in the process, and process.exit would drop it.
    const p = run(
      [
        "-e",
        `const { exitWhenFlushed } = require(${JSON.stringify(DAEMON_MAIN)});
         for (let i = 0; i < 3000; i++) process.stdout.write("job J" + i + " completed " + "x".repeat(100) + "\\n");
         process.stdout.write("stopped\\n");
         exitWhenFlushed(0);`,
      ],
      {},
    );
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(
      p
        .output()
        .split("\n")
        .filter((l) => l.startsWith("job J")).length,
    ).toBe(3000);
    expect(p.output()).toMatch(/completed x+\nstopped\n$/);
  }, 60000);

  it("refuses a key file it cannot use, and a key given twice; --key still works but warns it shows in the process list", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-lab-key-"));
    try {
      const empty = path.join(dir, "empty.key");
      fs.writeFileSync(empty, "\n");
      const keyFile = path.join(dir, "lab.key");
      fs.writeFileSync(keyFile, LAB01_KEY);
      const cases: Array<[string[], string]> = [
        [["--key-file", path.join(dir, "missing.key")], `--key-file ${path.join(dir, "missing.key")} cannot be read: ENOENT`],
        [["--key-file", empty], `--key-file ${empty} is empty`],
        [["--key-file", keyFile, "--key", LAB01_KEY], "give the key once: --key or --key-file, not both"],
      ];
      for (const [args, message] of cases) {
        const bad = run([DAEMON_MAIN, "--url", "http://127.0.0.1:1", "--out", path.join(dir, "out"), ...args], {});
        expect((await bad.exited).code).toBe(2);
        expect(bad.output()).toContain(message);
        expect(bad.output()).not.toContain(LAB01_KEY);
      }
      const port = await freePort();
      const d = run([DAEMON_MAIN, "--url", `http://127.0.0.1:${port}`, "--key", "k", "--out", path.join(dir, "out")], {});
      await d.waitFor(/center unreachable at/);
      expect(d.output()).toContain("printmesh-lab: warning: --key shows the lab's key in the process list; use --key-file or PRINTMESH_LAB_KEY\n");
      expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  it("explains a bad command line and exits 2; a center that is not there is retried, not fatal", async () => {
    const bad = run([DAEMON_MAIN, "--url", "ftp://x", "--out", "/tmp/x", "--dpi", "abc", "--sheet", "A9"], {});
    expect((await bad.exited).code).toBe(2);
    expect(bad.output()).toContain("--url must start with http:// or https://");
    expect(bad.output()).toContain("--key is required (or set PRINTMESH_LAB_KEY)");
    expect(bad.output()).toContain('--dpi must be a whole number from 10 to 2400, got "abc"');
    expect(bad.output()).toContain('--sheet: unknown sheet size "A9"');
    expect(bad.output()).toContain("usage: printmesh-lab --url <center> --key <lab-api-key> --out <hot-folder>");
    const unknown = run([DAEMON_MAIN, "--bogus"], {});
    expect((await unknown.exited).code).toBe(2);
    expect(unknown.output()).toMatch(/Unknown option '--bogus'/);

    const out = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-lab-cli-"));
    try {
      const port = await freePort();
      const d = run([DAEMON_MAIN, "--url", `http://127.0.0.1:${port}`, "--key", "k", "--out", out], {});
      await d.waitFor(new RegExp(`center unreachable at http://127\\.0\\.0\\.1:${port}, retrying in \\d+s`));
      await d.waitFor(/(center unreachable[\s\S]*){2}/, 10000);
      expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 60000);
});
