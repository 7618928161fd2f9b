/**
 * The labs registry end to end (issue 5): register, correct and delete labs over HTTP against the
 * real center. Every change is re-read from the database and through the read queries; every fault
 * is checked for its code, its field and that nothing changed; every mutation has its authorization
 * table; the admins concerned are told; presence (online, last seen, last load) reads as reported.
 */
import { In } from "typeorm";
import { nextEvent, loginPeople, startCenter, type GqlResult, type TestCenter } from "../support/center";
import { until } from "../support/until";
import { authzMatrix, expectCleanPayload, graphqlAttempt, type Attempt, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { LabEntity, LabServiceEntity } from "../../src/labs/lab.entity";
import { LabApiKeyEntity } from "../../src/labs/lab-api-key.entity";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { OrderEntity } from "../../src/orders/order.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";

let c: TestCenter;
const t: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter();
  Object.assign(t, await loginPeople(c, ["center", "groupA", "groupB", "shop1", "shop2", "shop3", "customer"]));
});
afterAll(async () => {
  await c?.stop();
});

// --- Operations -------------------------------------------------------------------------------

const ERR = "errors { code field message }";
const LAB =
  "lab { id name shopId serviceIds fulfilment express capacitySheetsPerHour location { lat lng } postalCode region disabled online lastSeenAt latestLoad { utilisation queuedJobs queuedSheets reportedAt } }";
const OPS = {
  createLab: `mutation($input: CreateLabInput!) { createLab(input: $input) { ${LAB} ${ERR} } }`,
  updateLab: `mutation($id: ID!, $input: UpdateLabInput!) { updateLab(id: $id, input: $input) { ${LAB} ${ERR} } }`,
  deleteLab: `mutation($id: ID!) { deleteLab(id: $id) { ${LAB} ${ERR} } }`,
} as const;
type OpName = keyof typeof OPS;

interface Payload {
  errors: Array<{ code: string; field: string[] | null; message: string }>;
  lab: any;
}

const run = (op: OpName, variables: Record<string, unknown>, token: string | null) => c.gql(OPS[op], variables, token);

async function ok(op: OpName, variables: Record<string, unknown>, token: string): Promise<Payload> {
  const r = await run(op, variables, token);
  expect(r.errors).toBeUndefined();
  return r.data![op] as Payload;
}

const labs = () => c.ds.getRepository(LabEntity);
const links = () => c.ds.getRepository(LabServiceEntity);
const jobs = () => c.ds.getRepository(PrintJobEntity);

/** Everything lab management may write, to prove that a refused operation wrote nothing. */
async function snapshot() {
  return {
    labs: await labs().find({ order: { id: "ASC" } }),
    links: await links().find({ order: { labId: "ASC", serviceId: "ASC" } }),
    jobs: await jobs().find({ order: { id: "ASC" } }),
    keys: await c.ds.getRepository(LabApiKeyEntity).count(),
    notifications: await c.ds.getRepository(NotificationEntity).count(),
  };
}

let seq = 0;
const fresh = (prefix: string) => `${prefix}-${String(++seq).padStart(3, "0")}`;

/** A lab written straight to the database. */
async function seedLab(shopId = "SP01", id = fresh("XL")): Promise<string> {
  await labs().insert({
    id,
    name: `Lab ${id}`,
    shopId,
    fulfilment: "PICKUP",
    express: false,
    capacitySheetsPerHour: 100,
    lat: null,
    lng: null,
    postalCode: null,
    region: null,
    disabled: false,
  });
  await links().insert({ labId: id, serviceId: "SV01" });
  return id;
}

const newLab = (over: Record<string, unknown> = {}) => ({
  id: fresh("NL"),
  name: "New lab",
  shopId: "SP01",
  serviceIds: ["SV01"],
  fulfilment: ["PICKUP"],
  capacitySheetsPerHour: 500,
  ...over,
});

