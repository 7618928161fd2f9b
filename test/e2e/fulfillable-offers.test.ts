/**
 * Offers that can be fulfilled: shopOffer and quote mark each service with whether some lab can
 * print it for the shop and fulfilment method (with the reason when none can), or leave those out
 * by argument; a group's template can leave out named shops of the group (setTemplateExcludedShops),
 * with the authority of templates, read back on the template (excludedShopIds, excludedShops) by
 * whoever may read the template, in one statement for a whole list; a catalog bundle may leave out
 * only shops of the template's own group.
 */
import { leastStatements, loginPeople, startCenter, type TestCenter } from "../support/center";
import { authzMatrix, graphqlAttempt, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { TemplateExcludedShopEntity } from "../../src/catalog/template.entity";
import { exportBundle } from "../../src/catalog/bundle-export.service";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { NotificationEntity } from "../../src/notifications/notification.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";
let c: TestCenter;
const t: Record<string, string> = {};

const OFFER = `query($shopId: ID!, $fulfilment: FulfilmentMethod, $only: Boolean) {
  shopOffer(shopId: $shopId, date: "2026-05-01", fulfilment: $fulfilment, onlyFulfillable: $only) { services { serviceId templateId fulfillable unfulfillableReason } }
}`;
const QUOTE = `query($input: OrderInput!, $only: Boolean) {
  quote(input: $input, at: "2026-05-01T03:00:00Z", onlyFulfillable: $only) { quote { total subOrders { serviceId subtotal fulfillable unfulfillableReason } } errors { code field } }
}`;
const EXCLUDE = `mutation($templateId: ID!, $shopIds: [ID!]!) { setTemplateExcludedShops(templateId: $templateId, shopIds: $shopIds) { templateId excludedShopIds errors { code field } } }`;

const offer = async (shopId: string, fulfilment: string | null = null, only = false) => {
  const r = await c.gql(OFFER, { shopId, fulfilment, only }, null);
  expect(r.errors).toBeUndefined();
  return r.data!.shopOffer.services;
};
const ORDER = {
  shopId: "SP02",
  subOrders: [
    { serviceId: "SV01", sheets: 2, items: [{ imageId: "my-own-photo" }] },
    { serviceId: "SV03", sheets: 2, items: [{ imageId: "my-own-photo" }] },
  ],
};
const NO_SV03_AT_SP02 = "No lab can print service SV03 for shop SP02: lab LAB02: does not offer service SV03";
const excluded = async () =>
  (await c.ds.getRepository(TemplateExcludedShopEntity).find({ order: { templateId: "ASC", shopId: "ASC" } })).map((e) => `${e.templateId}/${e.shopId}`);

beforeAll(async () => {
  c = await startCenter();
  Object.assign(t, await loginPeople(c, ["center", "groupA", "groupB", "shop1", "shop2", "shop3", "customer"]));
});
afterAll(async () => {
  await c?.stop();
});

describe("shopOffer", () => {
  it("marks the services no lab of the shop can print, with the reason; onlyFulfillable leaves them out", async () => {
    expect(await offer("SP02")).toEqual([
      { serviceId: "SV01", templateId: "T01", fulfillable: true, unfulfillableReason: null },
      { serviceId: "SV02", templateId: "T02", fulfillable: true, unfulfillableReason: null },
      { serviceId: "SV03", templateId: "T04", fulfillable: false, unfulfillableReason: NO_SV03_AT_SP02 },
    ]);
    expect((await offer("SP02", null, true)).map((s: { serviceId: string }) => s.serviceId)).toEqual(["SV01", "SV02"]);
    expect((await offer("SP01")).every((s: { fulfillable: boolean }) => s.fulfillable)).toBe(true);
  });

  it("judges by the fulfilment method: a pickup-only lab cannot deliver", async () => {
    expect(await offer("SP04", "PICKUP")).toEqual([{ serviceId: "SV01", templateId: "T03", fulfillable: true, unfulfillableReason: null }]);
    expect(await offer("SP04", "DELIVERY")).toEqual([
      {
        serviceId: "SV01",
        templateId: "T03",
        fulfillable: false,
        unfulfillableReason: "No lab can print service SV01 for shop SP04 (DELIVERY): lab LAB04: does not do DELIVERY",
      },
    ]);
    expect(await offer("SP04", "DELIVERY", true)).toEqual([]);
  });
});

describe("quote", () => {
  it("marks each sub-order; onlyFulfillable leaves the unprintable ones out of the quote and its total", async () => {
    const marked = (await c.gql(QUOTE, { input: ORDER }, t.center)).data!.quote;
    // SV01: P01 100 + 10 x 2, P03 10 x 2 = 140; SV03: P02 300, P05 30 x 2 = 360.
    expect(marked).toEqual({
      errors: [],
      quote: {
        total: 500,
        subOrders: [
          { serviceId: "SV01", subtotal: 140, fulfillable: true, unfulfillableReason: null },
          { serviceId: "SV03", subtotal: 360, fulfillable: false, unfulfillableReason: NO_SV03_AT_SP02 },
        ],
      },
    });
    const kept = (await c.gql(QUOTE, { input: ORDER, only: true }, t.center)).data!.quote;
    expect(kept).toEqual({
      errors: [],
      quote: { total: 140, subOrders: [{ serviceId: "SV01", subtotal: 140, fulfillable: true, unfulfillableReason: null }] },
    });
  });
});

describe("setTemplateExcludedShops", () => {
  it("leaves a shop out of its group's template: it no longer offers the service, the others still do; its admins are told", async () => {
    const r = (await c.gql(EXCLUDE, { templateId: "T04", shopIds: ["SP02"] }, t.groupA)).data!.setTemplateExcludedShops;
    expect(r).toEqual({ templateId: "T04", excludedShopIds: ["SP02"], errors: [] });
    expect(await excluded()).toEqual(["T04/SP02"]);
    expect((await offer("SP02")).map((s: { serviceId: string }) => s.serviceId)).toEqual(["SV01", "SV02"]);
    expect((await offer("SP01")).map((s: { serviceId: string }) => s.serviceId)).toEqual(["SV01", "SV02", "SV03"]);
    const refused = (await c.gql(QUOTE, { input: ORDER }, t.center)).data!.quote;
    expect(refused).toEqual({ quote: null, errors: [{ code: "SERVICE_NOT_OFFERED", field: ["input", "subOrders", "1", "serviceId"] }] });
    const told = await c.ds.getRepository(NotificationEntity).find({ where: { userId: "U002", kind: "TEMPLATE_SHOPS_EXCLUDED" } });
    expect(told.map((n) => n.message)).toEqual(["Template T04 for service SV03 (shop group SG01) now leaves out shops SP02 (was none), set by group-a"]);

    const empty = (await c.gql(EXCLUDE, { templateId: "T04", shopIds: [] }, t.groupA)).data!.setTemplateExcludedShops;
    expect(empty).toEqual({ templateId: "T04", excludedShopIds: [], errors: [] });
    expect(await excluded()).toEqual([]);
    expect((await offer("SP02")).map((s: { serviceId: string }) => s.serviceId)).toEqual(["SV01", "SV02", "SV03"]);
  });

  it("refuses a shop of another group, and writes nothing", async () => {
    const r = (await c.gql(EXCLUDE, { templateId: "T04", shopIds: ["SP01", "SP03"] }, t.groupA)).data!.setTemplateExcludedShops;
    expect(r).toEqual({ templateId: null, excludedShopIds: [], errors: [{ code: "UNKNOWN_SHOP", field: ["shopIds", "1"] }] });
    expect(await excluded()).toEqual([]);
  });

  it("a catalog bundle carries a group template's left-out shops: exported, imported, checked", async () => {
    const bundle = await exportBundle(c.ds);
    const t04 = bundle.templates.find((x) => x.id === "T04")!;
    expect(t04.excludedShopIds).toBeUndefined();
    t04.excludedShopIds = ["SP02"];
    const report = await importBundle(c.ds, bundle, {});
    expect(report.faults).toEqual([]);
    expect(await excluded()).toEqual(["T04/SP02"]);
    expect((await exportBundle(c.ds)).templates.find((x) => x.id === "T04")!.excludedShopIds).toEqual(["SP02"]);
    // Imported again as it is: nothing changes; without the field: left as it is.
    delete t04.excludedShopIds;
    expect((await importBundle(c.ds, bundle, {})).faults).toEqual([]);
    expect(await excluded()).toEqual(["T04/SP02"]);
    t04.excludedShopIds = ["SP99"];
    const bad = await importBundle(c.ds, bundle, {});
    expect(bad.ok).toBe(false);
    expect(bad.faults.map((f) => [f.path, f.code])).toEqual([[`$.templates[${bundle.templates.indexOf(t04)}].excludedShopIds[0]`, "UNKNOWN_REFERENCE"]]);
    t04.excludedShopIds = [];
    expect((await importBundle(c.ds, bundle, {})).faults).toEqual([]);
    expect(await excluded()).toEqual([]);
  });

  it("a catalog bundle may leave out only shops of the template's group: another group's shop is refused, nothing imported", async () => {
    const bundle = await exportBundle(c.ds);
    const at = bundle.templates.findIndex((x) => x.id === "T04");
    // SP02 is SG01's (fine), SP03 SG02's: the mutation refuses it, and so does the bundle.
    bundle.templates[at].excludedShopIds = ["SP02", "SP03"];
    bundle.products.find((p) => p.id === "P05")!.name = "Renamed with the refused bundle";
    const bad = await importBundle(c.ds, bundle, {});
    expect(bad.ok).toBe(false);
    expect(bad.faults.map((f) => [f.path, f.code, f.message])).toEqual([
      [
        `$.templates[${at}].excludedShopIds[1]`,
        "INVALID_SCOPE",
        "shop SP03 is in shop group SG02: template T04 of shop group SG01 leaves out only its own group's shops",
      ],
    ]);
    expect(await excluded()).toEqual([]);
    expect((await exportBundle(c.ds)).products.find((p) => p.id === "P05")!.name).not.toBe("Renamed with the refused bundle");
    // A shop the same bundle moves into the group may be left out.
    bundle.shops.find((x) => x.id === "SP03")!.shopGroupId = "SG01";
    const moved = await importBundle(c.ds, bundle, { dryRun: true });
    expect(moved.faults).toEqual([]);
    expect(await excluded()).toEqual([]);
  });

  const bearerOf = (who: string) => () => (who === "anonymous" ? null : who === "lab" ? LAB01_KEY : t[who]);
  const op: MatrixOperation = {
    op: "setTemplateExcludedShops (T04 of SG01)",
    prepare: async () => {
      await c.ds.getRepository(TemplateExcludedShopEntity).clear();
      return { templateId: "T04", shopIds: ["SP02"] };
    },
    send: (v, bearer) => graphqlAttempt(c, EXCLUDE, "setTemplateExcludedShops", v, bearer),
    applied: async () => (await excluded()).includes("T04/SP02"),
  };
  const callers: MatrixCaller[] = [
    ["anonymous", bearerOf("anonymous"), "UNAUTHENTICATED"],
    ["customer", bearerOf("customer"), "FORBIDDEN"],
    ["lab", bearerOf("lab"), "FORBIDDEN"],
    ["shop admin of the group", bearerOf("shop1"), "FORBIDDEN"],
    ["group admin of another group", bearerOf("groupB"), "FORBIDDEN"],
    ["group admin", bearerOf("groupA"), "allowed"],
    ["center admin", bearerOf("center"), "allowed"],
  ];
  for (const cell of authzMatrix({ operations: [op], callers, snapshot: excluded })) it(cell.title, cell.run);
});

describe("a template's left-out shops, read", () => {
  const TEMPLATES = `query($g: ID) { templates(shopGroupId: $g) { id excludedShopIds excludedShops { id } } }`;
  type Read = { id: string; excludedShopIds: string[]; excludedShops: Array<{ id: string }> };
  const read = async (bearer: string | null, g: string | null = "SG01"): Promise<Read[]> => {
    const r = await c.gql<{ templates: Read[] }>(TEMPLATES, { g }, bearer);
    expect(r.errors).toBeUndefined();
    return r.data!.templates;
  };
  const t04 = (shops: string[]): Read => ({ id: "T04", excludedShopIds: ["SP02"], excludedShops: shops.map((id) => ({ id })) });
  const untouched = (id: string): Read => ({ id, excludedShopIds: [], excludedShops: [] });

  beforeAll(async () => {
    const r = (await c.gql(EXCLUDE, { templateId: "T04", shopIds: ["SP02"] }, t.groupA)).data!.setTemplateExcludedShops;
    expect(r.errors).toEqual([]);
    expect(await excluded()).toEqual(["T04/SP02"]);
  });
  afterAll(async () => {
    await c.ds.getRepository(TemplateExcludedShopEntity).clear();
  });

  // Whoever reads the template reads its list; the shops beside it are those the caller may see.
  it.each([
    ["center admin", "center", [untouched("T01"), untouched("T02"), t04(["SP02"])]],
    ["the group's admin", "groupA", [untouched("T01"), untouched("T02"), t04(["SP02"])]],
    ["a shop admin of the group (their shop only among shops)", "shop1", [untouched("T01"), untouched("T02"), t04([])]],
    ["the left-out shop's admin", "shop2", [untouched("T01"), untouched("T02"), t04(["SP02"])]],
    ["a customer (templates and shops are what shops offer)", "customer", [untouched("T01"), untouched("T02"), t04(["SP02"])]],
    ["anonymous (PUBLIC_CATALOG=1)", "anonymous", [untouched("T01"), untouched("T02"), t04(["SP02"])]],
    ["a lab of the group (its own shop only)", "lab", [untouched("T01"), untouched("T02"), t04([])]],
    ["another group's admin (reads none of the group's templates)", "groupB", []],
    ["another group's shop admin", "shop3", []],
  ] as const)("%s", async (_who, who, expected) => {
    const bearer = who === "anonymous" ? null : who === "lab" ? LAB01_KEY : t[who];
    expect(await read(bearer)).toEqual(expected);
  });

  it("a template's list also comes with the mutations' template, and a shop's own template leaves none out", async () => {
    const all = await read(t.center, null);
    expect(all.map((x) => [x.id, x.excludedShopIds])).toEqual([
      ["T01", []],
      ["T02", []],
      ["T03", []],
      ["T04", ["SP02"]],
    ]);
    const set = await c.gql(
      `mutation { setTemplateProducts(templateId: "T04", productIds: ["P02", "P05"]) { template { id excludedShopIds } errors { code } } }`,
      {},
      t.groupA,
    );
    expect(set.data!.setTemplateProducts).toEqual({ template: { id: "T04", excludedShopIds: ["SP02"] }, errors: [] });
  });

  it("a list of templates reads its left-out shops in one statement, not one per template", async () => {
    const cost = async (fields: string) =>
      (
        await leastStatements(3, async () => {
          const r = await c.gql(`{ templates { ${fields} } }`, {}, t.center);
          expect(r.errors).toBeUndefined();
          expect(r.data!.templates).toHaveLength(4);
        })
      ).count;
    expect((await cost("id excludedShopIds")) - (await cost("id"))).toBe(1);
  });
});
