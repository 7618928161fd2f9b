/**
 * Lab assignment as the center knows it (issue 23, points 1, 2 and 7; seed 000 claims 3 and 6,
 * seed 001 claims 3, 5 and 6), end to end through the public API: a burst of orders spread over a
 * shop's labs by the sheets the center has queued there, their capacity and their distance; the
 * content rules (design templates held, the largest order a lab takes) with their reasons; and the
 * customer's home lab, set by the customer or by an admin in scope.
 */
import { createHash, randomBytes } from "node:crypto";
import { startCenter, type TestCenter } from "../support/center";
import { makePng, uploadPng } from "../support/images";
import { authzMatrix } from "../support/authz-matrix";
import { LabEntity } from "../../src/labs/lab.entity";
import { UserEntity } from "../../src/identity/user.entity";

let c: TestCenter;
const t: Record<string, string> = {};
let photo: string;
let farKey: string;

// The delivery address, a lab 0.7 km from it and one 28.9 km away (Yokohama).
const TOKYO = { lat: 35.6812, lng: 139.7671 };
const NEAR = { lat: 35.6812, lng: 139.7748 };
const YOKOHAMA = { lat: 35.4437, lng: 139.638 };
const ADDRESS = { country: "JP", postalCode: "100-0005", location: TOKYO };

