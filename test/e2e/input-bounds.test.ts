/**
 * Input at the edge, through the real center: every list argument is bounded (BAD_USER_INPUT
 * naming the argument, nothing run), human-entered names refuse control characters,
 * bidirectional overrides and invisible-only text (over GraphQL and in a bundle import). How an
 * internal error is logged and masked is test/graphql/internal-errors.test.ts.
 */
import { startCenter, type TestCenter } from "../support/center";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { ShopGroupEntity } from "../../src/catalog/shop-group.entity";
import { ServiceEntity } from "../../src/catalog/service.entity";
import { ProductEntity } from "../../src/catalog/product.entity";
import { UserEntity } from "../../src/identity/user.entity";
import { LabEntity } from "../../src/labs/lab.entity";
import { TemplateEntity } from "../../src/catalog/template.entity";
import { DesignTemplateEntity } from "../../src/design-templates/design-template.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";

let c: TestCenter;
const t: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter();
  t.center = await c.login("center", "center-pass-1");
  t.customer = await c.login("customer", "customer-pass");
});
afterAll(async () => {
  await c?.stop();
});

const ERR = "errors { code message field }";

describe("list arguments are bounded", () => {
  it("orders(filter: { status: [33,000 values] }) answers BAD_USER_INPUT naming filter.status, not an internal error", async () => {
    const status = Array.from({ length: 33_000 }, (_, i) => (i % 2 === 0 ? "QUOTED" : "ASSIGNED"));
    const r = await c.gql(`query($filter: OrderFilter) { orders(filter: $filter) { edges { node { id } } } }`, { filter: { status } }, t.center);
    expect(r.status).toBe(200);
    expect(r.data).toBeNull();
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(r.errors![0].extensions!.fields).toEqual([{ field: ["status"], message: "status must contain no more than 10 elements" }]);
    // Every status once still works.
    const all = ["QUOTED", "AWAITING_PAYMENT", "CONFIRMED", "ASSIGNED", "PRINTING", "PRINTED", "SHIPPED", "COMPLETED", "CANCELLED", "FAILED"];
    const ok = await c.gql(`query($filter: OrderFilter) { orders(filter: $filter) { edges { node { id } } } }`, { filter: { status: all } }, t.center);
    expect(ok.errors).toBeUndefined();
  });

  it.each([
    [
      "markNotificationsRead(ids)",
      `mutation($v: [ID!]) { markNotificationsRead(ids: $v) { updated ${ERR} } }`,
      () => Array.from({ length: 50_000 }, (_, i) => `N${i}`),
      "center",
      "ids",
      1001,
    ],
    [
      "setTemplateProducts(productIds)",
      `mutation($v: [ID!]!) { setTemplateProducts(templateId: "T01", productIds: $v) { template { id } ${ERR} } }`,
      () => Array.from({ length: 50_000 }, (_, i) => `P${i}`),
      "center",
      "productIds",
      101,
    ],
    [
      "reportPrintHistory(entries)",
      `mutation($v: [PrintHistoryInput!]!) { reportPrintHistory(entries: $v) { stored ${ERR} } }`,
      () => Array.from({ length: 1_500 }, (_, i) => ({ jobId: `J${i}`, printedAt: "2026-04-01T00:00:00Z", sheets: 1, ok: true })),
      "lab",
      "entries",
      1001,
    ],
    [
      "reportLabTemplates(templates)",
      `mutation($v: [HeldDesignTemplateInput!]!) { reportLabTemplates(templates: $v) { templates { __typename } ${ERR} } }`,
      () => Array.from({ length: 10_002 }, (_, i) => ({ id: `D${i}`, sha256: "0".repeat(64) })),
      "lab",
      "templates",
      10_001,
    ],
  ])("%s beyond its bound answers BAD_USER_INPUT naming the argument", async (_name, query, values, who, arg, max) => {
    const v = values();
    const bearer = who === "lab" ? LAB01_KEY : t[who];
    const before = await c.ds.getRepository(NotificationEntity).count();
    const r = await c.gql(query, { v }, bearer);
    expect(r.data).toBeNull();
    expect(r.errors).toEqual([
      {
        message: `${arg} lists at most ${max} values, got ${v.length}`,
        locations: expect.any(Array),
        path: expect.any(Array),
        extensions: { code: "BAD_USER_INPUT", field: [arg] },
      },
    ]);
    expect(await c.ds.getRepository(NotificationEntity).count()).toBe(before);
  });
});

