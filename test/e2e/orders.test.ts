/**
 * Orders and lab assignment end to end (seed 000, seed 003 Fig. 18/22): upload -> quote -> place ->
 * confirm -> job queued for the right lab; every assignment rule and their precedence, the stored
 * explanation, the two-phase pick, reassignment, home shop, idempotency, bad input, read scopes.
 */
import { until as waitUntil } from "../support/until";
import { leastStatements, nextEvent, startCenter, type TestCenter } from "../support/center";
import { uploadPng } from "../support/images";
import { OrderEntity, OrderItemEntity, SubOrderEntity } from "../../src/orders/order.entity";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { LabEntity } from "../../src/labs/lab.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";
const LAB02_KEY = "lab02-key-0123456789abcdef";
const TOKYO = { lat: 35.6812, lng: 139.7671 };
const OSAKA = { lat: 34.7025, lng: 135.4959 };

let c: TestCenter;
const t: Record<string, string> = {};
let photo: string; // the customer's own image
let otherPhoto: string; // another customer's image

const ORDER_FIELDS =
  "id status shopId labId total currency placedAt confirmedAt customerUserId quote { shopId total priceDate } subOrders { id number serviceId sheets items { id imageId } }";
const PLACE = `mutation($input: OrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { order { ${ORDER_FIELDS} } errors { code message field } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { ${ORDER_FIELDS} assignment { rule chosenLabId notes candidates { labId reasons } rejected { labId reasons } } } errors { code message field } } }`;

beforeAll(async () => {
  c = await startCenter();
  t.center = await c.login("center", "center-pass-1");
  t.customer = await c.login("customer", "customer-pass");
  t.groupA = await c.login("group-a", "group-a-pass");
  t.groupB = await c.login("group-b", "group-b-pass");
  t.shop1 = await c.login("shop-1", "shop-1-pass");
  t.shop2 = await c.login("shop-2", "shop-2-pass");
  const made = await c.gql(
    `mutation { createUser(input: { id: "U101", login: "bob", name: "Bob", password: "bob-password", role: GENERAL_USER }) { errors { code } } }`,
    {},
    t.center,
  );
  expect(made.data!.createUser.errors).toEqual([]);
  t.bob = await c.login("bob", "bob-password");
  photo = (await uploadPng(c.url, t.customer, 1)).id;
  otherPhoto = (await uploadPng(c.url, t.bob, 2)).id;
});
afterAll(async () => {
  await c?.stop();
});

const pickup = (shopId: string | null, subOrders: object[], extra: object = {}) => ({ shopId, fulfilment: { method: "PICKUP" }, subOrders, ...extra });
const a4 = (sheets = 5, images: string[] = []) => ({
  serviceId: "SV01",
  sheets,
  items: images.map((imageId) => ({ imageId, layout: { x: 10, y: 10, width: 100, height: 150 } })),
});
const cards = (sheets = 10, images: string[] = []) => ({ serviceId: "SV02", sheets, items: images.map((imageId) => ({ imageId })) });

async function placeAndConfirm(input: object, token = t.customer) {
  const placed = await c.gql(PLACE, { input }, token);
  expect(placed.data!.placeOrder.errors).toEqual([]);
  const order = placed.data!.placeOrder.order;
  const confirmed = await c.gql(CONFIRM, { id: order.id, total: order.total }, token);
  expect(confirmed.data!.confirmOrder.errors).toEqual([]);
  return confirmed.data!.confirmOrder.order;
}
const jobsOf = (orderId: string) => c.ds.getRepository(PrintJobEntity).find({ where: { orderId }, order: { createdAt: "ASC" } });