const ERR = "errors { code message field }";
const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total shopId } ${ERR} } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId } ${ERR} } }`;
const ASSIGNMENT = `query($id: ID!) { order(id: $id) { shopId labId assignment { rule chosenLabId notes candidates { labId sheetsAhead hoursToPrint loadSource load reasons } rejected { labId reasons } } } }`;
const CANDIDATES = `query($input: OrderInput!) { labCandidates(input: $input) { labId sheetsAhead hoursToPrint loadSource load reasons } }`;
const SET_HOME_LAB = `mutation($labId: ID, $userId: ID) { setHomeLab(labId: $labId, userId: $userId) { homeLabId userId ${ERR} } }`;

const LAB = (id: string, location: { lat: number; lng: number }, capacity: number, extra: object = {}) => ({
  id,
  name: `Lab ${id}`,
  shopId: "SP09",
  serviceIds: ["SV01"],
  fulfilment: ["PICKUP", "DELIVERY"],
  capacitySheetsPerHour: capacity,
  location,
  ...extra,
});

/** An order of `sheets` A4 sheets at shop SP09 (unless told otherwise), delivered to the Tokyo address. */
const delivery = (sheets: number, extra: object = {}, items?: object[]) => ({
  shopId: "SP09",
  fulfilment: { method: "DELIVERY", address: ADDRESS },
  subOrders: [{ serviceId: "SV01", sheets, items: items ?? [{ imageId: photo }] }],
  ...extra,
});

async function place(input: object, token = t.customer) {
  const placed = await c.gql(PLACE, { input }, token);
  expect(placed.data!.placeOrder.errors).toEqual([]);
  return placed.data!.placeOrder.order as { id: string; total: number; shopId: string };
}

async function placeAndConfirm(input: object, token = t.customer) {
  const order = await place(input, token);
  const confirmed = await c.gql(CONFIRM, { id: order.id, total: order.total }, token);
  expect(confirmed.data!.confirmOrder.errors).toEqual([]);
  return confirmed.data!.confirmOrder.order as { id: string; status: string; labId: string };
}

const assignmentOf = async (orderId: string) => (await c.gql(ASSIGNMENT, { id: orderId }, t.center)).data!.order;

beforeAll(async () => {
  c = await startCenter();
  t.center = await c.login("center", "center-pass-1");
  t.customer = await c.login("customer", "customer-pass");
  t.groupA = await c.login("group-a", "group-a-pass");
  t.groupB = await c.login("group-b", "group-b-pass");
  t.shop1 = await c.login("shop-1", "shop-1-pass");
  const bob = await c.gql(
    `mutation { createUser(input: { id: "U101", login: "home-bob", name: "Bob", password: "bob-password", role: GENERAL_USER }) { errors { code } } }`,
    {},
    t.center,
  );
  expect(bob.data!.createUser.errors).toEqual([]);
  t.bob = await c.login("home-bob", "bob-password");
  photo = (await uploadPng(c.url, t.customer, 1)).id;
  // A shop of group A (its template offers SV01) with two labs of its own and no daemon connected.
  const shop = await c.gql(
    `mutation($input: CreateShopInput!) { createShop(input: $input) { ${ERR} } }`,
    {
      input: { id: "SP09", name: "Burst shop", shopGroupId: "SG01" },
    },
    t.center,
  );
  expect(shop.data!.createShop.errors).toEqual([]);
  for (const lab of [LAB("LBN", NEAR, 1200), LAB("LBF", YOKOHAMA, 600)]) {
    const made = await c.gql(`mutation($input: CreateLabInput!) { createLab(input: $input) { ${ERR} } }`, { input: lab }, t.center);
    expect(made.data!.createLab.errors).toEqual([]);
  }
  const key = await c.gql(`mutation { createLabApiKey(labId: "LBF", label: "far") { key ${ERR} } }`, {}, t.center);
  expect(key.data!.createLabApiKey.errors).toEqual([]);
  farKey = key.data!.createLabApiKey.key;
});
afterAll(async () => {
  await c?.stop();
});

describe("load as the center knows it", () => {
  it("spreads a burst of 500-sheet orders over a 1,200/h lab 0.7 km away and a 600/h lab 28.9 km away, 4:2, order by order", async () => {
    const labs: string[] = [];
    for (let i = 0; i < 6; i++) labs.push((await placeAndConfirm(delivery(500))).labId);
    // NEAR scores 0.7 + (queued + 500) / 1200 x 100, FAR 28.9 + (queued + 500) / 600 x 100.
    expect(labs).toEqual(["LBN", "LBN", "LBF", "LBN", "LBN", "LBF"]);

    // The next order's candidates show what each lab has queued (and leased) and the estimate.
    const candidates = (await c.gql(CANDIDATES, { input: delivery(500) }, t.customer)).data!.labCandidates;
    expect(
      candidates.map((x: { labId: string; sheetsAhead: number; hoursToPrint: number; loadSource: string; load: number | null }) => [
        x.labId,
        x.sheetsAhead,
        x.hoursToPrint,
        x.loadSource,
        x.load,
      ]),
    ).toEqual([
      ["LBN", 2000, 2500 / 1200, "QUEUE", null],
      ["LBF", 1000, 1500 / 600, "QUEUE", null],
    ]);
    expect(candidates[1].reasons).toEqual([
      "at shop SP09 named by the customer",
      "28.9 km from the delivery address",
      "about 2 h 30 min to print: 1000 sheets ahead + 500 at 600 sheets/h (the center's queue: never reported)",
      "offline: ranks last",
    ]);
  });

  it("stores the estimate with the order's explanation, and a fresh report newer than the latest job wins over the queue", async () => {
    // LBF reports an empty queue after its last job: the report wins, and the next order goes there.
    const report = await c.gql(
      `mutation($input: LabLoadInput!) { reportLabLoad(input: $input) { accepted ${ERR} } }`,
      { input: { queuedJobs: 0, queuedSheets: 0, utilisation: 0 } },
      farKey,
    );
    expect(report.data!.reportLabLoad).toEqual({ accepted: true, errors: [] });
    const order = await placeAndConfirm(delivery(500));
    expect(order.labId).toBe("LBF");
    const stored = await assignmentOf(order.id);
    expect(stored.assignment.rule).toBe("RANKED");
    const far = stored.assignment.candidates.find((x: { labId: string }) => x.labId === "LBF");
    expect([far.sheetsAhead, far.hoursToPrint, far.loadSource, far.load]).toEqual([0, 500 / 600, "REPORT", 0]);
    expect(far.reasons[2]).toMatch(/^about 50 min to print: 0 sheets ahead \+ 500 at 600 sheets\/h \(load 0\.00 reported \d+ s ago\)$/);
    // Now its report is older than the job just given to it: the center's queue (1,500 sheets) counts again.
    const next = (await c.gql(CANDIDATES, { input: delivery(500) }, t.customer)).data!.labCandidates;
    expect(next.find((x: { labId: string }) => x.labId === "LBF")).toMatchObject({ sheetsAhead: 1500, loadSource: "QUEUE", load: null });
  });
});

describe("content: hard rules with reasons", () => {
  it("sends an order naming a design template only to a lab that holds it", async () => {
    const sha = createHash("sha256").update(randomBytes(16)).digest("hex");
    const made = await c.gql(
      `mutation($input: CreateDesignTemplateInput!) { createDesignTemplate(input: $input) { ${ERR} } }`,
      {
        input: { id: "FRAME-LOAD", name: "Frame", preview: makePng(8, 6, 3).toString("base64"), sha256: sha, size: 10 },
      },
      t.center,
    );
    expect(made.data!.createDesignTemplate.errors).toEqual([]);
    const items = [{ imageId: photo, designTemplateId: "FRAME-LOAD" }];

    // No lab holds it: refused before anything is written, every lab's reason given.
    const refused = await c.gql(PLACE, { input: delivery(10, {}, items) }, t.customer);
    expect(refused.data!.placeOrder.errors).toEqual([
      { code: "NO_CAPABLE_LAB", message: expect.stringMatching(/^No lab can print this order/), field: ["input"] },
    ]);

    // LBF reports holding it: the order goes there although LBN is nearer and idle-er.
    const held = await c.gql(
      `mutation($templates: [HeldDesignTemplateInput!]!) { reportLabTemplates(templates: $templates) { ${ERR} } }`,
      { templates: [{ id: "FRAME-LOAD", sha256: sha }] },
      farKey,
    );
    expect(held.data!.reportLabTemplates.errors).toEqual([]);
    const order = await placeAndConfirm(delivery(10, {}, items));
    expect(order.labId).toBe("LBF");
    const stored = await assignmentOf(order.id);
    expect(stored.assignment.rejected).toContainEqual({ labId: "LBN", reasons: ["does not hold design template FRAME-LOAD"] });
    expect(stored.assignment.candidates.map((x: { labId: string }) => x.labId)).toEqual(["LBF"]);

    // A new file for the template: the lab's copy is old, so it holds it no more.
    const updated = await c.gql(
      `mutation($input: UpdateDesignTemplateInput!) { updateDesignTemplate(id: "FRAME-LOAD", input: $input) { ${ERR} } }`,
      {
        input: { sha256: createHash("sha256").update(randomBytes(16)).digest("hex") },
      },
      t.center,
    );
    expect(updated.data!.updateDesignTemplate.errors).toEqual([]);
    const again = await c.gql(PLACE, { input: delivery(10, {}, items) }, t.customer);
    expect(again.data!.placeOrder.errors.map((e: { code: string }) => e.code)).toEqual(["NO_CAPABLE_LAB"]);
  });

  it("keeps an order larger than a lab's declared maximum away from it, and manages the maximum", async () => {
    const LAB_FIELDS = `lab { id maxOrderSheets } ${ERR}`;
    const update = (id: string, max: number) =>
      c.gql(`mutation($id: ID!, $max: Int) { updateLab(id: $id, input: { maxOrderSheets: $max }) { ${LAB_FIELDS} } }`, { id, max }, t.center);

    expect((await update("LBN", -1)).data!.updateLab).toEqual({
      lab: null,
      errors: [
        { code: "INVALID_MAX_ORDER_SHEETS", message: "maxOrderSheets must be a whole number from 0 to 2147483647, got -1", field: ["input", "maxOrderSheets"] },
      ],
    });
    const bad = await c.gql(
      `mutation($input: CreateLabInput!) { createLab(input: $input) { ${LAB_FIELDS} } }`,
      {
        input: LAB("LBX", NEAR, 100, { maxOrderSheets: 0 }),
      },
      t.center,
    );
    expect(bad.data!.createLab.errors).toEqual([
      { code: "INVALID_MAX_ORDER_SHEETS", message: "maxOrderSheets must be a whole number from 1 to 2147483647, got 0", field: ["input", "maxOrderSheets"] },
    ]);
    expect(await c.ds.getRepository(LabEntity).findOneBy({ id: "LBX" })).toBeNull();

    // Both labs take at most 400 sheets: a 500-sheet order has nowhere to go.
    expect((await update("LBN", 400)).data!.updateLab).toEqual({ lab: { id: "LBN", maxOrderSheets: 400 }, errors: [] });
    expect((await update("LBF", 400)).data!.updateLab.errors).toEqual([]);
    const refused = await c.gql(PLACE, { input: delivery(500) }, t.customer);
    expect(refused.data!.placeOrder.errors.map((e: { code: string }) => e.code)).toEqual(["NO_CAPABLE_LAB"]);

    // LBF's limit removed (0): the order goes there, and LBN's rejection says why.
    expect((await update("LBF", 0)).data!.updateLab).toEqual({ lab: { id: "LBF", maxOrderSheets: null }, errors: [] });
    expect((await c.ds.getRepository(LabEntity).findOneByOrFail({ id: "LBF" })).maxOrderSheets).toBeNull();
    const order = await placeAndConfirm(delivery(500));
    expect(order.labId).toBe("LBF");
    expect((await assignmentOf(order.id)).assignment.rejected).toContainEqual({
      labId: "LBN",
      reasons: ["takes orders of at most 400 sheets (this one has 500)"],
    });
    // A 400-sheet order still may go to LBN.
    const small = await c.gql(CANDIDATES, { input: delivery(400) }, t.customer);
    expect(small.data!.labCandidates.map((x: { labId: string }) => x.labId)).toContain("LBN");
    expect((await c.gql(`{ lab(id: "LBN") { maxOrderSheets } }`, {}, t.center)).data!.lab).toEqual({ maxOrderSheets: 400 });
    expect((await update("LBN", 0)).data!.updateLab.errors).toEqual([]);
  });
});

describe("the home lab", () => {
  const homeLabOf = async (userId: string) => (await c.ds.getRepository(UserEntity).findOneByOrFail({ id: userId })).homeLabId;

  it("takes the customer's orders that name neither shop nor lab when it can print them, with the rule in the explanation", async () => {
    const unknown = await c.gql(SET_HOME_LAB, { labId: "NOLAB" }, t.customer);
    expect(unknown.data!.setHomeLab).toEqual({ homeLabId: null, userId: null, errors: [{ code: "UNKNOWN_LAB", message: "No lab NOLAB", field: ["labId"] }] });
    expect(await homeLabOf("U100")).toBeNull();

    expect((await c.gql(SET_HOME_LAB, { labId: "LBF" }, t.customer)).data!.setHomeLab).toEqual({ homeLabId: "LBF", userId: "U100", errors: [] });
    expect(await homeLabOf("U100")).toBe("LBF");

    // No shop, no lab: the home lab (28.9 km) wins over nearer labs elsewhere, priced at its shop.
    const order = await placeAndConfirm(delivery(10, { shopId: null }));
    expect(order.labId).toBe("LBF");
    const stored = await assignmentOf(order.id);
    expect(stored.shopId).toBe("SP09");
    expect(stored.assignment.rule).toBe("HOME_LAB");
    expect(stored.assignment.notes).toEqual(["the customer's home lab LBF of shop SP09"]);
    expect(stored.assignment.candidates.find((x: { labId: string }) => x.labId === "LBF").reasons.slice(0, 2)).toEqual([
      "the customer's home lab",
      "at shop SP09 of the customer's home lab",
    ]);

    // A named shop wins over the home lab.
    const named = await placeAndConfirm(delivery(10, { shopId: "SP01" }));
    expect(named.labId).toBe("LAB01");

    // An order the home lab cannot print (a service it does not offer) is placed as if it had none.
    const cards = await placeAndConfirm({
      fulfilment: { method: "DELIVERY", address: ADDRESS },
      subOrders: [{ serviceId: "SV02", sheets: 2, items: [{ imageId: photo }] }],
    });
    expect(cards.labId).not.toBe("LBF");
    const passed = await assignmentOf(cards.id);
    expect(passed.assignment.rule).toBe("RANKED");
    expect(passed.assignment.notes[0]).toBe("the customer's home lab LBF cannot print this order: does not offer service SV02");
    expect(passed.assignment.candidates[0].reasons[0]).toBe("the customer's home lab LBF cannot print this order: does not offer service SV02");

    expect((await c.gql(SET_HOME_LAB, { labId: null }, t.customer)).data!.setHomeLab).toEqual({ homeLabId: null, userId: "U100", errors: [] });
    expect(await homeLabOf("U100")).toBeNull();
  });

  describe("who may set it", () => {
    // SP09 is a shop of group A: its group admin and the center may set a customer's home lab there;
    // a customer sets only their own; an admin has no home lab.
    type Vars = { labId: string; userId?: string };
    const forCustomer = { op: "setHomeLab for customer U100", userId: "U100" as string | undefined };
    const forSelf = { op: "setHomeLab for oneself", userId: undefined as string | undefined };
    const cells = authzMatrix({
      operations: [forCustomer, forSelf].map(({ op, userId }) => ({
        op,
        prepare: async (): Promise<Vars> => {
          await c.ds.getRepository(UserEntity).update({ id: "U100" }, { homeLabId: null });
          await c.ds.getRepository(UserEntity).update({ id: "U101" }, { homeLabId: null });
          return userId ? { labId: "LBN", userId } : { labId: "LBN" };
        },
        send: async (v: Vars, bearer: string | null) => {
          const r = await c.gql(SET_HOME_LAB, v, bearer);
          return { code: (r.errors?.[0]?.extensions?.code as string | undefined) ?? null, value: r.data?.setHomeLab ?? null, result: r };
        },
        // The one customer allowed to set their own is Bob (U101).
        applied: async (v: Vars) => (await homeLabOf(v.userId ?? "U101")) === "LBN",
        whenAllowed: (attempt: { value?: unknown }) => {
          expect(attempt.value).toEqual({ homeLabId: "LBN", userId: userId ?? "U101", errors: [] });
        },
      })),
      callers: [
        ["anonymous", () => null, "UNAUTHENTICATED"],
        ["another customer", () => t.bob, (o) => (o.op === forSelf.op ? "allowed" : "FORBIDDEN")],
        ["a shop admin of another shop", () => t.shop1, "FORBIDDEN"],
        ["a group admin of another group", () => t.groupB, "FORBIDDEN"],
        ["the group admin", () => t.groupA, (o) => (o.op === forSelf.op ? "FORBIDDEN" : "allowed")],
        ["the center admin", () => t.center, (o) => (o.op === forSelf.op ? "FORBIDDEN" : "allowed")],
        ["a lab key", () => farKey, "FORBIDDEN"],
      ],
      snapshot: () => c.ds.getRepository(UserEntity).find({ select: { id: true, homeLabId: true }, order: { id: "ASC" } }),
    });
    for (const cell of cells) it(cell.title, cell.run);
  });
});
