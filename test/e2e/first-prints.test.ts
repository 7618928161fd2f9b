/**
 * First prints (seed 002) end to end: a capture device uploads a shoot's images over HTTP, the
 * shop's admin places first prints (priced at the shop like any order, ASSIGNED at the shoot's
 * first-print lab, its job queued), and a real lab daemon process claims the job, downloads the
 * images through the job's signed links (images that belong to no one) and prints it. Refusals
 * (another shoot's image, a customer's image, an unknown shoot, a disabled lab) write nothing; the
 * authorization of every shoot operation is tried by every kind of caller.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { LabEntity } from "../../src/labs/lab.entity";
import { OrderEntity } from "../../src/orders/order.entity";
import { CaptureDeviceEntity } from "../../src/shoots/capture-device.entity";
import { ShootEntity } from "../../src/shoots/shoot.entity";
import { ShootImageEntity } from "../../src/shoots/shoot-image.entity";
import { authzMatrix, expectCleanPayload, graphqlAttempt, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import { makePng, uploadPng } from "../support/images";
import { run } from "../support/processes";
import { newDevice, newShoot, uploadToShoot } from "../support/shoots";
import { until } from "../support/until";

const ROOT = path.resolve(__dirname, "../..");
const DAEMON_MAIN = path.join(ROOT, "dist/src/lab-daemon/main.js");
const LAB01_KEY = "lab01-key-0123456789abcdef";

const PLACE = `mutation($shootId: ID!, $subOrders: [SubOrderInput!]!) {
  placeFirstPrints(shootId: $shootId, subOrders: $subOrders) {
    order { id status shopId labId shootId total currency customerUserId subOrders { number serviceId sheets items { imageId } } }
    errors { code field }
  }
}`;

let c: TestCenter;
let t: Record<string, string>;
let shootId: string;
let otherShootId: string;
/** The shoot's three images, as uploaded: id and bytes. */
const shot: Array<{ id: string; png: Buffer }> = [];
let otherShootImage: string;
let customerImage: string;

beforeAll(async () => {
  c = await startCenter();
  t = await loginPeople(c, ["center", "groupA", "groupB", "shop1", "shop2", "customer"]);
  shootId = (await newShoot(c, t.shop1, { shopId: "SP01", name: "School sports day" })).shoot.id;
  otherShootId = (await newShoot(c, t.shop1, { shopId: "SP01", name: "Another event" })).shoot.id;
  const device = await newDevice(c, t.shop1, "SP01");
  for (const [i, subject] of ["101", "102", "103"].entries()) {
    const png = makePng(40 + i, 30, 50 + i);
    const up = await uploadToShoot(c, shootId, device.key, png, { "x-subject": subject });
    expect(up.status).toBe(201);
    shot.push({ id: up.json.imageId, png });
  }
  const other = await uploadToShoot(c, otherShootId, device.key, makePng(12, 12, 99));
  expect(other.status).toBe(201);
  otherShootImage = other.json.imageId;
  customerImage = (await uploadPng(c.url, t.customer, 3)).id;
});
afterAll(async () => {
  await c?.stop();
});

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Three prints of two images (one laid out) on SV01 and two of the third on SV02. */
const firstPrints = () => [
  { serviceId: "SV01", sheets: 3, items: [{ imageId: shot[0].id, layout: { x: 2, y: 2, width: 30, height: 20 } }, { imageId: shot[1].id }] },
  { serviceId: "SV02", sheets: 2, items: [{ imageId: shot[2].id }] },
];

const counts = async () => ({
  orders: await c.ds.getRepository(OrderEntity).count(),
  jobs: await c.ds.getRepository(PrintJobEntity).count(),
});