describe("the whole flow", () => {
  it("upload -> quote -> place -> confirm -> a job queued for the right lab", async () => {
    const input = pickup("SP01", [a4(5, [photo, "IMG-C01"]), cards(10, [photo])]);
    const q = await c.gql(`query($input: OrderInput!) { quote(input: $input) { quote { total } errors { code } } }`, { input }, t.customer);
    expect(q.data!.quote.errors).toEqual([]);

    const placed = await c.gql(PLACE, { input, key: "flow-1" }, t.customer);
    expect(placed.data!.placeOrder.errors).toEqual([]);
    const order = placed.data!.placeOrder.order;
    expect(order).toMatchObject({
      status: "QUOTED",
      shopId: "SP01",
      labId: null,
      total: q.data!.quote.quote.total,
      currency: "JPY",
      customerUserId: "U100",
      confirmedAt: null,
    });
    expect(order.subOrders).toEqual([
      {
        id: `${order.id}:1`,
        number: 1,
        serviceId: "SV01",
        sheets: 5,
        items: [expect.objectContaining({ imageId: photo }), expect.objectContaining({ imageId: "IMG-C01" })],
      },
      { id: `${order.id}:2`, number: 2, serviceId: "SV02", sheets: 10, items: [expect.objectContaining({ imageId: photo })] },
    ]);
    expect(await jobsOf(order.id)).toEqual([]);

    const confirmed = await c.gql(CONFIRM, { id: order.id, total: order.total }, t.customer);
    expect(confirmed.data!.confirmOrder.errors).toEqual([]);
    const after = confirmed.data!.confirmOrder.order;
    expect(after).toMatchObject({ id: order.id, status: "ASSIGNED", shopId: "SP01", labId: "LAB01" });
    expect(after.confirmedAt).not.toBeNull();
    // The customer does not see the assignment's internals.
    expect(after.assignment).toBeNull();
    const jobs = await jobsOf(order.id);
    expect(jobs.map((j) => [j.labId, j.status, j.attempts])).toEqual([["LAB01", "QUEUED", 0]]);
    const row = await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: order.id });
    expect(row).toMatchObject({ status: "ASSIGNED", labId: "LAB01", quoteTotal: order.total });
    expect(await c.ds.getRepository(OrderItemEntity).count({ where: { orderId: order.id } })).toBe(3);
  });

  it("answers a second confirm like the first, with no second job", async () => {
    const order = await placeAndConfirm(pickup("SP01", [a4(2, [photo])]));
    const again = await c.gql(CONFIRM, { id: order.id, total: order.total }, t.customer);
    expect(again.data!.confirmOrder.errors).toEqual([]);
    expect(again.data!.confirmOrder.order).toMatchObject({ id: order.id, status: "ASSIGNED", labId: "LAB01" });
    expect(await jobsOf(order.id)).toHaveLength(1);
  });

  it("refuses a wrong total, a stranger's confirm, a cancelled order and an expired quote, writing nothing", async () => {
    const placed = (await c.gql(PLACE, { input: pickup("SP01", [a4(3, [photo])]) }, t.customer)).data!.placeOrder.order;
    const mismatch = await c.gql(CONFIRM, { id: placed.id, total: placed.total + 1 }, t.customer);
    expect(mismatch.data!.confirmOrder).toEqual({
      order: null,
      errors: [{ code: "QUOTE_MISMATCH", message: `The accepted total ${placed.total + 1} is not the quoted total ${placed.total}`, field: ["acceptedTotal"] }],
    });
    const stranger = await c.gql(CONFIRM, { id: placed.id, total: placed.total }, t.bob);
    expect(stranger.data!.confirmOrder.errors).toEqual([expect.objectContaining({ code: "NOT_FOUND", field: ["orderId"] })]);
    expect((await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: placed.id })).status).toBe("QUOTED");

    await c.ds.getRepository(OrderEntity).update({ id: placed.id }, { quotedAt: new Date(Date.now() - 16 * 60 * 1000) });
    const expired = await c.gql(CONFIRM, { id: placed.id, total: placed.total }, t.customer);
    expect(expired.data!.confirmOrder.errors).toEqual([expect.objectContaining({ code: "QUOTE_EXPIRED", field: ["orderId"] })]);

    const cancelled = await c.gql(`mutation($id: ID!) { cancelOrder(orderId: $id) { order { status } errors { code } } }`, { id: placed.id }, t.customer);
    expect(cancelled.data!.cancelOrder).toEqual({ order: { status: "CANCELLED" }, errors: [] });
    const late = await c.gql(CONFIRM, { id: placed.id, total: placed.total }, t.customer);
    expect(late.data!.confirmOrder.errors).toEqual([expect.objectContaining({ code: "ILLEGAL_TRANSITION" })]);
    expect(await jobsOf(placed.id)).toEqual([]);
    expect((await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: placed.id })).status).toBe("CANCELLED");
  });
});

