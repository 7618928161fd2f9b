/**
 * Reading the catalog, as each role may see it: center admins everything; a group admin their
 * group, its shops and labs; a shop admin their shop, its group and labs; customers what shops
 * offer but no labs; a lab its own shop and itself; anonymous callers what customers see but no labs
 * (PUBLIC_CATALOG=1, the default), nothing with PUBLIC_CATALOG=0.
 */
import { startCenter, type TestCenter } from "../support/center";

let c: TestCenter;
const t: Record<string, string> = {};
const LAB03_KEY = "lab03-key-0123456789abcdef";

beforeAll(async () => {
  c = await startCenter();
  for (const [k, login, pw] of [
    ["center", "center", "center-pass-1"],
    ["groupA", "group-a", "group-a-pass"],
    ["shop3", "shop-3", "shop-3-pass"],
    ["customer", "customer", "customer-pass"],
  ]) {
    t[k] = await c.login(login, pw);
  }
});
afterAll(async () => {
  await c?.stop();
});

const CATALOG = `{
  shopGroups { id }
  shops { id shopGroupId location { lat lng } }
  services { id }
  products { id }
  templates { id shopGroupId shopId serviceId productIds }
  labs { id shopId serviceIds fulfilment express capacitySheetsPerHour }
}`;
const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id);

describe("catalog queries by role", () => {
  it("shows the center admin everything", async () => {
    const d = (await c.gql(CATALOG, {}, t.center)).data!;
    expect(ids(d.shopGroups)).toEqual(["SG01", "SG02"]);
    expect(ids(d.shops)).toEqual(["SP01", "SP02", "SP03", "SP04"]);
    expect(ids(d.services)).toEqual(["SV01", "SV02", "SV03"]);
    expect(ids(d.products)).toEqual(["P01", "P02", "P03", "P04", "P05"]);
    expect(d.templates).toContainEqual({ id: "T01", shopGroupId: "SG01", shopId: null, serviceId: "SV01", productIds: ["P01", "P03"] });
    expect(ids(d.templates)).toEqual(["T01", "T02", "T03", "T04"]);
    expect(ids(d.labs)).toEqual(["LAB01", "LAB02", "LAB03", "LAB04"]);
    expect(d.labs[0]).toEqual({
      id: "LAB01",
      shopId: "SP01",
      serviceIds: ["SV01", "SV02", "SV03"],
      fulfilment: ["PICKUP", "DELIVERY"],
      express: true,
      capacitySheetsPerHour: 1200,
    });
    expect(d.shops[0].location).toEqual({ lat: 35.6812, lng: 139.7671 });
  });

  it("shows a group admin their group, its shops, templates and labs", async () => {
    const d = (await c.gql(CATALOG, {}, t.groupA)).data!;
    expect(ids(d.shopGroups)).toEqual(["SG01"]);
    expect(ids(d.shops)).toEqual(["SP01", "SP02"]);
    expect(ids(d.templates)).toEqual(["T01", "T02", "T04"]);
    expect(ids(d.labs)).toEqual(["LAB01", "LAB02"]);
    expect(ids(d.services)).toEqual(["SV01", "SV02", "SV03"]);
    const other = await c.gql(`{ shops(shopGroupId: "SG02") { id } shop(id: "SP03") { id } lab(id: "LAB03") { id } }`, {}, t.groupA);
    expect(other.data).toEqual({ shops: [], shop: null, lab: null });
  });

  it("shows a shop admin their shop and its group, the templates that apply and its labs", async () => {
    const d = (await c.gql(CATALOG, {}, t.shop3)).data!;
    expect(ids(d.shopGroups)).toEqual(["SG02"]);
    expect(ids(d.shops)).toEqual(["SP03"]);
    expect(ids(d.templates)).toEqual(["T03"]);
    expect(ids(d.labs)).toEqual(["LAB03"]);
  });

  it("shows customers what shops offer, but no labs", async () => {
    const d = (await c.gql(CATALOG, {}, t.customer)).data!;
    expect(ids(d.shops)).toEqual(["SP01", "SP02", "SP03", "SP04"]);
    expect(ids(d.templates)).toEqual(["T01", "T02", "T03", "T04"]);
    expect(d.labs).toEqual([]);
    expect((await c.gql(`{ lab(id: "LAB01") { id } }`, {}, t.customer)).data!.lab).toBeNull();
  });

  it("shows a lab its own shop and itself", async () => {
    const d = (await c.gql(CATALOG, {}, LAB03_KEY)).data!;
    expect(ids(d.shops)).toEqual(["SP03"]);
    expect(ids(d.labs)).toEqual(["LAB03"]);
    expect(ids(d.templates)).toEqual(["T03"]);
  });

  it("shows anonymous callers what customers see, but no labs (PUBLIC_CATALOG=1)", async () => {
    const d = (await c.gql("{ shopGroups { id } shops { id } services { id } products { id } templates { id } }")).data!;
    const customer = (await c.gql("{ shopGroups { id } shops { id } services { id } products { id } templates { id } }", {}, t.customer)).data!;
    expect(d).toEqual(customer);
    expect(ids(d.shops)).toEqual(["SP01", "SP02", "SP03", "SP04"]);
    for (const q of ["{ labs { id } }", '{ lab(id: "LAB01") { id } }']) {
      const r = await c.gql(q);
      expect(r.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
      expect(Object.values(r.data ?? {}).every((v) => v === null)).toBe(true);
    }
  });

  it("refuses anonymous callers every catalog query with PUBLIC_CATALOG=0", async () => {
    const closed = await startCenter({ env: { PUBLIC_CATALOG: "0" } });
    try {
      await refusesAnonymous(closed);
    } finally {
      await closed.stop();
    }
  });
});

async function refusesAnonymous(c: TestCenter): Promise<void> {
  for (const q of [
    "{ shopGroups { id } }",
    "{ shops { id } }",
    "{ services { id } }",
    "{ products { id } }",
    "{ templates { id } }",
    "{ labs { id } }",
    '{ shop(id: "SP01") { id } }',
    '{ lab(id: "LAB01") { id } }',
  ]) {
    const r = await c.gql(q);
    expect(r.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    expect(Object.values(r.data ?? {}).every((v) => v === null)).toBe(true);
  }
}