describe("placeFirstPrints", () => {
  it("prices the order at the shoot's shop, assigns it to the first-print lab, and a real lab daemon prints the shoot's images", async () => {
    // The normal rules at SP01 (group SG01, prices from 2026-04-01): SV01 is P01 (100 + 10 a sheet)
    // and P03 (10 a sheet): 100 + 30 + 30 = 160; SV02 is P02 (300) and P04 (50 a sheet): 400.
    const quoted = await c.gql(`query($input: OrderInput!) { quote(input: $input) { quote { total } errors { code } } }`, {
      input: { shopId: "SP01", subOrders: firstPrints() },
    });
    expect(quoted.data!.quote).toEqual({ quote: { total: 560 }, errors: [] });

    const r = await c.gql(PLACE, { shootId, subOrders: firstPrints() }, t.shop1);
    expect(r.errors).toBeUndefined();
    const shop1 = await c.gql(`query { me { id } }`, {}, t.shop1);
    expect(r.data!.placeFirstPrints).toEqual({
      order: {
        id: expect.any(String),
        status: "ASSIGNED",
        shopId: "SP01",
        labId: "LAB01",
        shootId,
        total: 560,
        currency: "JPY",
        customerUserId: shop1.data!.me.id,
        subOrders: [
          { number: 1, serviceId: "SV01", sheets: 3, items: [{ imageId: shot[0].id }, { imageId: shot[1].id }] },
          { number: 2, serviceId: "SV02", sheets: 2, items: [{ imageId: shot[2].id }] },
        ],
      },
      errors: [],
    });
    const orderId: string = r.data!.placeFirstPrints.order.id;
    // As stored: confirmed, at LAB01, with one job queued there.
    const stored = await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId });
    expect([stored.status, stored.labId, stored.shootId, stored.quoteTotal, stored.confirmedAt !== null]).toEqual(["ASSIGNED", "LAB01", shootId, 560, true]);
    const jobs = await c.ds.getRepository(PrintJobEntity).find({ where: { orderId } });
    expect(jobs.map((j) => [j.labId, j.status])).toEqual([["LAB01", "QUEUED"]]);
    const read = await c.gql(`query($id: ID!) { order(id: $id) { shootId status } }`, { id: orderId }, t.groupA);
    expect(read.data!.order).toEqual({ shootId, status: "ASSIGNED" });

    // The lab's daemon, a process of its own, prints it.
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-first-prints-"));
    const daemon = run(process.execPath, [DAEMON_MAIN, "--url", c.url, "--key", LAB01_KEY, "--out", out, "--sheet", "40x60", "--dpi", "50"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "" },
    });
    try {
      await until("the first prints PRINTED", async () => (await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: orderId })).status === "PRINTED", {
        timeoutMs: 30000,
        intervalMs: 100,
        detail: daemon.output,
      });
      await daemon.waitFor(new RegExp(`job ${jobs[0].id} completed`));
      expect((await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ id: jobs[0].id })).status).toBe("DONE");
      const folder = path.join(out, `job-${jobs[0].id}`);
      const ticket = JSON.parse(fs.readFileSync(path.join(folder, "ticket.json"), "utf8"));
      expect(ticket).toMatchObject({ jobId: jobs[0].id, orderId, labId: "LAB01", totalSheets: 5 });
      // The daemon downloads each image through the job's signed link and refuses any whose size or
      // SHA-256 differ from the center's record: these are the bytes the camera uploaded.
      expect(ticket.images).toEqual(
        shot.map((s, i) => ({ imageId: s.id, sha256: sha(s.png), bytes: s.png.length, width: 40 + i, height: 30, contentType: "image/png" })),
      );
      for (const f of ticket.files) expect(sha(fs.readFileSync(path.join(folder, f.name)))).toBe(f.sha256);
      expect(fs.readdirSync(folder).sort()).toEqual([...ticket.files.map((f: { name: string }) => f.name), "ticket.json"].sort());
      daemon.child.kill("SIGTERM");
      expect(await daemon.exited).toEqual({ code: 0, signal: null });
      expect(daemon.output()).not.toMatch(/refused:|unexpected error|Error:/);
    } finally {
      daemon.child.kill("SIGKILL");
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 60000);

  it("refuses another shoot's image and a customer's image, naming each item; nothing is written", async () => {
    const before = await counts();
    const r = await c.gql(
      PLACE,
      {
        shootId,
        subOrders: [
          { serviceId: "SV01", sheets: 1, items: [{ imageId: shot[0].id }, { imageId: otherShootImage }] },
          { serviceId: "SV02", sheets: 1, items: [{ imageId: customerImage }] },
        ],
      },
      t.shop1,
    );
    expect(r.data!.placeFirstPrints).toEqual({
      order: null,
      errors: [
        { code: "NOT_SHOOT_IMAGE", field: ["subOrders", "0", "items", "1", "imageId"] },
        { code: "NOT_SHOOT_IMAGE", field: ["subOrders", "1", "items", "0", "imageId"] },
      ],
    });
    // A customer cannot use a shoot's image in an ordinary order either.
    const plain = await c.gql(
      `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id } errors { code field } } }`,
      { input: { shopId: "SP01", subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: shot[0].id }] }] } },
      t.customer,
    );
    expect(plain.data!.placeOrder).toEqual({ order: null, errors: [{ code: "FOREIGN_IMAGE", field: ["input", "subOrders", "0", "items", "0", "imageId"] }] });
    expect(await counts()).toEqual(before);
  });

  it("answers an unknown shoot, pricing refusals and a disabled first-print lab as payload errors; nothing is written", async () => {
    const before = await counts();
    const unknown = await c.gql(PLACE, { shootId: "SH-NOPE", subOrders: firstPrints() }, t.center);
    expect(unknown.data!.placeFirstPrints).toEqual({ order: null, errors: [{ code: "NOT_FOUND", field: ["shootId"] }] });
    const empty = await c.gql(PLACE, { shootId, subOrders: [] }, t.shop1);
    expect(empty.data!.placeFirstPrints).toEqual({ order: null, errors: [{ code: "EMPTY_ORDER", field: ["subOrders"] }] });
    const notOffered = await c.gql(PLACE, { shootId, subOrders: [{ serviceId: "SV99", sheets: 1, items: [{ imageId: shot[0].id }] }] }, t.shop1);
    // The first-print lab is fixed: one that cannot print a service is named at the shoot.
    expect(notOffered.data!.placeFirstPrints).toEqual({ order: null, errors: [{ code: "LAB_CANNOT_PRINT", field: ["shootId"] }] });

    await c.ds.getRepository(LabEntity).update({ id: "LAB01" }, { disabled: true });
    try {
      const disabled = await c.gql(PLACE, { shootId, subOrders: firstPrints() }, t.shop1);
      expect(disabled.data!.placeFirstPrints).toEqual({ order: null, errors: [{ code: "LAB_DISABLED", field: ["shootId"] }] });
    } finally {
      await c.ds.getRepository(LabEntity).update({ id: "LAB01" }, { disabled: false });
    }
    expect(await counts()).toEqual(before);
  });
});

