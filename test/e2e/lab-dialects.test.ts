/**
 * The lab daemon feeding a minilab controller, end to end: the real center and a real daemon
 * process (`--dialect dpof` or `frontier`, with a profile file), an order of several services and
 * print sizes with copies confirmed through the public API, a fake controller on the hot folder
 * (accepting, refusing, or never taking it), and the tests' own readers of what it took. What is
 * checked: the controller's files read back as exactly the order (images, sizes, quantities), and
 * the job at the center follows the controller's answer (re-read from the database): DONE on
 * acceptance; failed, retryable, with the controller's reason on a refusal, the admins told at
 * once (PRINT_JOB_REFUSED) and again once it fails for good; a controller slower than the lease
 * waited for under a renewed lease. SQLite by default, MariaDB when DATABASE_URL says so.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { In, type DataSource } from "typeorm";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { openDatabase } from "../../src/entities";
import { Role } from "../../src/identity/role";
import { UserEntity } from "../../src/identity/user.entity";
import { parseSheetSize, sheetPixels } from "../../src/lab-daemon/print-files";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { OrderEntity } from "../../src/orders/order.entity";
import { PATENT_FIXTURE } from "../support/center";
import { mrkCopies } from "../support/controller-files";
import { createTestDatabase, usingMysql, type TestDatabase } from "../support/database";
import { CENTER_NODE_ENV } from "../support/env";
import { fakeController, type ControllerMood, type FakeController } from "../support/fake-controller";
import { makePng } from "../support/images";
import { freePort, killLeftovers, run as runProcess, type Proc } from "../support/processes";
import { until } from "../support/until";

const ROOT = path.resolve(__dirname, "../..");
const CENTER_MAIN = path.join(ROOT, "dist/src/main.js");
const DAEMON_MAIN = path.join(ROOT, "dist/src/lab-daemon/main.js");
const LAB01_KEY = "lab01-key-0123456789abcdef";
const JWT_SECRET = "lab-dialects-e2e-secret-".padEnd(48, "x");
const DPI = 30;

function run(args: string[], env: Record<string, string>): Proc {
  return runProcess(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } });
}

interface World {
  test: TestDatabase;
  ds: DataSource;
  dir: string;
  out: string;
  url: string;
  center: Proc;
  token: string;
  /** Two uploaded images; the green of each is its seed's (91 and 182). */
  images: string[];
  gql<T = Record<string, never>>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: unknown[] }>;
  close(): Promise<void>;
}