describe("confirming an order this process remembers", () => {
  const LEAN = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId } errors { code message field } } }`;

  it("reads the order once it changed behind the memory (cancelled), and queues nothing", async () => {
    const placed = (await c.gql(PLACE, { input: pickup("SP01", [a4(2, [photo])]) }, t.customer)).data!.placeOrder.order;
    const cancelled = await c.gql(`mutation($id: ID!) { cancelOrder(orderId: $id) { order { status } errors { code } } }`, { id: placed.id }, t.customer);
    expect(cancelled.data!.cancelOrder).toEqual({ order: { status: "CANCELLED" }, errors: [] });
    // The memory says QUOTED: its version-checked UPDATE misses, the job's INSERT with it, and the
    // order read again says why (what that costs: test/dispatch/print-job-store).
    const late = await c.gql(LEAN, { id: placed.id, total: placed.total }, t.customer);
    expect(late.data!.confirmOrder).toEqual({
      order: null,
      errors: [{ code: "ILLEGAL_TRANSITION", message: expect.stringContaining("CANCELLED"), field: ["orderId"] }],
    });
    expect(await jobsOf(placed.id)).toEqual([]);
    const stored = await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: placed.id });
    expect([stored.status, stored.labId, stored.confirmedAt, stored.version]).toEqual(["CANCELLED", null, null, 1]);
  });

  it("answers as the confirmation that won when another one got there first, with one job", async () => {
    const placed = (await c.gql(PLACE, { input: pickup("SP01", [a4(3, [photo])]) }, t.customer)).data!.placeOrder.order;
    // Five confirmations at once: one comes from memory, the others read the order; one UPDATE wins.
    const answers = await Promise.all(Array.from({ length: 5 }, () => c.gql(LEAN, { id: placed.id, total: placed.total }, t.customer)));
    for (const a of answers) expect(a.data!.confirmOrder).toEqual({ order: { id: placed.id, status: "ASSIGNED", labId: "LAB01" }, errors: [] });
    const jobs = await jobsOf(placed.id);
    expect(jobs).toHaveLength(1);
    const stored = await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: placed.id });
    expect([stored.status, stored.labId, stored.version]).toEqual(["ASSIGNED", "LAB01", 1]);
  });
});

describe("idempotency", () => {
  it("gives the same order for the same key and input, and refuses the key with another input", async () => {
    const input = pickup("SP02", [a4(4, [photo])]);
    const first = await c.gql(PLACE, { input, key: "idem-42" }, t.customer);
    const second = await c.gql(PLACE, { input, key: "idem-42" }, t.customer);
    expect(second.data!.placeOrder.order.id).toBe(first.data!.placeOrder.order.id);
    const before = await c.ds.getRepository(OrderEntity).count();
    const other = await c.gql(PLACE, { input: pickup("SP02", [a4(5, [photo])]), key: "idem-42" }, t.customer);
    expect(other.data!.placeOrder).toEqual({
      order: null,
      errors: [{ code: "IDEMPOTENCY_KEY_REUSED", message: "This idempotencyKey was used for a different order", field: ["idempotencyKey"] }],
    });
    // Keys are per user: bob's same key is a new order.
    const bobs = await c.gql(PLACE, { input: pickup("SP02", [a4(4, [otherPhoto])]), key: "idem-42" }, t.bob);
    expect(bobs.data!.placeOrder.errors).toEqual([]);
    expect(await c.ds.getRepository(OrderEntity).count()).toBe(before + 1);
  });

  it("lets concurrent requests with one key make one order", async () => {
    const input = pickup("SP01", [a4(6, [photo])]);
    const results = await Promise.all(Array.from({ length: 6 }, () => c.gql(PLACE, { input, key: "race-1" }, t.customer)));
    const ids = new Set(results.map((r) => r.data!.placeOrder.order?.id));
    expect(ids.size).toBe(1);
    expect(await c.ds.getRepository(OrderEntity).count({ where: { idempotencyKey: "race-1" } })).toBe(1);
  });
});

describe("assignment", () => {
  it("uses a named lab that can print the order", async () => {
    const order = await placeAndConfirm({ labId: "LAB02", fulfilment: { method: "PICKUP" }, subOrders: [a4(2, [photo])] });
    expect(order).toMatchObject({ shopId: "SP02", labId: "LAB02" });
    const admin = await c.gql(`query($id: ID!) { order(id: $id) { assignment { rule chosenLabId notes } } }`, { id: order.id }, t.groupA);
    expect(admin.data!.order.assignment).toMatchObject({ rule: "NAMED_LAB", chosenLabId: "LAB02" });
  });

  it("refuses a named lab that cannot print the order, saying why", async () => {
    const r = await c.gql(PLACE, { input: { labId: "LAB03", fulfilment: { method: "PICKUP" }, subOrders: [cards(2)] } }, t.customer);
    expect(r.data!.placeOrder.order).toBeNull();
    expect(r.data!.placeOrder.errors[0]).toMatchObject({ code: "LAB_CANNOT_PRINT", field: ["input", "labId"] });
    expect(r.data!.placeOrder.errors[0].message).toContain("SV02");
    const unknown = await c.gql(PLACE, { input: { labId: "LAB99", subOrders: [a4(1)] } }, t.customer);
    expect(unknown.data!.placeOrder.errors[0]).toMatchObject({ code: "UNKNOWN_LAB", field: ["input", "labId"] });
  });

  it("prints a pickup at the named shop's labs and needs a shop for it", async () => {
    expect(await placeAndConfirm(pickup("SP04", [a4(1, [photo])]))).toMatchObject({ shopId: "SP04", labId: "LAB04" });
    const none = await c.gql(PLACE, { input: pickup(null, [a4(1, [photo])]) }, t.customer);
    expect(none.data!.placeOrder.errors[0]).toMatchObject({ code: "PICKUP_NEEDS_SHOP", field: ["input", "shopId"] });
  });

  it("ranks deliveries by distance, stores the candidates and reasons, and prices at the chosen lab's shop", async () => {
    const input = { fulfilment: { method: "DELIVERY", address: { country: "JP", postalCode: "530-0001", location: OSAKA } }, subOrders: [a4(5, [photo])] };
    const order = await placeAndConfirm(input);
    expect(order).toMatchObject({ shopId: "SP03", labId: "LAB03" });
    // SG02 prices A4 at 9/sheet (no P01 in its template): 45, where SG01 would charge 150 + 50.
    expect(order.total).toBe(45);
    const admin = await c.gql(
      `query($id: ID!) { order(id: $id) { assignment { rule chosenLabId notes candidates { labId reasons } rejected { labId reasons } } } }`,
      { id: order.id },
      t.center,
    );
    const a = admin.data!.order.assignment;
    expect(a.rule).toBe("RANKED");
    expect(a.candidates[0].labId).toBe("LAB03");
    expect(a.candidates[0].reasons.join(" ")).toMatch(/km/);
    // LAB04 does pickups only.
    expect(a.rejected).toContainEqual({ labId: "LAB04", reasons: [expect.stringMatching(/DELIVERY/)] });
    // The other shops' admins do not see it at all; SG02's does.
    expect((await c.gql(`query($id: ID!) { order(id: $id) { id } }`, { id: order.id }, t.groupA)).data!.order).toBeNull();
    expect((await c.gql(`query($id: ID!) { order(id: $id) { assignment { rule } } }`, { id: order.id }, t.groupB)).data!.order.assignment.rule).toBe("RANKED");
  });

  it("needs an address for a delivery", async () => {
    const r = await c.gql(PLACE, { input: { fulfilment: { method: "DELIVERY" }, subOrders: [a4(1)] } }, t.customer);
    expect(r.data!.placeOrder.errors).toEqual([expect.objectContaining({ code: "DELIVERY_NEEDS_ADDRESS", field: ["input", "fulfilment", "address"] })]);
  });

  it("sends express orders to express labs only, and orders to labs that offer every service", async () => {
    const express = {
      fulfilment: { method: "DELIVERY", speed: "EXPRESS", address: { country: "JP", postalCode: "530-0001", location: OSAKA } },
      subOrders: [a4(1, [photo])],
    };
    expect(await placeAndConfirm(express)).toMatchObject({ labId: "LAB01" });
    const stickers = {
      fulfilment: { method: "DELIVERY", address: { country: "JP", postalCode: "530-0001", location: OSAKA } },
      subOrders: [{ serviceId: "SV03", sheets: 1, items: [] }],
    };
    expect(await placeAndConfirm(stickers)).toMatchObject({ labId: "LAB01" });
  });

  it("keeps the handover the customer gave on the order: method, speed, address and recipient", async () => {
    const FULFILMENT = `query($id: ID!) { order(id: $id) { id fulfilment { method speed address { country postalCode region city line1 line2 recipient } } } }`;
    const address = {
      country: "JP",
      postalCode: "530-0001",
      region: "Osaka",
      city: "Kita-ku",
      line1: "1-1 Umeda",
      line2: "Room 2",
      recipient: "Alice Example",
    };
    const delivered = await placeAndConfirm({
      labId: "LAB01",
      fulfilment: { method: "DELIVERY", speed: "EXPRESS", address: { ...address, location: OSAKA } },
      subOrders: [a4(1, [photo])],
    });
    const expected = { id: delivered.id, fulfilment: { method: "DELIVERY", speed: "EXPRESS", address } };
    for (const token of [t.customer, t.groupA, t.center, LAB01_KEY]) {
      expect((await c.gql(FULFILMENT, { id: delivered.id }, token)).data!.order).toEqual(expected);
    }
    // Another lab does not see the order at all.
    expect((await c.gql(FULFILMENT, { id: delivered.id }, LAB02_KEY)).data!.order).toBeNull();

    const picked = await placeAndConfirm(pickup("SP01", [a4(1, [photo])]));
    expect((await c.gql(FULFILMENT, { id: picked.id }, t.customer)).data!.order).toEqual({
      id: picked.id,
      fulfilment: { method: "PICKUP", speed: "STANDARD", address: null },
    });
  });

  it("lets a named lab win over distance and load", async () => {
    await c.ds.getRepository(LabEntity).update({ id: "LAB01" }, { loadUtilisation: 3, loadReportedAt: new Date() });
    const far = {
      labId: "LAB01",
      fulfilment: { method: "DELIVERY", address: { country: "JP", postalCode: "530-0001", location: OSAKA } },
      subOrders: [a4(1, [photo])],
    };
    expect(await placeAndConfirm(far)).toMatchObject({ labId: "LAB01" });
    await c.ds.getRepository(LabEntity).update({ id: "LAB01" }, { loadUtilisation: null, loadReportedAt: null });
  });

  it("sends orders to the customer's home shop when they name neither shop nor lab", async () => {
    const set = await c.gql(`mutation { setHomeShop(shopId: "SP02") { homeShopId errors { code } } }`, {}, t.bob);
    expect(set.data!.setHomeShop).toEqual({ homeShopId: "SP02", errors: [] });
    const order = await placeAndConfirm({ fulfilment: { method: "PICKUP" }, subOrders: [a4(1, [otherPhoto])] }, t.bob);
    expect(order).toMatchObject({ shopId: "SP02", labId: "LAB02" });
    const named = await placeAndConfirm(pickup("SP01", [a4(1, [otherPhoto])]), t.bob);
    expect(named.shopId).toBe("SP01");
    const bad = await c.gql(`mutation { setHomeShop(shopId: "SP99") { homeShopId errors { code field } } }`, {}, t.bob);
    expect(bad.data!.setHomeShop).toEqual({ homeShopId: null, errors: [{ code: "UNKNOWN_SHOP", field: ["shopId"] }] });
  });
});

describe("two-phase pick", () => {
  // The ranking puts labs heard from lately (online) first: start from every lab offline, whatever
  // earlier tests' lab keys did, so that distance alone orders these candidates.
  beforeAll(async () => {
    await c.ds.getRepository(LabEntity).createQueryBuilder().update().set({ lastSeenAt: null }).execute();
    c.server.services.assignment.forget(); // the ranking's lab list is read again, without the last-seen times
  });

  it("shows the capable labs best first with their quotes, then takes the customer's choice", async () => {
    const input = { fulfilment: { method: "DELIVERY", address: { country: "JP", postalCode: "100-0005", location: TOKYO } }, subOrders: [a4(5, [photo])] };
    const r = await c.gql(
      `query($input: OrderInput!) { labCandidates(input: $input) { labId shopId distanceKm load reasons quote { shopId total } } }`,
      { input },
      t.customer,
    );
    const list = r.data!.labCandidates as Array<{ labId: string; shopId: string; distanceKm: number; quote: { shopId: string; total: number } }>;
    expect(list.map((l) => l.labId)).toEqual(["LAB01", "LAB02", "LAB03"]);
    expect(list[0].distanceKm).toBeLessThan(1);
    expect(list[2].distanceKm).toBeGreaterThan(390);
    expect(list.map((l) => l.quote.total)).toEqual([200, 200, 45]);
    const chosen = await placeAndConfirm({ ...input, labId: "LAB03" });
    expect(chosen).toMatchObject({ labId: "LAB03", shopId: "SP03", total: 45 });
    // The stored decision says how many labs it left out (none here).
    const admin = await c.gql(
      `query($id: ID!) { order(id: $id) { assignment { candidatesOmitted rejectedOmitted rejected { labId } } } }`,
      { id: chosen.id },
      t.center,
    );
    expect(admin.data!.order.assignment).toMatchObject({ candidatesOmitted: 0, rejectedOmitted: 0 });
  });

  it("answers at most `first` candidates (default 20, at most 100) and refuses other counts naming the field", async () => {
    const input = { fulfilment: { method: "DELIVERY", address: { country: "JP", postalCode: "100-0005", location: TOKYO } }, subOrders: [a4(5, [photo])] };
    const Q = `query($input: OrderInput!, $first: Int) { labCandidates(input: $input, first: $first) { labId } }`;
    expect((await c.gql(Q, { input, first: 2 }, t.customer)).data!.labCandidates).toEqual([{ labId: "LAB01" }, { labId: "LAB02" }]);
    for (const first of [0, 101]) {
      const r = await c.gql(Q, { input, first }, t.customer);
      expect(r.data).toBeNull();
      expect(r.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
      expect(r.errors![0].message).toBe(`INVALID_FIRST: first must be 1 to 100, got ${first}`);
    }
  });
});

describe("reassignment", () => {
  it("moves a queued order to another capable lab in scope; both labs' jobs follow", async () => {
    const order = await placeAndConfirm(pickup("SP01", [a4(2, [photo]), cards(1, [photo])]));
    const MOVE = `mutation($id: ID!, $lab: ID!) { reassignOrder(orderId: $id, labId: $lab) { order { labId status shopId assignment { rule notes } } errors { code message field } } }`;
    expect((await c.gql(MOVE, { id: order.id, lab: "LAB02" }, t.customer)).errors![0].extensions!.code).toBe("FORBIDDEN");
    expect((await c.gql(MOVE, { id: order.id, lab: "LAB02" }, t.groupB)).errors![0].extensions!.code).toBe("FORBIDDEN");
    const incapable = await c.gql(MOVE, { id: order.id, lab: "LAB04" }, t.center);
    expect(incapable.data!.reassignOrder.errors[0]).toMatchObject({ code: "LAB_CANNOT_PRINT", field: ["labId"] });
    expect(await jobsOf(order.id)).toHaveLength(1);

    const moved = await c.gql(MOVE, { id: order.id, lab: "LAB02" }, t.groupA);
    expect(moved.data!.reassignOrder.errors).toEqual([]);
    expect(moved.data!.reassignOrder.order).toMatchObject({ labId: "LAB02", status: "ASSIGNED", shopId: "SP01", assignment: { rule: "REASSIGNED" } });
    const jobs = await jobsOf(order.id);
    expect(jobs.map((j) => [j.labId, j.status])).toEqual([
      ["LAB01", "FAILED"],
      ["LAB02", "QUEUED"],
    ]);
    expect(jobs[0].lastError).toBe("reassigned to lab LAB02");
  });

  it("refuses to move an order that is printing", async () => {
    const order = await placeAndConfirm(pickup("SP01", [a4(2, [photo])]));
    await c.ds.getRepository(PrintJobEntity).update({ orderId: order.id }, { status: "LEASED" });
    await c.ds.getRepository(OrderEntity).update({ id: order.id }, { status: "PRINTING" });
    const r = await c.gql(`mutation($id: ID!) { reassignOrder(orderId: $id, labId: "LAB02") { errors { code } } }`, { id: order.id }, t.center);
    expect(r.data!.reassignOrder.errors).toEqual([{ code: "ILLEGAL_TRANSITION" }]);
    const cancel = await c.gql(`mutation($id: ID!) { cancelOrder(orderId: $id) { errors { code } } }`, { id: order.id }, t.customer);
    expect(cancel.data!.cancelOrder.errors).toEqual([{ code: "ILLEGAL_TRANSITION" }]);
  });

  it("cancels an assigned order and withdraws its queued job", async () => {
    const order = await placeAndConfirm(pickup("SP01", [a4(2, [photo])]));
    const r = await c.gql(`mutation($id: ID!) { cancelOrder(orderId: $id) { order { status } errors { code } } }`, { id: order.id }, t.shop1);
    expect(r.data!.cancelOrder).toEqual({ order: { status: "CANCELLED" }, errors: [] });
    expect((await jobsOf(order.id)).map((j) => j.status)).toEqual(["FAILED"]);
    const other = await placeAndConfirm(pickup("SP01", [a4(2, [photo])]));
    expect((await c.gql(`mutation($id: ID!) { cancelOrder(orderId: $id) { errors { code } } }`, { id: other.id }, t.shop2)).errors![0].extensions!.code).toBe(
      "FORBIDDEN",
    );
    expect((await c.gql(`mutation($id: ID!) { cancelOrder(orderId: $id) { errors { code } } }`, { id: other.id }, t.bob)).data!.cancelOrder.errors).toEqual([
      { code: "NOT_FOUND" },
    ]);
  });
});

describe("bad input", () => {
  const cases: Array<[string, () => object, string, Array<string | number>]> = [
    ["an unknown image", () => pickup("SP01", [a4(1, ["IMG-nope"])]), "UNKNOWN_IMAGE", ["input", "subOrders", "0", "items", "0", "imageId"]],
    ["someone else's image", () => pickup("SP01", [a4(1, [photo, otherPhoto])]), "FOREIGN_IMAGE", ["input", "subOrders", "0", "items", "1", "imageId"]],
    [
      "an unknown service",
      () => pickup("SP01", [{ serviceId: "SV99", sheets: 1, items: [] }]),
      "SERVICE_NOT_OFFERED",
      ["input", "subOrders", "0", "serviceId"],
    ],
    ["an unknown shop", () => pickup("SP99", [a4(1)]), "UNKNOWN_SHOP", ["input", "shopId"]],
    ["sheets below 1", () => pickup("SP01", [a4(0)]), "INVALID_SHEETS", ["input", "subOrders", "0", "sheets"]],
    ["absurdly many sheets", () => pickup("SP01", [a4(5_000_000)]), "TOO_MANY_SHEETS", ["input", "subOrders", "0", "sheets"]],
    ["no sub-orders", () => pickup("SP01", []), "EMPTY_ORDER", ["input", "subOrders"]],
    [
      "too many items",
      () => pickup("SP01", [a4(1, Array(600).fill("IMG-C01")), cards(1, Array(600).fill("IMG-C01"))]),
      "TOO_MANY_ITEMS",
      ["input", "subOrders"],
    ],
  ];
  for (const [what, input, code, field] of cases) {
    it(`refuses ${what} (${code}) and writes nothing`, async () => {
      const before = [
        await c.ds.getRepository(OrderEntity).count(),
        await c.ds.getRepository(SubOrderEntity).count(),
        await c.ds.getRepository(OrderItemEntity).count(),
      ];
      const r = await c.gql(PLACE, { input: input() }, t.customer);
      expect(r.data!.placeOrder.order).toBeNull();
      expect(r.data!.placeOrder.errors).toContainEqual(expect.objectContaining({ code, field: field.map(String) }));
      expect([
        await c.ds.getRepository(OrderEntity).count(),
        await c.ds.getRepository(SubOrderEntity).count(),
        await c.ds.getRepository(OrderItemEntity).count(),
      ]).toEqual(before);
    });
  }

  it("keeps orders to people: a lab cannot place one", async () => {
    const r = await c.gql(PLACE, { input: pickup("SP01", [a4(1)]) }, LAB01_KEY);
    expect(r.errors![0].extensions!.code).toBe("FORBIDDEN");
    expect((await c.gql(PLACE, { input: pickup("SP01", [a4(1)]) })).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });
});

describe("reading orders", () => {
  const ORDERS = `query($first: Int, $after: String, $filter: OrderFilter) { orders(first: $first, after: $after, filter: $filter) { edges { cursor node { id shopId labId status customerUserId subOrders { id items { imageId } } } } pageInfo { hasNextPage endCursor } } }`;
  const allIds = async (token: string, filter: object = {}) => {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r: any = await c.gql(ORDERS, { first: 7, after, filter }, token);
      ids.push(...r.data.orders.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!r.data.orders.pageInfo.hasNextPage) return ids;
      after = r.data.orders.pageInfo.endCursor;
    }
  };

  it("shows each caller the orders of their scope, paged by cursor", async () => {
    const all = await c.ds.getRepository(OrderEntity).find({ order: { placedAt: "DESC", id: "DESC" } });
    expect(await allIds(t.center)).toEqual(all.map((o) => o.id));
    expect(await allIds(t.customer)).toEqual(all.filter((o) => o.customerUserId === "U100").map((o) => o.id));
    expect(await allIds(t.bob)).toEqual(all.filter((o) => o.customerUserId === "U101").map((o) => o.id));
    expect(await allIds(t.shop1)).toEqual(all.filter((o) => o.shopId === "SP01").map((o) => o.id));
    expect(await allIds(t.groupA)).toEqual(all.filter((o) => o.shopGroupId === "SG01").map((o) => o.id));
    expect(await allIds(t.groupB)).toEqual(all.filter((o) => o.shopGroupId === "SG02").map((o) => o.id));
    const lab2Jobs = await c.ds.getRepository(PrintJobEntity).find({ where: { labId: "LAB02" } });
    const lab2Orders = new Set(lab2Jobs.map((j) => j.orderId));
    expect(await allIds(LAB02_KEY)).toEqual(all.filter((o) => lab2Orders.has(o.id)).map((o) => o.id));
    expect(await allIds(t.center, { status: ["CANCELLED"] })).toEqual(all.filter((o) => o.status === "CANCELLED").map((o) => o.id));
    expect(await allIds(t.center, { labId: "LAB03" })).toEqual(all.filter((o) => o.labId === "LAB03").map((o) => o.id));
    const bad = await c.gql(ORDERS, { first: 5, after: "not-a-cursor" }, t.center);
    expect(bad.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    // A customer cannot read another's order by id.
    const bobsOrder = all.find((o) => o.customerUserId === "U101")!;
    expect((await c.gql(`query($id: ID!) { order(id: $id) { id } }`, { id: bobsOrder.id }, t.customer)).data!.order).toBeNull();
  });

  it("costs a constant number of queries for a page, whatever its size (no N+1)", async () => {
    // Enough orders for a page of 50.
    const existing = await c.ds.getRepository(OrderEntity).count({ where: { customerUserId: "U100" } });
    for (let i = existing; i < 55; i++) {
      const r = await c.gql(PLACE, { input: pickup("SP01", [a4(1 + (i % 3), [photo, "IMG-C01"]), cards(2, [photo])]) }, t.customer);
      expect(r.data!.placeOrder.errors).toEqual([]);
    }
    const cost = async (first: number) =>
      (
        await leastStatements(2, async () => {
          const r = await c.gql(ORDERS, { first }, t.customer);
          expect(r.data!.orders.edges).toHaveLength(first);
          expect(r.data!.orders.edges.every((e: any) => e.node.subOrders.length > 0)).toBe(true);
        })
      ).count;
    const small = await cost(5);
    const large = await cost(50);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(4); // the user, the page, its sub-orders, their items
  });
});

describe("what an order costs", () => {
  const LOAD = `mutation($input: LabLoadInput!) { reportLabLoad(input: $input) { accepted errors { code } } }`;
  const ASSIGNMENT = `query($id: ID!) { order(id: $id) { assignment { candidates { labId load } } } }`;

  it("places in 6 statements and confirms (its cost: test/dispatch/print-job-store), ranking a lab list read once and dropped when a lab reports its load", async () => {
    const assignment = c.server.services.assignment;
    const saved = assignment.maxAgeMs;
    assignment.maxAgeMs = 60_000; // only invalidations drop the list during this test
    try {
      assignment.forget();
      const input = pickup("SP01", [a4(2, [photo, "IMG-C01"]), cards(3, [photo])]);
      await placeAndConfirm(input); // reads the lab list; the user and the price book are cached too
      const loads = assignment.stats.loads;
      // The image check; begin; the order, its sub-orders, its items; commit. No read-back of what
      // was inserted (the answer's sub-orders and items included), no idempotency pre-read, no lab
      // list, no shop row, no charged-image lookup (IMG-C01 is one: the price book knows it).
      const place = await leastStatements(3, (i) => c.gql(PLACE, { input, key: `cost-${i}` }, t.customer));
      for (const placed of place.results) {
        expect(placed.data!.placeOrder.errors).toEqual([]);
        expect(placed.data!.placeOrder.order.subOrders).toEqual([
          {
            id: `${placed.data!.placeOrder.order.id}:1`,
            number: 1,
            serviceId: "SV01",
            sheets: 2,
            items: [
              { id: expect.any(String), imageId: photo },
              { id: expect.any(String), imageId: "IMG-C01" },
            ],
          },
          { id: `${placed.data!.placeOrder.order.id}:2`, number: 2, serviceId: "SV02", sheets: 3, items: [{ id: expect.any(String), imageId: photo }] },
        ]);
      }
      expect(place.count).toBe(6);
      // The order is confirmed from this process's memory of it; the services come from the frozen quote.
      const orders = place.results.map((r) => r.data!.placeOrder.order);
      const lean = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId confirmedAt } errors { code message field } } }`;
      for (const order of orders) {
        const confirmed = await c.gql(lean, { id: order.id, total: order.total }, t.customer);
        expect(confirmed.data!.confirmOrder.errors).toEqual([]);
        expect(confirmed.data!.confirmOrder.order).toMatchObject({ status: "ASSIGNED", labId: "LAB01" });
      }
      expect(assignment.stats.loads).toBe(loads);
      // The same key again: answered from the stored order (the unique index found the key).
      const again = await c.gql(PLACE, { input, key: "cost-0" }, t.customer);
      expect(again.data!.placeOrder.order.id).toBe(orders[0].id);
      expect(await c.ds.getRepository(OrderEntity).count({ where: { idempotencyKey: "cost-0" } })).toBe(1);

      // A load report drops the list: the next order ranks with the reported load.
      expect((await c.gql(LOAD, { input: { queuedJobs: 4, queuedSheets: 40, utilisation: 0.75 } }, LAB01_KEY)).data!.reportLabLoad).toEqual({
        accepted: true,
        errors: [],
      });
      const next = await placeAndConfirm(input);
      expect(assignment.stats.loads).toBe(loads + 1);
      const explained = await c.gql(ASSIGNMENT, { id: next.id }, t.center);
      expect(explained.data!.order.assignment.candidates).toContainEqual({ labId: "LAB01", load: 0.75 });
      // A lab changed by an admin drops it too.
      const renamed = await c.gql(`mutation { updateLab(id: "LAB01", input: { name: "Lab one" }) { errors { code } } }`, {}, t.center);
      expect(renamed.data!.updateLab.errors).toEqual([]);
      await placeAndConfirm(input);
      expect(assignment.stats.loads).toBe(loads + 2);
    } finally {
      assignment.maxAgeMs = saved;
    }
  });
});