describe("names", () => {
  const BAD_NAMES: Array<[string, string, string]> = [
    ["NUL", "Shop\u0000One", "name must not contain control characters (U+0000 at 4)"],
    ["a line feed", "Shop\nOne", "name must not contain control characters (U+000A at 4)"],
    ["a carriage return", "Shop\rOne", "name must not contain control characters (U+000D at 4)"],
    ["a tab", "Shop\tOne", "name must not contain control characters (U+0009 at 4)"],
    ["a C1 control (NEL)", "Shop\u0085One", "name must not contain control characters (U+0085 at 4)"],
    ["a right-to-left override", "Shop\u202Egpj.exe", "name must not contain bidirectional override or isolate characters (U+202E at 4)"],
    ["a first-strong isolate", "\u2068Shop", "name must not contain bidirectional override or isolate characters (U+2068 at 0)"],
    ["zero-width spaces only", "\u200B\u200B", "name must contain a visible character"],
    ["a zero-width joiner and spaces", " \u200D ", "name must contain a visible character"],
    ["Hangul fillers only", "\u3164\u3164", "name must contain a visible character"],
    ["a word joiner and a BOM", "\u2060\uFEFF", "name must contain a visible character"],
  ];

  const MUTATIONS: Array<[string, string, (name: string) => Record<string, unknown>, () => Promise<number>]> = [
    [
      "createUser",
      `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } ${ERR} } }`,
      (name) => ({ input: { login: "nm-user", name, password: "long-enough-pw", role: "GENERAL_USER" } }),
      () => c.ds.getRepository(UserEntity).count(),
    ],
    [
      "createShopGroup",
      `mutation($input: CreateShopGroupInput!) { createShopGroup(input: $input) { shopGroup { id } ${ERR} } }`,
      (name) => ({ input: { id: "SG-NM", name } }),
      () => c.ds.getRepository(ShopGroupEntity).count(),
    ],
    [
      "createService",
      `mutation($input: CreateServiceInput!) { createService(input: $input) { service { id } ${ERR} } }`,
      (name) => ({ input: { id: "SV-NM", name } }),
      () => c.ds.getRepository(ServiceEntity).count(),
    ],
    [
      "createProduct",
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } ${ERR} } }`,
      (name) => ({ input: { id: "P-NM", name } }),
      () => c.ds.getRepository(ProductEntity).count(),
    ],
    [
      "createTemplate",
      `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { template { id } ${ERR} } }`,
      (name) => ({ input: { id: "T-NM", name, serviceId: "SV01", shopGroupId: "SG01", productIds: ["P01"] } }),
      () => c.ds.getRepository(TemplateEntity).count(),
    ],
    [
      "createLab",
      `mutation($input: CreateLabInput!) { createLab(input: $input) { lab { id } ${ERR} } }`,
      (name) => ({ input: { id: "L-NM", name, shopId: "SP01", serviceIds: ["SV01"], fulfilment: ["PICKUP"], capacitySheetsPerHour: 10 } }),
      () => c.ds.getRepository(LabEntity).count(),
    ],
    [
      "createDesignTemplate",
      `mutation($input: CreateDesignTemplateInput!) { createDesignTemplate(input: $input) { designTemplate { id } ${ERR} } }`,
      (name) => ({ input: { id: "DT-NM", name, preview: "data:image/png;base64,iVBORw0KGgo=", sha256: "a".repeat(64), size: 10 } }),
      () => c.ds.getRepository(DesignTemplateEntity).count(),
    ],
    [
      "updateShopGroup",
      `mutation($input: UpdateShopGroupInput!) { updateShopGroup(id: "SG01", input: $input) { shopGroup { id } ${ERR} } }`,
      (name) => ({ input: { name } }),
      async () => ((await c.ds.getRepository(ShopGroupEntity).findOneByOrFail({ id: "SG01" })).name === "Bad" ? -1 : 0),
    ],
  ];

  const cases = MUTATIONS.flatMap(([mutation, query, vars, count]) =>
    BAD_NAMES.map(([what, name, message]) => [mutation, what, query, vars, count, name, message] as const),
  );

  it.each(cases)("%s refuses a name with %s: BAD_USER_INPUT naming the field, nothing written", async (mutation, _what, query, vars, count, name, message) => {
    const before = await count();
    const r = await c.gql(query, vars(name), t.center);
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0].extensions).toEqual({ code: "BAD_USER_INPUT", fields: [{ field: ["name"], message }] });
    expect(r.data).toBeNull();
    expect(await count()).toBe(before);
    if (mutation === "updateShopGroup") expect((await c.ds.getRepository(ShopGroupEntity).findOneByOrFail({ id: "SG01" })).name).not.toBe(name);
  });

  it("accepts names with letters of any script, emoji sequences with joiners and inner spaces", async () => {
    for (const [i, name] of ["Café Ünter", "写真館 本店", "فوتو", "Family 👨\u200D👩\u200D👧 prints"].entries()) {
      const r = await c.gql(
        `mutation($input: CreateServiceInput!) { createService(input: $input) { service { id name } ${ERR} } }`,
        { input: { id: `SV-OK${i}`, name } },
        t.center,
      );
      expect(r.data!.createService).toEqual({ service: { id: `SV-OK${i}`, name }, errors: [] });
    }
  });

  it("createLabApiKey refuses a label with a control character", async () => {
    const r = await c.gql(`mutation($l: String!) { createLabApiKey(labId: "LAB01", label: $l) { key ${ERR} } }`, { l: "rack\n2" }, t.center);
    expect(r.data).toBeNull();
    expect(r.errors![0].extensions).toEqual({ code: "BAD_USER_INPUT", field: ["label"] });
    expect(r.errors![0].message).toBe("label must not contain control characters (U+000A at 4)");
  });

  it("a catalog bundle with such names is refused with each fault's path, and nothing is written", async () => {
    const before = { groups: await c.ds.getRepository(ShopGroupEntity).count(), services: await c.ds.getRepository(ServiceEntity).count() };
    const report = await importBundle(
      c.ds,
      {
        shopGroups: [{ id: "SG-B1", name: "Group\u202Eevil" }],
        services: [
          { id: "SV-B1", name: "\u200B" },
          { id: "SV-B2", name: "Fine service" },
        ],
        products: [{ id: "P-B1", name: "Line\r\nbreak" }],
      },
      {},
    );
    expect(report.ok).toBe(false);
    expect(report.faults).toEqual([
      { path: "$.shopGroups[0].name", code: "INVALID_NAME", message: "name must not contain bidirectional override or isolate characters (U+202E at 5)" },
      { path: "$.services[0].name", code: "INVALID_NAME", message: "name must contain a visible character" },
      { path: "$.products[0].name", code: "INVALID_NAME", message: "name must not contain control characters (U+000D at 4)" },
    ]);
    expect(await c.ds.getRepository(ShopGroupEntity).count()).toBe(before.groups);
    expect(await c.ds.getRepository(ServiceEntity).count()).toBe(before.services);
  });
});