describe("the first-print lab is fixed", () => {
  it("assigns the first-print lab even where the ranking picks another lab of the shop", async () => {
    // LAB01 reports itself full and its daemon is long gone; a new lab of SP01 is there too, so the
    // ranking prefers that one.
    await c.ds
      .getRepository(LabEntity)
      .update({ id: "LAB01" }, { loadUtilisation: 1, loadQueuedJobs: 50, loadQueuedSheets: 5000, loadReportedAt: new Date(), lastSeenAt: null });
    const created = await c.gql(
      `mutation($input: CreateLabInput!) { createLab(input: $input) { lab { id } errors { code } } }`,
      { input: { id: "LAB09", name: "Idle lab", shopId: "SP01", serviceIds: ["SV01", "SV02"], fulfilment: ["PICKUP"], capacitySheetsPerHour: 5000 } },
      t.center,
    );
    expect(created.data!.createLab).toEqual({ lab: { id: "LAB09" }, errors: [] });
    const input = { shopId: "SP01", subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: customerImage }] }] };
    const ranked = await c.gql(`query($input: OrderInput!) { labCandidates(input: $input, first: 1) { labId } }`, { input }, t.customer);
    expect(ranked.data!.labCandidates).toEqual([{ labId: "LAB09" }]);

    const r = await c.gql(PLACE, { shootId, subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: shot[0].id }] }] }, t.shop1);
    expect(r.data!.placeFirstPrints.errors).toEqual([]);
    expect([r.data!.placeFirstPrints.order.status, r.data!.placeFirstPrints.order.labId]).toEqual(["ASSIGNED", "LAB01"]);
    const jobs = await c.ds.getRepository(PrintJobEntity).find({ where: { orderId: r.data!.placeFirstPrints.order.id } });
    expect(jobs.map((j) => [j.labId, j.status])).toEqual([["LAB01", "QUEUED"]]);
  });
});