describe("the catalog keeps what orders name", () => {
  it("refuses to delete a shop or a service that orders name (IN_USE, naming them)", async () => {
    // An order at SP04; then the shop's lab and admin go, so that only the order holds the shop.
    const placed = await c.gql(PLACE, { input: pickup("SP04", [a4(1, [photo])]) }, t.customer);
    expect(placed.data!.placeOrder.errors).toEqual([]);
    await c.ds.getRepository(PrintJobEntity).delete({ labId: "LAB04" });
    await c.ds.getRepository(LabEntity).delete({ id: "LAB04" });
    await c.gql(`mutation { updateUser(id: "U004", input: { role: GENERAL_USER }) { errors { code } } }`, {}, t.center);
    const shop = await c.gql(`mutation { deleteShop(id: "SP04") { shop { id } errors { code message } } }`, {}, t.center);
    expect(shop.data!.deleteShop.shop).toBeNull();
    expect(shop.data!.deleteShop.errors[0].code).toBe("IN_USE");
    expect(shop.data!.deleteShop.errors[0].message).toMatch(/^Shop SP04 is still used by orders [0-9a-f-]{36}/);
    const service = await c.gql(`mutation { deleteService(id: "SV03") { service { id } errors { code message } } }`, {}, t.center);
    expect(service.data!.deleteService.errors[0].message).toMatch(/orders [0-9a-f-]{36}/);
  });
});