async function world(maxAttempts: number, leaseSeconds = 120): Promise<World> {
  const test = await createTestDatabase();
  const seedDs = await openDatabase(test.db, { poolSize: 2 });
  const report = await importBundle(seedDs, JSON.parse(fs.readFileSync(PATENT_FIXTURE, "utf8")), {});
  if (!report.ok) throw new Error("fixture does not import: " + JSON.stringify(report.faults));
  await seedDs.destroy();
  const ds = await openDatabase(test.db, { poolSize: 2, migrate: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-dialects-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const center = run([CENTER_MAIN], {
    DATABASE_URL: test.url,
    PORT: String(port),
    HOST: "127.0.0.1",
    DEMO_DATA: "0",
    JWT_SECRET,
    DATA_DIR: path.join(dir, "data"),
    PRINT_JOB_LEASE_SECONDS: String(leaseSeconds),
    PRINT_JOB_MAX_ATTEMPTS: String(maxAttempts),
    LOG_LEVEL: "warn",
    NODE_ENV: CENTER_NODE_ENV,
  });
  await center.waitFor(/ready at http:\/\/\S+\/graphql/, 60000);
  const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<{ data?: T; errors?: unknown[] }> => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(w.token ? { authorization: `Bearer ${w.token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as never;
  };
  const w: World = {
    test,
    ds,
    dir,
    out: path.join(dir, "hot"),
    url,
    center,
    token: "",
    images: [],
    gql,
    async close() {
      center.child.kill("SIGKILL");
      await center.exited;
      await ds.destroy();
      await test.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const login = await gql<{ login: { token: string } }>(`mutation { login(login: "customer", password: "customer-pass") { token } }`);
  w.token = login.data!.login.token;
  for (const seed of [1, 2]) {
    const up = await fetch(`${url}/images`, {
      method: "POST",
      headers: { authorization: `Bearer ${w.token}`, "content-type": "image/png" },
      body: new Uint8Array(makePng(60, 40, seed)),
    });
    w.images.push(((await up.json()) as { id: string }).id);
  }
  return w;
}

/**
 * SV01 (printed on L): two images shared over 3 sheets (2 and 1 prints); SV02 (printed on KG): the
 * second image, 2 sheets. Placed and confirmed as a customer does.
 */
async function placeOrder(w: World): Promise<string> {
  const placed = await w.gql<{ placeOrder: { order: { id: string; total: number } | null } }>(
    `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`,
    {
      input: {
        labId: "LAB01",
        fulfilment: { method: "PICKUP" },
        subOrders: [
          { serviceId: "SV01", sheets: 3, items: [{ imageId: w.images[0] }, { imageId: w.images[1] }] },
          { serviceId: "SV02", sheets: 2, items: [{ imageId: w.images[1] }] },
        ],
      },
    },
  );
  const o = placed.data?.placeOrder?.order;
  if (!o) throw new Error(`placeOrder failed: ${JSON.stringify(placed)}`);
  const confirmed = await w.gql<{ confirmOrder: { order: { labId: string } | null } }>(
    `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id labId } errors { code } } }`,
    {
      id: o.id,
      total: o.total,
    },
  );
  if (confirmed.data?.confirmOrder?.order?.labId !== "LAB01") throw new Error(`confirmOrder failed: ${JSON.stringify(confirmed)}`);
  return o.id;
}

function startDaemon(w: World, dialect: "dpof" | "frontier", profile: object): Proc {
  const file = path.join(w.dir, "profile.json");
  fs.writeFileSync(file, JSON.stringify(profile));
  return run(
    [
      DAEMON_MAIN,
      ...["--url", w.url, "--key", LAB01_KEY, "--out", w.out, "--dpi", String(DPI)],
      ...["--sheet", "SV01=L", "--sheet", "SV02=KG", "--dialect", dialect, "--profile", file],
      ...["--load-every", "1", "--history-every", "1", "--resync-every", "1"],
    ],
    {},
  );
}

async function jobOf(w: World, orderId: string): Promise<PrintJobEntity> {
  return w.ds.getRepository(PrintJobEntity).findOneOrFail({ where: { orderId } });
}

/** The green of an image's middle pixel: which of the two uploads it was printed from. */
async function sourceOf(jpeg: Buffer): Promise<number> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const at = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
  const g = data[at + 1];
  return Math.abs(g - 91) < 20 ? 1 : Math.abs(g - 182) < 20 ? 2 : 0;
}

async function expectPixels(jpeg: Buffer, size: string): Promise<void> {
  const px = sheetPixels(parseSheetSize(size), DPI);
  const m = await sharp(jpeg).metadata();
  expect([m.format, m.width, m.height]).toEqual(["jpeg", px.width, px.height]);
}

const engine = usingMysql() ? "MariaDB" : "SQLite";

describe(`lab daemon dialects end to end (${engine})`, () => {
  let w: World | null = null;
  let daemon: Proc | null = null;
  let controller: FakeController | null = null;
  afterEach(async () => {
    controller?.stop();
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill("SIGTERM");
      await daemon.exited;
    }
    killLeftovers((child) => child === w?.center.child);
    await w?.close();
    [w, daemon, controller] = [null, null, null];
  });

  const run1 = async (dialect: "dpof" | "frontier", mood: ControllerMood, maxAttempts: number, profile: object, leaseSeconds?: number) => {
    w = await world(maxAttempts, leaseSeconds);
    fs.mkdirSync(w.out, { recursive: true });
    controller = fakeController(w.out, dialect, mood, { everyMs: 50 });
    const orderId = await placeOrder(w);
    daemon = startDaemon(w, dialect, { pollSeconds: 0.05, ...profile });
    return { orderId, job: await jobOf(w, orderId) };
  };

  it("DPOF: the order reaches the controller as one folder per size, read back exactly; accepted (e…) -> the job DONE, the order PRINTED", async () => {
    const { orderId, job } = await run1("dpof", "accept", 3, { acceptTimeoutSeconds: 60, dpof: { sizes: { KG: { channel: 7 } } } });
    await until("the job DONE at the center", async () => (await jobOf(w!, orderId)).status === "DONE", {
      timeoutMs: 60000,
      intervalMs: 100,
      detail: () => daemon!.output() + controller!.faults.join("\n"),
    });
    expect(controller!.faults).toEqual([]);
    const taken = controller!.dpof;
    expect(taken.map((t) => t.mrk.sizeCode).sort()).toEqual(["KG", "L"]);
    const L = taken.find((t) => t.mrk.sizeCode === "L")!;
    const KG = taken.find((t) => t.mrk.sizeCode === "KG")!;
    expect([L.mrk.channel, KG.mrk.channel]).toEqual([1, 7]);
    expect(mrkCopies(L.mrk)).toEqual({ "../IMAGE/0001.jpg": 2, "../IMAGE/0002.jpg": 1 });
    expect(mrkCopies(KG.mrk)).toEqual({ "../IMAGE/0001.jpg": 2 });
    expect(await Promise.all([...L.images.values()].map(sourceOf))).toEqual([1, 2]);
    expect(await Promise.all([...KG.images.values()].map(sourceOf))).toEqual([2]);
    for (const im of L.images.values()) await expectPixels(im, "L");
    for (const im of KG.images.values()) await expectPixels(im, "KG");
    // Folder names carry the order; accepted folders are e…; the ticket stays beside.
    expect(taken.every((t) => t.folder.startsWith(`o${orderId}-`))).toBe(true);
    expect(
      fs
        .readdirSync(w!.out)
        .filter((n) => !n.startsWith("."))
        .sort(),
    ).toEqual([...taken.map((t) => `e${t.folder.slice(1)}`), `job-${job.id}`].sort());
    const ticket = JSON.parse(fs.readFileSync(path.join(w!.out, `job-${job.id}`, "ticket.json"), "utf8"));
    expect([ticket.jobId, ticket.orderId, ticket.totalSheets, ticket.controller.dialect]).toEqual([job.id, orderId, 5, "dpof"]);
    const order = await w!.ds.getRepository(OrderEntity).findOneOrFail({ where: { id: orderId } });
    expect(order.status).toBe("PRINTED");
    expect(daemon!.output()).toMatch(new RegExp(`job ${job.id} accepted by the controller`));
  });

  it("DPOF: refused (q…) -> the job failed retryable with the controller's reason, back in the queue, not DONE", async () => {
    const { orderId, job } = await run1("dpof", "refuse", 3, { acceptTimeoutSeconds: 60 });
    const failed = await until(
      "the refusal at the center",
      async () => {
        const j = await jobOf(w!, orderId);
        return j.attempts === 1 && j.status === "QUEUED" ? j : null;
      },
      { timeoutMs: 60000, intervalMs: 100, detail: () => daemon!.output() },
    );
    expect(failed.lastError).toMatch(new RegExp(`^CONTROLLER_REFUSED: the controller refused order folder o${orderId}-\\S+ \\(renamed q${orderId}-`));
    expect(failed.availableAt.getTime()).toBeGreaterThan(Date.now());
    const order = await w!.ds.getRepository(OrderEntity).findOneOrFail({ where: { id: orderId } });
    expect(order.status).toBe("ASSIGNED");
    // Refused folders stay for the operator; the job's own folder is gone so the retry writes anew.
    const left = fs.readdirSync(w!.out).filter((n) => !n.startsWith("."));
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((n) => n.startsWith(`q${orderId}-`) || n.startsWith(`e${orderId}-`))).toBe(true);
    expect(left.some((n) => n.startsWith("q"))).toBe(true);
    expect(daemon!.output()).toMatch(new RegExp(`job ${job.id} failed \\(retryable\\): CONTROLLER_REFUSED`));
    // The admins are told at once, with the controller's reason, not only at the last attempt.
    const message = `Print job ${job.id} of order ${orderId} was not taken by the controller at lab LAB01 (attempt 1); it is offered again from ${failed.availableAt.toISOString()}: ${failed.lastError}`;
    const told = await w!.ds.getRepository(NotificationEntity).find({ where: { kind: "PRINT_JOB_REFUSED", orderId } });
    const admins = await w!.ds.getRepository(UserEntity).find({ where: { role: In([Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN, Role.SHOP_ADMIN]) } });
    expect(told.length).toBeGreaterThan(0);
    expect(told.map((n) => [n.message, n.labId, admins.some((a) => a.id === n.userId)])).toEqual(told.map(() => [message, "LAB01", true]));
    expect(told.map((n) => n.userId)).toContain(admins.find((a) => a.role === Role.CENTER_ADMIN)!.id);
  });

  it("Frontier: images then <order>_<surface>.txt, read back exactly; the .txt taken -> the job DONE", async () => {
    const { orderId, job } = await run1("frontier", "accept", 3, {
      acceptTimeoutSeconds: 60,
      frontier: { printer: "LP5700", surface: "GLOSSY", sizes: { L: { printCode: "L-G" }, KG: { printCode: "KG-L", surface: "LUSTRE" } } },
    });
    await until("the job DONE at the center", async () => (await jobOf(w!, orderId)).status === "DONE", {
      timeoutMs: 60000,
      intervalMs: 100,
      detail: () => daemon!.output() + controller!.faults.join("\n"),
    });
    expect(controller!.faults).toEqual([]);
    const taken = new Map(controller!.frontier.map((t) => [t.order.surface, t]));
    expect([...taken.keys()].sort()).toEqual(["GLOSSY", "LUSTRE"]);
    const glossy = taken.get("GLOSSY")!;
    const lustre = taken.get("LUSTRE")!;
    expect(glossy.file).toMatch(new RegExp(`^${orderId}-\\S+_GLOSSY\\.txt$`));
    expect([glossy.order.printer, glossy.order.imagePath]).toEqual(["LP5700", path.join(w!.out, `job-${job.id}`)]);
    expect(glossy.order.images.map((i) => i.prints)).toEqual([[{ printCode: "L-G", qty: 2 }], [{ printCode: "L-G", qty: 1 }]]);
    expect(lustre.order.images.map((i) => i.prints)).toEqual([[{ printCode: "KG-L", qty: 2 }]]);
    expect(await Promise.all(glossy.order.images.map((i) => sourceOf(glossy.images.get(i.file)!)))).toEqual([1, 2]);
    expect(await sourceOf(lustre.images.get(lustre.order.images[0].file)!)).toBe(2);
    for (const im of glossy.images.values()) await expectPixels(im, "L");
    for (const im of lustre.images.values()) await expectPixels(im, "KG");
    expect(fs.readdirSync(w!.out).filter((n) => !n.startsWith("."))).toEqual([`job-${job.id}`]);
    const order = await w!.ds.getRepository(OrderEntity).findOneOrFail({ where: { id: orderId } });
    expect(order.status).toBe("PRINTED");
  });

  it("Frontier: never taken -> timed out, the .txt taken back, the job failed with the reason, and at its last attempt the admins told", async () => {
    const { orderId, job } = await run1("frontier", "ignore", 1, { acceptTimeoutSeconds: 2 });
    const failed = await until(
      "the job FAILED at the center",
      async () => {
        const j = await jobOf(w!, orderId);
        return j.status === "FAILED" ? j : null;
      },
      { timeoutMs: 60000, intervalMs: 100, detail: () => daemon!.output() },
    );
    expect(failed.lastError).toMatch(new RegExp(`^CONTROLLER_TIMEOUT: the controller did not take ${orderId}-\\S+_GLOSSY\\.txt within 2s$`));
    expect(fs.readdirSync(w!.out).filter((n) => !n.startsWith("."))).toEqual([]);
    const told = await w!.ds.getRepository(NotificationEntity).find({ where: { kind: "PRINT_JOB_FAILED", orderId } });
    expect(told.length).toBeGreaterThan(0);
    expect(told.every((n) => n.message.includes("CONTROLLER_TIMEOUT"))).toBe(true);
    expect(daemon!.output()).toMatch(new RegExp(`job ${job.id} failed \\(retryable\\): CONTROLLER_TIMEOUT`));
  });

  it("DPOF: a controller slower than the lease: the daemon renews its lease while it waits, costing no attempt, and completes it once", async () => {
    const { orderId, job } = await run1("dpof", "ignore", 3, { acceptTimeoutSeconds: 60 }, 3);
    const renewals = () => [...daemon!.output().matchAll(new RegExp(`job ${job.id}: lease renewed until `, "g"))].length;
    // About every second (a third of the 3-second lease): five renewals span more than a lease.
    await until("the daemon to renew the lease past its first end while the controller has the job", () => renewals() >= 5, {
      timeoutMs: 60000,
      intervalMs: 100,
      detail: () => daemon!.output(),
    });
    const held = await jobOf(w!, orderId);
    expect([held.status, held.attempts]).toEqual(["LEASED", 0]);
    expect(held.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    controller!.mood = "accept";
    const done = await until(
      "the job DONE at the center",
      async () => {
        const j = await jobOf(w!, orderId);
        return j.status === "DONE" ? j : null;
      },
      { timeoutMs: 60000, intervalMs: 100, detail: () => daemon!.output() },
    );
    // No lapse counted, never claimed again; written once; each size handed over once.
    expect(done.attempts).toBe(0);
    expect(done.lastError).toBeNull();
    expect(daemon!.output()).not.toMatch(/claimed again|lease not renewed/);
    expect([...daemon!.output().matchAll(new RegExp(`job ${job.id} written to `, "g"))].length).toBe(1);
    expect(controller!.dpof.map((t) => t.mrk.sizeCode).sort()).toEqual(["KG", "L"]);
    const order = await w!.ds.getRepository(OrderEntity).findOneOrFail({ where: { id: orderId } });
    expect(order.status).toBe("PRINTED");
  });
});