/** An order placed and confirmed for a named lab: its print job is QUEUED there. */
async function queueJobAt(labId: string): Promise<{ orderId: string; jobId: string }> {
  const placed = await c.gql(
    `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`,
    { input: { labId, fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: "IMG-C01" }] }] } },
    t.customer,
  );
  expect(placed.data!.placeOrder.errors).toEqual([]);
  const order = placed.data!.placeOrder.order;
  const confirmed = await c.gql(
    `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { labId } errors { code } } }`,
    { id: order.id, total: order.total },
    t.customer,
  );
  expect(confirmed.data!.confirmOrder).toEqual({ order: { labId }, errors: [] });
  const job = await jobs().findOneByOrFail({ orderId: order.id });
  return { orderId: order.id, jobId: job.id };
}

async function clearInbox(...tokens: string[]): Promise<void> {
  for (const token of tokens) await c.gql("mutation { markNotificationsRead { updated } }", {}, token);
}
async function inbox(token: string): Promise<Array<{ kind: string; message: string }>> {
  return (await c.gql("{ notifications(unreadOnly: true, first: 200) { kind message } }", {}, token)).data!.notifications;
}

// =============================================================================================
// Faults: exact code and field, nothing written
// =============================================================================================

describe("faults: each reported with its code and field, nothing written", () => {
  let busy: string; // a lab with a QUEUED job
  let busyJob: string;
  beforeAll(async () => {
    busy = await seedLab("SP02", "BUSY-LAB");
    busyJob = (await queueJobAt(busy)).jobId;
  });

  const cases: Array<[string, OpName, () => Record<string, unknown>, string, string[], keyof typeof t | null]> = [
    ["an id with a space", "createLab", () => ({ input: newLab({ id: "bad id!" }) }), "INVALID_ID", ["input", "id"], null],
    ["an id of 65 characters", "createLab", () => ({ input: newLab({ id: "L".repeat(65) }) }), "INVALID_ID", ["input", "id"], null],
    ["an id taken", "createLab", () => ({ input: newLab({ id: "LAB01" }) }), "DUPLICATE_ID", ["input", "id"], null],
    ["an id taken in other letter case", "createLab", () => ({ input: newLab({ id: "lab01" }) }), "DUPLICATE_ID", ["input", "id"], "groupA"],
    ["an empty name", "createLab", () => ({ input: newLab({ name: "  " }) }), "INVALID_NAME", ["input", "name"], null],
    ["a name of 201 characters", "createLab", () => ({ input: newLab({ name: "x".repeat(201) }) }), "INVALID_NAME", ["input", "name"], null],
    ["an unknown shop", "createLab", () => ({ input: newLab({ shopId: "SP99" }) }), "UNKNOWN_SHOP", ["input", "shopId"], null],
    ["a shop named in other letter case", "createLab", () => ({ input: newLab({ shopId: "sp01" }) }), "UNKNOWN_SHOP", ["input", "shopId"], null],
    ["an unknown shop, by a group admin", "createLab", () => ({ input: newLab({ shopId: "SP99" }) }), "UNKNOWN_SHOP", ["input", "shopId"], "groupA"],
    ["no services", "createLab", () => ({ input: newLab({ serviceIds: [] }) }), "NO_SERVICES", ["input", "serviceIds"], null],
    ["an unknown service", "createLab", () => ({ input: newLab({ serviceIds: ["SV01", "SV99"] }) }), "UNKNOWN_SERVICE", ["input", "serviceIds", "1"], null],
    [
      "a service in other letter case",
      "createLab",
      () => ({ input: newLab({ serviceIds: ["sv01"] }) }),
      "UNKNOWN_SERVICE",
      ["input", "serviceIds", "0"],
      "groupA",
    ],
    [
      "a service twice",
      "createLab",
      () => ({ input: newLab({ serviceIds: ["SV02", "SV01", "SV02"] }) }),
      "DUPLICATE_SERVICE",
      ["input", "serviceIds", "2"],
      null,
    ],
    [
      "101 services",
      "createLab",
      () => ({ input: newLab({ serviceIds: Array.from({ length: 101 }, (_, i) => `S${i}`) }) }),
      "TOO_MANY_SERVICES",
      ["input", "serviceIds"],
      null,
    ],
    ["no fulfilment", "createLab", () => ({ input: newLab({ fulfilment: [] }) }), "NO_FULFILMENT", ["input", "fulfilment"], null],
    [
      "a fulfilment method twice",
      "createLab",
      () => ({ input: newLab({ fulfilment: ["PICKUP", "DELIVERY", "PICKUP"] }) }),
      "DUPLICATE_FULFILMENT",
      ["input", "fulfilment", "2"],
      null,
    ],
    ["a capacity of 0", "createLab", () => ({ input: newLab({ capacitySheetsPerHour: 0 }) }), "INVALID_CAPACITY", ["input", "capacitySheetsPerHour"], null],
    [
      "a negative capacity",
      "createLab",
      () => ({ input: newLab({ capacitySheetsPerHour: -5 }) }),
      "INVALID_CAPACITY",
      ["input", "capacitySheetsPerHour"],
      "groupA",
    ],
    [
      "a capacity above a million",
      "createLab",
      () => ({ input: newLab({ capacitySheetsPerHour: 1_000_001 }) }),
      "INVALID_CAPACITY",
      ["input", "capacitySheetsPerHour"],
      null,
    ],
    [
      "a latitude above 90",
      "createLab",
      () => ({ input: newLab({ location: { lat: 90.5, lng: 0 } }) }),
      "INVALID_LOCATION",
      ["input", "location", "lat"],
      null,
    ],
    [
      "a longitude below -180",
      "createLab",
      () => ({ input: newLab({ location: { lat: 0, lng: -180.5 } }) }),
      "INVALID_LOCATION",
      ["input", "location", "lng"],
      null,
    ],
    ["correcting an unknown lab", "updateLab", () => ({ id: "LAB99", input: { name: "X" } }), "NOT_FOUND", ["id"], null],
    ["correcting a lab named in other letter case", "updateLab", () => ({ id: "lab01", input: { name: "X" } }), "NOT_FOUND", ["id"], "groupA"],
    ["correcting a name to nothing", "updateLab", () => ({ id: "LAB01", input: { name: "" } }), "INVALID_NAME", ["input", "name"], null],
    ["moving to an unknown shop", "updateLab", () => ({ id: "LAB01", input: { shopId: "SP99" } }), "UNKNOWN_SHOP", ["input", "shopId"], "groupA"],
    ["moving a lab with a queued job", "updateLab", () => ({ id: busy, input: { shopId: "SP01" } }), "IN_USE", ["input", "shopId"], "groupA"],
    ["correcting to no services", "updateLab", () => ({ id: "LAB01", input: { serviceIds: [] } }), "NO_SERVICES", ["input", "serviceIds"], null],
    [
      "correcting to an unknown service",
      "updateLab",
      () => ({ id: "LAB01", input: { serviceIds: ["SV99"] } }),
      "UNKNOWN_SERVICE",
      ["input", "serviceIds", "0"],
      null,
    ],
    ["correcting to no fulfilment", "updateLab", () => ({ id: "LAB01", input: { fulfilment: [] } }), "NO_FULFILMENT", ["input", "fulfilment"], null],
    [
      "correcting the capacity to 0",
      "updateLab",
      () => ({ id: "LAB01", input: { capacitySheetsPerHour: 0 } }),
      "INVALID_CAPACITY",
      ["input", "capacitySheetsPerHour"],
      "groupA",
    ],
    [
      "correcting the latitude to -91",
      "updateLab",
      () => ({ id: "LAB01", input: { location: { lat: -91, lng: 0 } } }),
      "INVALID_LOCATION",
      ["input", "location", "lat"],
      null,
    ],
    ["deleting an unknown lab", "deleteLab", () => ({ id: "LAB99" }), "NOT_FOUND", ["id"], null],
    ["deleting a lab named in other letter case", "deleteLab", () => ({ id: "lab01" }), "NOT_FOUND", ["id"], null],
  ];

  for (const [title, op, variables, code, field, caller] of cases) {
    it(`${op}: ${title} -> ${code} at ${field.join(".")}`, async () => {
      const before = await snapshot();
      const payload = await ok(op, variables(), t[caller ?? "center"]);
      expect(payload.errors).toEqual([{ code, field, message: expect.any(String) }]);
      expect(payload.lab).toBeNull();
      expect(await snapshot()).toEqual(before);
    });
  }

  it("names the unfinished print jobs that hold a lab, for a move and for a delete", async () => {
    const before = await snapshot();
    const move = await ok("updateLab", { id: busy, input: { shopId: "SP01", name: "Renamed" } }, t.center);
    expect(move.errors).toEqual([
      {
        code: "IN_USE",
        field: ["input", "shopId"],
        message: `Lab ${busy} is still used by print jobs not done or failed ${busyJob}; it moves to another shop once they are`,
      },
    ]);
    const del = await ok("deleteLab", { id: busy }, t.center);
    expect(del).toEqual({
      lab: null,
      errors: [{ code: "IN_USE", field: ["id"], message: `Lab ${busy} is still used by print jobs not done or failed ${busyJob}` }],
    });
    // A leased job holds it too.
    await jobs().update({ id: busyJob }, { status: "LEASED" });
    expect((await ok("deleteLab", { id: busy }, t.groupA)).errors.map((e) => e.code)).toEqual(["IN_USE"]);
    await jobs().update({ id: busyJob }, { status: "QUEUED" });
    expect(await snapshot()).toEqual(before);
  });

  it("reports every fault of one input at once, in field order", async () => {
    const before = await snapshot();
    const payload = await ok(
      "createLab",
      { input: { id: "bad id", name: "", shopId: "SP99", serviceIds: ["SV99"], fulfilment: [], capacitySheetsPerHour: 0, location: { lat: 100, lng: 200 } } },
      t.center,
    );
    expect(payload.errors.map((e) => [e.code, e.field])).toEqual([
      ["INVALID_ID", ["input", "id"]],
      ["INVALID_NAME", ["input", "name"]],
      ["UNKNOWN_SHOP", ["input", "shopId"]],
      ["UNKNOWN_SERVICE", ["input", "serviceIds", "0"]],
      ["NO_FULFILMENT", ["input", "fulfilment"]],
      ["INVALID_CAPACITY", ["input", "capacitySheetsPerHour"]],
      ["INVALID_LOCATION", ["input", "location", "lat"]],
      ["INVALID_LOCATION", ["input", "location", "lng"]],
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it("refuses malformed input at the edge: an unknown fulfilment method, a fractional capacity, no shop", async () => {
    const before = await snapshot();
    const method = await run("createLab", { input: newLab({ fulfilment: ["FAX"] }) }, t.center);
    expect(method.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    const capacity = await run("createLab", { input: newLab({ capacitySheetsPerHour: 1.5 }) }, t.center);
    expect(capacity.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    const { shopId: _omitted, ...noShop } = newLab();
    const shop = await run("createLab", { input: noShop }, t.center);
    expect(shop.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(shop.errors![0].message).toContain("shopId");
    expect(await snapshot()).toEqual(before);
  });
});

// =============================================================================================
// Happy paths: the change is in the database and in the read queries
// =============================================================================================

describe("registering, correcting and deleting", () => {
  it("the center admin registers a lab (trimmed, flows in order), and it reads back everywhere", async () => {
    const input = {
      id: "LAB-OSAKA-2",
      name: "  Osaka second server ",
      shopId: "SP03",
      serviceIds: ["SV01", "SV02"],
      fulfilment: ["DELIVERY", "PICKUP"],
      express: true,
      capacitySheetsPerHour: 900,
      location: { lat: 34.7, lng: 135.5 },
      postalCode: " 530-0001 ",
      region: "Osaka",
    };
    const payload = await ok("createLab", { input }, t.center);
    const expected = {
      id: "LAB-OSAKA-2",
      name: "Osaka second server",
      shopId: "SP03",
      serviceIds: ["SV01", "SV02"],
      fulfilment: ["PICKUP", "DELIVERY"],
      express: true,
      capacitySheetsPerHour: 900,
      location: { lat: 34.7, lng: 135.5 },
      postalCode: "530-0001",
      region: "Osaka",
      disabled: false,
      online: false,
      lastSeenAt: null,
      latestLoad: null,
    };
    expect(payload).toEqual({ lab: expected, errors: [] });
    expect(await labs().findOneByOrFail({ id: "LAB-OSAKA-2" })).toMatchObject({
      name: "Osaka second server",
      shopId: "SP03",
      fulfilment: "PICKUP,DELIVERY",
      express: true,
      capacitySheetsPerHour: 900,
      lat: 34.7,
      lng: 135.5,
    });
    expect((await links().find({ where: { labId: "LAB-OSAKA-2" }, order: { serviceId: "ASC" } })).map((l) => l.serviceId)).toEqual(["SV01", "SV02"]);
    const read = await c.gql(`query { lab(id: "LAB-OSAKA-2") ${LAB.slice(4)} }`, {}, t.groupB);
    expect(read.data!.lab).toEqual(expected);
    // Group A's admin does not see group B's labs.
    expect((await c.gql(`query { lab(id: "LAB-OSAKA-2") { id } }`, {}, t.groupA)).data!.lab).toBeNull();
    // It can be offered orders at once: a named-lab order is queued there.
    const { jobId } = await queueJobAt("LAB-OSAKA-2");
    expect((await jobs().findOneByOrFail({ id: jobId })).labId).toBe("LAB-OSAKA-2");
  });

  it("a group admin registers a lab of their group's shop, corrects it, moves it within the group and deletes it", async () => {
    const created = await ok(
      "createLab",
      { input: newLab({ id: "GA-LAB", shopId: "SP02", serviceIds: ["SV02"], fulfilment: ["PICKUP"], capacitySheetsPerHour: 50, postalCode: "220-0011" }) },
      t.groupA,
    );
    expect(created.errors).toEqual([]);
    expect(created.lab).toMatchObject({ id: "GA-LAB", shopId: "SP02", serviceIds: ["SV02"], express: false, postalCode: "220-0011", location: null });

    const corrected = await ok(
      "updateLab",
      {
        id: "GA-LAB",
        input: {
          name: "Yokohama lab",
          serviceIds: ["SV03", "SV01"],
          fulfilment: ["DELIVERY"],
          express: true,
          capacitySheetsPerHour: 75,
          location: { lat: 35.44, lng: 139.64 },
          postalCode: null,
        },
      },
      t.groupA,
    );
    expect(corrected).toEqual({
      lab: expect.objectContaining({
        id: "GA-LAB",
        name: "Yokohama lab",
        shopId: "SP02",
        serviceIds: ["SV01", "SV03"],
        fulfilment: ["DELIVERY"],
        express: true,
        capacitySheetsPerHour: 75,
        location: { lat: 35.44, lng: 139.64 },
        postalCode: null,
      }),
      errors: [],
    });
    expect(await labs().findOneByOrFail({ id: "GA-LAB" })).toMatchObject({
      name: "Yokohama lab",
      fulfilment: "DELIVERY",
      express: true,
      capacitySheetsPerHour: 75,
      lat: 35.44,
      lng: 139.64,
      postalCode: null,
    });
    expect((await links().find({ where: { labId: "GA-LAB" }, order: { serviceId: "ASC" } })).map((l) => l.serviceId)).toEqual(["SV01", "SV03"]);

    // Within the group: SP02 -> SP01. Out of it: refused, nothing changed.
    expect((await ok("updateLab", { id: "GA-LAB", input: { shopId: "SP01", location: null } }, t.groupA)).lab).toMatchObject({
      shopId: "SP01",
      location: null,
    });
    const before = await snapshot();
    const out = await run("updateLab", { id: "GA-LAB", input: { shopId: "SP03" } }, t.groupA);
    expect(out.errors![0].extensions!.code).toBe("FORBIDDEN");
    expect(await snapshot()).toEqual(before);

    const deleted = await ok("deleteLab", { id: "GA-LAB" }, t.groupA);
    expect(deleted.errors).toEqual([]);
    expect(deleted.lab).toMatchObject({ id: "GA-LAB", shopId: "SP01", serviceIds: ["SV01", "SV03"] });
    expect(await labs().countBy({ id: "GA-LAB" })).toBe(0);
    expect(await links().countBy({ labId: "GA-LAB" })).toBe(0);
  });

  it("changes nothing (and tells no one) when nothing differs", async () => {
    const id = await seedLab("SP01");
    const before = await snapshot();
    const same = await ok(
      "updateLab",
      { id, input: { name: `Lab ${id}`, serviceIds: ["SV01"], fulfilment: ["PICKUP"], capacitySheetsPerHour: 100, express: false } },
      t.center,
    );
    expect(same.errors).toEqual([]);
    expect(same.lab).toMatchObject({ id, name: `Lab ${id}` });
    expect(await snapshot()).toEqual(before);
  });

  it("deletes a lab whose jobs are finished: the jobs and its keys go, the order keeps the lab's id", async () => {
    const id = await seedLab("SP04");
    const done = await queueJobAt(id);
    const failed = await queueJobAt(id);
    const key = await c.gql(`mutation($l: ID!) { createLabApiKey(labId: $l) { key errors { code } } }`, { l: id }, t.groupB);
    expect(key.data!.createLabApiKey.errors).toEqual([]);
    expect((await ok("deleteLab", { id }, t.groupB)).errors.map((e) => e.code)).toEqual(["IN_USE"]);
    await jobs().update({ id: done.jobId }, { status: "DONE" });
    expect((await ok("deleteLab", { id }, t.groupB)).errors).toEqual([
      { code: "IN_USE", field: ["id"], message: `Lab ${id} is still used by print jobs not done or failed ${failed.jobId}` },
    ]);
    await jobs().update({ id: failed.jobId }, { status: "FAILED" });

    const deleted = await ok("deleteLab", { id }, t.groupB);
    expect(deleted.errors).toEqual([]);
    expect(await labs().countBy({ id })).toBe(0);
    expect(await jobs().countBy({ id: In([done.jobId, failed.jobId]) })).toBe(0);
    expect(await c.ds.getRepository(LabApiKeyEntity).countBy({ labId: id })).toBe(0);
    expect((await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: done.orderId })).labId).toBe(id);
    // Its key stopped working.
    const refused = await c.gql("{ labs { id } }", {}, key.data!.createLabApiKey.key);
    expect(refused.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });

  it("disabling a lab stops its key at once and takes it out of assignment", async () => {
    const id = await seedLab("SP01");
    const issued = await c.gql(`mutation($l: ID!) { createLabApiKey(labId: $l) { key } }`, { l: id }, t.center);
    const key = issued.data!.createLabApiKey.key as string;
    expect((await c.gql("{ labs { id } }", {}, key)).data!.labs).toEqual([{ id }]); // verified and cached
    expect((await ok("updateLab", { id, input: { disabled: true } }, t.groupA)).lab).toMatchObject({ id, disabled: true });
    expect((await c.gql("{ labs { id } }", {}, key)).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    const placed = await c.gql(
      `mutation($input: OrderInput!) { placeOrder(input: $input) { errors { code } } }`,
      { input: { labId: id, fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: "IMG-C01" }] }] } },
      t.customer,
    );
    expect(placed.data!.placeOrder.errors).toEqual([{ code: "LAB_CANNOT_PRINT" }]);
    expect((await ok("updateLab", { id, input: { disabled: false } }, t.groupA)).lab).toMatchObject({ disabled: false });
    expect((await c.gql("{ labs { id } }", {}, key)).data!.labs).toEqual([{ id }]);
  });
});

describe("presence: online, last seen, last load", () => {
  const read = async (id: string) =>
    (await c.gql(`query($id: ID!) { lab(id: $id) { online lastSeenAt latestLoad { utilisation queuedJobs queuedSheets reportedAt } } }`, { id }, t.center))
      .data!.lab;

  it("is online while its daemon holds a printJobs subscription", async () => {
    expect(await read("LAB02")).toEqual({ online: false, lastSeenAt: null, latestLoad: null });
    const lab = c.ws("lab02-key-0123456789abcdef");
    const sub = nextEvent<{ printJobs: { job: { id: string } } }>(lab, "subscription { printJobs { job { id } } }");
    sub.value.catch(() => undefined);
    // Online from the moment it subscribes; last seen written just after.
    let now = await read("LAB02");
    await until("LAB02 online and seen", async () => (now = await read("LAB02")).online && now.lastSeenAt, { detail: () => JSON.stringify(now) });
    expect(now.online).toBe(true);
    expect(Date.parse(now.lastSeenAt)).toBeGreaterThan(Date.now() - 60_000);
    // Seen long ago, but connected now: still online.
    await labs().update({ id: "LAB02" }, { lastSeenAt: new Date(Date.now() - 24 * 3600 * 1000) });
    expect((await read("LAB02")).online).toBe(true);
    sub.dispose();
  });

  it("stays online for the grace period after it was last seen (a daemon connected elsewhere), then not", async () => {
    const grace = c.config.labOnlineGraceSeconds;
    await labs().update({ id: "LAB03" }, { lastSeenAt: new Date(Date.now() - Math.max(0, grace - 30) * 1000) });
    expect((await read("LAB03")).online).toBe(true);
    await labs().update({ id: "LAB03" }, { lastSeenAt: new Date(Date.now() - (grace + 5) * 1000) });
    expect((await read("LAB03")).online).toBe(false);
  });

  it("reads its last load report", async () => {
    const at = new Date("2026-04-01T09:30:00.000Z");
    await labs().update({ id: "LAB03" }, { loadUtilisation: 0.75, loadQueuedJobs: 3, loadQueuedSheets: 120, loadReportedAt: at });
    expect((await read("LAB03")).latestLoad).toEqual({ utilisation: 0.75, queuedJobs: 3, queuedSheets: 120, reportedAt: at.toISOString() });
  });
});

describe("change notices", () => {
  beforeEach(async () => {
    await clearInbox(t.groupA, t.groupB, t.shop1, t.shop2, t.shop3);
  });

  it("a lab registered by the center admin at SP01 tells group-a and shop-1, not group B, shop-2 or the actor", async () => {
    const id = fresh("NL");
    expect((await ok("createLab", { input: newLab({ id, shopId: "SP01" }) }, t.center)).errors).toEqual([]);
    for (const token of [t.groupA, t.shop1])
      expect(await inbox(token)).toEqual([{ kind: "LAB_CREATED", message: expect.stringContaining(`Lab ${id} "New lab" of shop SP01`) }]);
    for (const token of [t.groupB, t.shop2, t.shop3, t.center]) expect((await inbox(token)).filter((n) => n.kind.startsWith("LAB_"))).toEqual([]);
  });

  it("a group admin's correction tells the shop's admin; a move tells both shops' admins", async () => {
    const id = await seedLab("SP02");
    await ok("updateLab", { id, input: { capacitySheetsPerHour: 321 } }, t.groupA);
    expect(await inbox(t.shop2)).toEqual([{ kind: "LAB_UPDATED", message: expect.stringContaining("capacity 100 -> 321 sheets per hour") }]);
    expect(await inbox(t.shop1)).toEqual([]);
    expect(await inbox(t.groupA)).toEqual([]);
    await clearInbox(t.shop2);
    await ok("updateLab", { id, input: { shopId: "SP01" } }, t.groupA);
    for (const token of [t.shop1, t.shop2])
      expect(await inbox(token)).toEqual([{ kind: "LAB_UPDATED", message: expect.stringContaining("shop SP02 -> SP01") }]);
  });

  it("a deletion reaches a live subscriber once committed; a refused change tells no one", async () => {
    const id = await seedLab("SP01");
    const sub = nextEvent<{ notifications: { kind: string; message: string } }>(c.ws(t.shop1), "subscription { notifications { kind message } }");
    await new Promise((r) => setTimeout(r, 200)); // no "subscribed" acknowledgement in the protocol
    expect((await ok("updateLab", { id, input: { capacitySheetsPerHour: 0 } }, t.center)).errors.map((e) => e.code)).toEqual(["INVALID_CAPACITY"]);
    await ok("deleteLab", { id }, t.center);
    expect((await sub.value).notifications).toEqual({ kind: "LAB_DELETED", message: `Lab ${id} "Lab ${id}" of shop SP01 was deleted by center` });
    sub.dispose();
  });
});

// =============================================================================================
// Authorization: every mutation, every kind of caller
// =============================================================================================

describe("authorization table", () => {
  const send = (op: OpName) => (variables: Record<string, any>, bearer: string | null) => graphqlAttempt(c, OPS[op], op, variables, bearer);
  const allowed = (op: OpName) => (attempt: Attempt<GqlResult<any>>) => {
    expect(expectCleanPayload(attempt, op).lab).not.toBeNull();
  };
  // Every target is in SP01 (shop group SG01): group-a's scope, not group-b's.
  const rows: MatrixOperation[] = [
    {
      op: "createLab",
      prepare: () => ({ input: newLab({ shopId: "SP01" }) }),
      send: send("createLab"),
      whenAllowed: allowed("createLab"),
      applied: async (v) => (await labs().countBy({ id: v.input.id })) === 1,
    },
    {
      op: "updateLab",
      prepare: async () => ({ id: await seedLab("SP01"), input: { capacitySheetsPerHour: 777, serviceIds: ["SV02"] } }),
      send: send("updateLab"),
      whenAllowed: allowed("updateLab"),
      applied: async (v) => (await labs().findOneByOrFail({ id: v.id })).capacitySheetsPerHour === 777,
    },
    {
      op: "deleteLab",
      prepare: async () => ({ id: await seedLab("SP01") }),
      send: send("deleteLab"),
      whenAllowed: allowed("deleteLab"),
      applied: async (v) => (await labs().countBy({ id: v.id })) === 0,
    },
  ];
  const callers: MatrixCaller[] = [
    ["anonymous", () => null, "UNAUTHENTICATED"],
    ["customer", () => t.customer, "FORBIDDEN"],
    ["shop admin of the lab's shop (shop-1)", () => t.shop1, "FORBIDDEN"],
    ["shop admin of another shop (shop-3)", () => t.shop3, "FORBIDDEN"],
    ["group admin of another group (group-b)", () => t.groupB, "FORBIDDEN"],
    ["lab key", () => LAB01_KEY, "FORBIDDEN"],
    ["group admin of the lab's group (group-a)", () => t.groupA, "allowed"],
    ["center admin", () => t.center, "allowed"],
  ];

  for (const cell of authzMatrix({ operations: rows, callers, snapshot })) it(cell.title, cell.run);
});