describe("authorization of the shoot operations", () => {
  const snapshot = async () => ({
    ...(await counts()),
    shoots: await c.ds.getRepository(ShootEntity).count(),
    devices: await c.ds.getRepository(CaptureDeviceEntity).find({ order: { id: "ASC" } }),
    images: await c.ds.getRepository(ShootImageEntity).count(),
  });
  const send = (query: string, field: string) => (variables: Record<string, unknown>, bearer: string | null) =>
    graphqlAttempt(c, query, field, variables, bearer);
  const clean = (field: string) => (attempt: Awaited<ReturnType<ReturnType<typeof send>>>) => expectCleanPayload(attempt, field);

  const operations: MatrixOperation[] = [
    {
      op: "placeFirstPrints",
      prepare: () => ({ shootId, subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: shot[1].id }] }] }),
      send: send(PLACE, "placeFirstPrints"),
      whenAllowed: async (a) => {
        const order = clean("placeFirstPrints")(a).order;
        expect([order.status, order.labId, order.shootId, order.total]).toEqual(["ASSIGNED", "LAB01", shootId, 120]);
        expect((await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: order.id })).labId).toBe("LAB01");
      },
    },
    {
      op: "createShoot",
      prepare: () => ({ input: { shopId: "SP01", name: "Matrix shoot" } }),
      send: send(`mutation($input: ShootInput!) { createShoot(input: $input) { shoot { id shopId } errors { code } } }`, "createShoot"),
      whenAllowed: async (a) => {
        const s = clean("createShoot")(a).shoot;
        expect((await c.ds.getRepository(ShootEntity).findOneByOrFail({ id: s.id })).shopId).toBe("SP01");
      },
    },
    {
      op: "createCaptureDevice",
      prepare: () => ({ shopId: "SP01", name: "Matrix camera" }),
      send: send(
        `mutation($shopId: ID!, $name: String!) { createCaptureDevice(shopId: $shopId, name: $name) { device { id shopId } key errors { code } } }`,
        "createCaptureDevice",
      ),
      whenAllowed: async (a) => {
        const p = clean("createCaptureDevice")(a);
        expect(p.key).toMatch(/^pmc_/);
        expect((await c.ds.getRepository(CaptureDeviceEntity).findOneByOrFail({ id: p.device.id })).shopId).toBe("SP01");
      },
    },
    {
      op: "revokeCaptureDevice",
      prepare: async () => ({ id: (await newDevice(c, t.center, "SP01")).id }),
      send: send(`mutation($id: ID!) { revokeCaptureDevice(id: $id) { device { id revoked } errors { code } } }`, "revokeCaptureDevice"),
      applied: async (v) => (await c.ds.getRepository(CaptureDeviceEntity).findOneByOrFail({ id: v.id })).revokedAt !== null,
    },
    {
      op: "shoot",
      prepare: () => ({ id: shootId }),
      send: send(`query($id: ID!) { shoot(id: $id) { id imageCount } }`, "shoot"),
      whenAllowed: (a) => expect(a.value).toEqual({ id: shootId, imageCount: 3 }),
    },
    {
      op: "shootImages",
      prepare: () => ({ shootId }),
      send: send(`query($shootId: ID!) { shootImages(shootId: $shootId) { imageId } }`, "shootImages"),
      whenAllowed: (a) => expect(a.value).toEqual(shot.map((s) => ({ imageId: s.id }))),
    },
    {
      op: "shoots",
      prepare: () => ({ shopId: "SP01" }),
      // Out of scope, the list is filtered rather than refused: the shoot is simply not there.
      send: async (v, bearer) => {
        const a = await graphqlAttempt(c, `query($shopId: ID) { shoots(shopId: $shopId, first: 100) { edges { node { id } } } }`, "shoots", v, bearer);
        const ids = a.value ? (a.value as { edges: Array<{ node: { id: string } }> }).edges.map((e) => e.node.id) : [];
        if (a.code === null && !ids.includes(shootId)) return { ...a, code: "NOT_VISIBLE", value: null };
        return a;
      },
    },
    {
      op: "captureDevices",
      prepare: () => ({ shopId: "SP01" }),
      send: send(`query($shopId: ID!) { captureDevices(shopId: $shopId) { id shopId } }`, "captureDevices"),
      whenAllowed: (a) => expect((a.value as Array<{ shopId: string }>).every((d) => d.shopId === "SP01")).toBe(true),
    },
  ];
  const outOfScope = (op: MatrixOperation) => (op.op === "shoots" ? "NOT_VISIBLE" : "FORBIDDEN");
  const callers: MatrixCaller[] = [
    ["anonymous", () => null, "UNAUTHENTICATED"],
    ["customer", () => t.customer, "FORBIDDEN"],
    ["lab key", () => LAB01_KEY, "FORBIDDEN"],
    ["shop admin of another shop (shop-2)", () => t.shop2, outOfScope],
    ["group admin of another group (group-b)", () => t.groupB, outOfScope],
    ["shop admin of the shoot's shop (shop-1)", () => t.shop1, "allowed"],
    ["group admin of the shoot's group (group-a)", () => t.groupA, "allowed"],
    ["center admin", () => t.center, "allowed"],
  ];
  for (const cell of authzMatrix({ operations, callers, snapshot })) it(cell.title, cell.run);
});