describe("the lab is told", () => {
  const SUB = "subscription { printJobs { job { id orderId labId status attempts order { id shopId subOrders { serviceId sheets } } } } }";
  type Ev = { printJobs: { job: { id: string; orderId: string; labId: string; status: string; order: { id: string; shopId: string } } } };

  it("sends a lab its backlog on subscribe, then each job it is given after commit, and nothing of other labs", async () => {
    const queued = await c.ds.getRepository(PrintJobEntity).find({ where: { labId: "LAB02", status: "QUEUED" }, order: { createdAt: "ASC", id: "ASC" } });
    expect(queued.length).toBeGreaterThan(0);
    const client = c.ws(LAB02_KEY);
    const events: Ev[] = [];
    const dispose = client.subscribe<Ev>(
      { query: SUB },
      {
        next: (v) => events.push(v.data as Ev),
        error: (e) => {
          throw e;
        },
        complete: () => undefined,
      },
    );
    const waitFor = (n: number) => waitUntil(`${n} jobs sent to LAB02`, () => events.length >= n, { detail: () => `${events.length} sent` });
    await waitFor(queued.length);
    expect(events.map((e) => e.printJobs.job.id)).toEqual(queued.map((j) => j.id));

    await placeAndConfirm(pickup("SP01", [a4(1, [photo])])); // LAB01's: not sent to LAB02
    const mine = await placeAndConfirm(pickup("SP02", [a4(1, [photo])]));
    await waitFor(queued.length + 1);
    const last = events[events.length - 1].printJobs.job;
    expect(events).toHaveLength(queued.length + 1);
    expect(last).toMatchObject({ orderId: mine.id, labId: "LAB02", status: "QUEUED", order: { id: mine.id, shopId: "SP02" } });
    dispose();

    // The job's order is readable by its lab only.
    const q = `query($id: ID!) { printJob(id: $id) { id labId order { id } } }`;
    expect((await c.gql(q, { id: last.id }, LAB02_KEY)).data!.printJob).toEqual({ id: last.id, labId: "LAB02", order: { id: mine.id } });
    expect((await c.gql(q, { id: last.id }, LAB01_KEY)).data!.printJob).toBeNull();
    expect((await c.gql(q, { id: last.id }, t.center)).errors![0].extensions!.code).toBe("FORBIDDEN");
  });

  it("counts a lab online while it holds the subscription, and not once it leaves", async () => {
    const presence = c.server.services.presence;
    expect(presence.isConnectedHere("LAB03")).toBe(false);
    const client = c.ws("lab03-key-0123456789abcdef");
    const dispose = client.subscribe({ query: SUB }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    const until = async (want: boolean) => {
      await waitUntil(`LAB03 ${want ? "connected" : "gone"}`, () => presence.isConnectedHere("LAB03") === want);
      return presence.isConnectedHere("LAB03");
    };
    expect(await until(true)).toBe(true);
    // The stream counts the lab connected first, then writes its last-seen time: await that write.
    const seen = await waitUntil("LAB03's last-seen time", async () => (await c.ds.getRepository(LabEntity).findOneByOrFail({ id: "LAB03" })).lastSeenAt);
    expect(seen).toBeInstanceOf(Date);
    dispose();
    await client.dispose();
    // No ring comes for LAB03: the stream must end on the disconnect itself.
    expect(await until(false)).toBe(false);
  });

  it("refuses the printJobs subscription to people", async () => {
    await expect(nextEvent(c.ws(t.center), SUB).value).rejects.toThrow(/FORBIDDEN/);
    await expect(nextEvent(c.ws(null), SUB).value).rejects.toThrow(/UNAUTHENTICATED/);
  });
});
