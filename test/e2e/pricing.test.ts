/**
 * Price management end to end (seed 003): the worked example through GraphQL, price rows and
 * allowances with their authority table, validation faults, dry runs, history, change notices
 * (stored and live over graphql-ws), cache invalidation, and what a shop offers.
 */
import { IsNull } from "typeorm";
import { nextEvent, startCenter, WORKED_EXAMPLE_ORDER, type TestCenter } from "../support/center";
import { authzMatrix, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { PriceHistoryEntity } from "../../src/pricing/price-history.entity";
import { PriceRowEntity } from "../../src/pricing/price-row.entity";
import { ShopPriceAllowanceEntity } from "../../src/pricing/shop-price-allowance.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";
let c: TestCenter;
const t: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter();
  for (const [k, login, pw] of [
    ["center", "center", "center-pass-1"],
    ["groupA", "group-a", "group-a-pass"],
    ["groupB", "group-b", "group-b-pass"],
    ["shop1", "shop-1", "shop-1-pass"],
    ["shop2", "shop-2", "shop-2-pass"],
    ["shop3", "shop-3", "shop-3-pass"],
    ["customer", "customer", "customer-pass"],
  ]) {
    t[k] = await c.login(login, pw);
  }
});
afterAll(async () => {
  await c?.stop();
});

const QUOTE = `query($input: OrderInput!, $at: DateTime) {
  quote(input: $input, at: $at) {
    quote { shopId currency priceDate total subOrders { serviceId templateId sheets subtotal lines { productId source basicCharge amountCharge sheets subtotal } imageFees { imageId feePerSheet sheets subtotal } } }
    errors { code message field }
  }
}`;
const EXAMPLE = WORKED_EXAMPLE_ORDER;
const APRIL_FIRST = "2026-04-01T03:00:00Z";

async function quoteTotal(input: object, token = t.center, at: string | null = APRIL_FIRST): Promise<number | null> {
  const r = await c.gql(QUOTE, { input, at }, token);
  return r.data!.quote.quote?.total ?? null;
}

describe("quote", () => {
  it("prices the worked example of seed 003 at 1050 with every line's source", async () => {
    const r = await c.gql(QUOTE, { input: EXAMPLE, at: APRIL_FIRST }, t.center);
    expect(r.data!.quote.errors).toEqual([]);
    expect(r.data!.quote.quote).toEqual({
      shopId: "SP01",
      currency: "JPY",
      priceDate: "2026-04-01",
      total: 1050,
      subOrders: [
        {
          serviceId: "SV01",
          templateId: "T01",
          sheets: 5,
          subtotal: 250,
          lines: [
            { productId: "P01", source: "GROUP", basicCharge: 100, amountCharge: 10, sheets: 5, subtotal: 150 },
            { productId: "P03", source: "GROUP", basicCharge: 0, amountCharge: 10, sheets: 5, subtotal: 50 },
          ],
          imageFees: [{ imageId: "IMG-C01", feePerSheet: 10, sheets: 5, subtotal: 50 }],
        },
        {
          serviceId: "SV02",
          templateId: "T02",
          sheets: 10,
          subtotal: 800,
          lines: [
            { productId: "P02", source: "GROUP", basicCharge: 300, amountCharge: 0, sheets: 10, subtotal: 300 },
            { productId: "P04", source: "GROUP", basicCharge: 0, amountCharge: 50, sheets: 10, subtotal: 500 },
          ],
          imageFees: [],
        },
      ],
    });
  });

  it("applies the earlier period's prices on 2026-03-31 and the standard price where a group has none", async () => {
    expect(await quoteTotal(EXAMPLE, t.center, "2026-03-31T12:00:00Z")).toBe(180 + 60 + 50 + 320 + 550);
    // SG02 has a template for SV01 with P03 only, priced by the group; SP03 is in SG02.
    const r = await c.gql(
      QUOTE,
      { input: { shopId: "SP03", subOrders: [{ serviceId: "SV01", sheets: 4, items: [] }] }, at: APRIL_FIRST },
      t.customer.length ? t.center : t.center,
    );
    expect(r.data!.quote.quote.subOrders[0].lines).toEqual([{ productId: "P03", source: "GROUP", basicCharge: 0, amountCharge: 9, sheets: 4, subtotal: 36 }]);
  });

  it("turns the instant into the business date of BUSINESS_TIMEZONE", async () => {
    // 23:30 UTC on March 31st is still March 31st in UTC (the test center's zone).
    const r = await c.gql(QUOTE, { input: EXAMPLE, at: "2026-03-31T23:30:00Z" }, t.center);
    expect(r.data!.quote.quote.priceDate).toBe("2026-03-31");
  });

  it("lets customers quote for now but not as of another instant", async () => {
    const now = await c.gql(QUOTE, { input: EXAMPLE, at: null }, t.customer);
    expect(now.data!.quote.errors).toEqual([]);
    expect(now.data!.quote.quote.total).toBe(1050);
    const at = await c.gql(QUOTE, { input: EXAMPLE, at: APRIL_FIRST }, t.customer);
    expect(at.errors![0].extensions!.code).toBe("FORBIDDEN");
    // Anonymous callers (PUBLIC_CATALOG=1, the default) quote at now too, and never at another instant.
    expect((await c.gql(QUOTE, { input: EXAMPLE })).data!.quote.quote.total).toBe(1050);
    expect((await c.gql(QUOTE, { input: EXAMPLE, at: APRIL_FIRST })).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });

  it("answers every bad order with a coded error and its field", async () => {
    const cases: Array<[object, string, string[]]> = [
      [{ shopId: "SP03", subOrders: [{ serviceId: "SV02", sheets: 1, items: [] }] }, "SERVICE_NOT_OFFERED", ["input", "subOrders", "0", "serviceId"]],
      [{ shopId: "SP99", subOrders: [{ serviceId: "SV01", sheets: 1, items: [] }] }, "UNKNOWN_SHOP", ["input", "shopId"]],
      [{ shopId: "SP01", subOrders: [{ serviceId: "SV01", sheets: 0, items: [] }] }, "INVALID_SHEETS", ["input", "subOrders", "0", "sheets"]],
      [{ shopId: "SP01", subOrders: [{ serviceId: "SV01", sheets: 100001, items: [] }] }, "TOO_MANY_SHEETS", ["input", "subOrders", "0", "sheets"]],
      [{ shopId: "SP01", subOrders: [] }, "EMPTY_ORDER", ["input", "subOrders"]],
      [
        { shopId: "SP01", subOrders: Array.from({ length: 21 }, (_, i) => ({ serviceId: `SV${i}`, sheets: 1, items: [] })) },
        "TOO_MANY_SUB_ORDERS",
        ["input", "subOrders"],
      ],
      [
        {
          shopId: "SP01",
          subOrders: ["SV01", "SV02"].map((serviceId) => ({ serviceId, sheets: 1, items: Array.from({ length: 501 }, () => ({ imageId: "x" })) })),
        },
        "TOO_MANY_ITEMS",
        ["input", "subOrders"],
      ],
      [
        {
          shopId: "SP01",
          subOrders: [
            { serviceId: "SV01", sheets: 1, items: [] },
            { serviceId: "SV01", sheets: 2, items: [] },
          ],
        },
        "DUPLICATE_SERVICE",
        ["input", "subOrders", "1", "serviceId"],
      ],
      [{ subOrders: [{ serviceId: "SV01", sheets: 1, items: [] }] }, "SHOP_REQUIRED", ["input", "shopId"]],
    ];
    for (const [input, code, field] of cases) {
      const r = await c.gql(QUOTE, { input, at: APRIL_FIRST }, t.center);
      expect(r.errors).toBeUndefined();
      expect(r.data!.quote.quote).toBeNull();
      expect(r.data!.quote.errors).toContainEqual(expect.objectContaining({ code, field }));
    }
  });

  it("answers NO_PRICE naming the product, the scope and the date", async () => {
    // Before 2026-01-01 nothing is in force for P01 anywhere.
    const r = await c.gql(QUOTE, { input: EXAMPLE, at: "2025-12-31T12:00:00Z" }, t.center);
    expect(r.data!.quote.quote).toBeNull();
    const p01 = r.data!.quote.errors.find((e: { message: string }) => e.message.includes("P01"));
    expect(p01.code).toBe("NO_PRICE");
    expect(p01.message).toContain("2025-12-31");
    expect(p01.message).toContain("SP01");
    expect(p01.message).toContain("SG01");
  });
});

const ROW = "priceRow { id shopGroupId shopId productId validFrom validUntil basicCharge amountCharge minSheets maxSheets }";
const CREATE = `mutation($input: PriceRowInput!, $dryRun: Boolean) { createPriceRow(input: $input, dryRun: $dryRun) { ${ROW} dryRun changes { shopId productId validFrom validUntil minSheets maxSheets before { source basicCharge amountCharge } after { source basicCharge amountCharge } } errors { code message field } } }`;
const UPDATE = `mutation($id: ID!, $input: PriceRowInput!, $dryRun: Boolean) { updatePriceRow(id: $id, input: $input, dryRun: $dryRun) { ${ROW} dryRun errors { code message field } } }`;
const DELETE = `mutation($id: ID!, $dryRun: Boolean) { deletePriceRow(id: $id, dryRun: $dryRun) { ${ROW} dryRun errors { code message field } } }`;
const ALLOW = `mutation($input: ShopPriceAllowanceInput!) { setShopPriceAllowance(input: $input) { allowance { shopId productId minBasicCharge maxBasicCharge minAmountCharge maxAmountCharge } outsideRowIds errors { code message field } } }`;

const rowsSnapshot = async () => (await c.ds.getRepository(PriceRowEntity).find({ order: { id: "ASC" } })).map((r) => ({ ...r, updatedAt: undefined }));

describe("price rows", () => {
  it("registers a group tier row that takes effect in quotes at once", async () => {
    const input = {
      shopGroupId: "SG01",
      productId: "P04",
      validFrom: "2026-04-01",
      validUntil: null,
      basicCharge: 0,
      amountCharge: 40,
      minSheets: 10,
      maxSheets: 49,
    };
    expect(await quoteTotal(EXAMPLE)).toBe(1050);
    const r = await c.gql(CREATE, { input }, t.groupA);
    expect(r.data!.createPriceRow.errors).toEqual([]);
    expect(r.data!.createPriceRow.dryRun).toBe(false);
    const row = r.data!.createPriceRow.priceRow;
    expect(row).toMatchObject({ ...input, shopId: null });
    expect(row.id).toMatch(/^PR-/);
    // 10 postcards now hit the tier: 40/sheet instead of 50.
    const q = await c.gql(QUOTE, { input: EXAMPLE, at: APRIL_FIRST }, t.center);
    expect(q.data!.quote.quote.total).toBe(950);
    expect(q.data!.quote.quote.subOrders[1].lines[1]).toEqual({
      productId: "P04",
      source: "GROUP_TIER",
      basicCharge: 0,
      amountCharge: 40,
      sheets: 10,
      subtotal: 400,
    });
    // 9 sheets is below the tier: the untiered row applies; 50 is above it.
    const nine = await c.gql(QUOTE, { input: { shopId: "SP01", subOrders: [{ serviceId: "SV02", sheets: 9, items: [] }] }, at: APRIL_FIRST }, t.center);
    expect(nine.data!.quote.quote.subOrders[0].lines[1].source).toBe("GROUP");
    const fifty = await c.gql(QUOTE, { input: { shopId: "SP01", subOrders: [{ serviceId: "SV02", sheets: 50, items: [] }] }, at: APRIL_FIRST }, t.center);
    expect(fifty.data!.quote.quote.subOrders[0].lines[1]).toMatchObject({ source: "GROUP", amountCharge: 50 });
    const fortyNine = await c.gql(QUOTE, { input: { shopId: "SP01", subOrders: [{ serviceId: "SV02", sheets: 49, items: [] }] }, at: APRIL_FIRST }, t.center);
    expect(fortyNine.data!.quote.quote.subOrders[0].lines[1]).toMatchObject({ source: "GROUP_TIER", amountCharge: 40 });
    // Clean up: delete it again, and quotes go back at once.
    const d = await c.gql(DELETE, { id: row.id }, t.groupA);
    expect(d.data!.deletePriceRow.errors).toEqual([]);
    expect(await quoteTotal(EXAMPLE)).toBe(1050);
  });

  it("refuses every validation fault with its field, writing nothing", async () => {
    const base = {
      shopGroupId: "SG01",
      productId: "P01",
      validFrom: "2027-01-01",
      validUntil: "2027-12-31",
      basicCharge: 100,
      amountCharge: 10,
      minSheets: null,
      maxSheets: null,
    };
    const cases: Array<[object, string, string[]]> = [
      [{ basicCharge: -1 }, "NEGATIVE_CHARGE", ["input", "basicCharge"]],
      [{ amountCharge: -5 }, "NEGATIVE_CHARGE", ["input", "amountCharge"]],
      [{ validUntil: "2026-12-31" }, "INVALID_PERIOD", ["input", "validUntil"]],
      [{ minSheets: 10, maxSheets: 5 }, "INVALID_TIER", ["input", "maxSheets"]],
      [{ minSheets: 0, maxSheets: 5 }, "INVALID_TIER", ["input", "minSheets"]],
      [{ productId: "P99" }, "UNKNOWN_PRODUCT", ["input", "productId"]],
      [{ shopGroupId: "SG99" }, "UNKNOWN_SHOP_GROUP", ["input", "shopGroupId"]],
      [{ shopGroupId: null, shopId: "SP99" }, "UNKNOWN_SHOP", ["input", "shopId"]],
      [{ shopId: "SP01" }, "INVALID_SCOPE", ["input", "shopId"]],
      // The open-ended April row of SG01/P01 overlaps anything later.
      [{}, "OVERLAPPING_PRICE", ["input", "validFrom"]],
    ];
    const before = await rowsSnapshot();
    for (const [change, code, field] of cases) {
      const r = await c.gql(CREATE, { input: { ...base, ...change } }, t.center);
      expect(r.data!.createPriceRow.priceRow).toBeNull();
      expect(r.data!.createPriceRow.errors).toContainEqual(expect.objectContaining({ code, field }));
    }
    const overlap = await c.gql(CREATE, { input: base }, t.center);
    expect(overlap.data!.createPriceRow.errors[0].message).toMatch(/Overlaps price row \S+ \(2026-04-01 to open end\)/);
    const badDate = await c.gql(CREATE, { input: { ...base, validFrom: "2027-02-30" } }, t.center);
    expect(badDate.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(await rowsSnapshot()).toEqual(before);
  });

  it("refuses overlapping tiers of the same scope and product but not touching ones", async () => {
    const tier = (min: number, max: number | null, from = "2028-01-01") => ({
      shopGroupId: "SG02",
      productId: "P03",
      validFrom: from,
      validUntil: "2028-12-31",
      basicCharge: 0,
      amountCharge: 8,
      minSheets: min,
      maxSheets: max,
    });
    // SG02/P03 has an open-ended untiered row from 2026-04-01: tiers do not overlap untiered rows.
    const a = await c.gql(CREATE, { input: tier(1, 9) }, t.groupB);
    expect(a.data!.createPriceRow.errors).toEqual([]);
    const b = await c.gql(CREATE, { input: tier(10, null) }, t.groupB);
    expect(b.data!.createPriceRow.errors).toEqual([]);
    const c3 = await c.gql(CREATE, { input: tier(9, 20) }, t.groupB);
    expect(c3.data!.createPriceRow.errors.map((e: { code: string }) => e.code)).toEqual(["OVERLAPPING_PRICE", "OVERLAPPING_PRICE"]);
    for (const r of [a, b]) await c.gql(DELETE, { id: r.data!.createPriceRow.priceRow.id }, t.groupB);
  });

  it("corrects a row, keeping who changed what in the price history", async () => {
    const created = await c.gql(
      CREATE,
      { input: { shopGroupId: "SG02", productId: "P03", validFrom: "2025-01-01", validUntil: "2025-12-31", basicCharge: 0, amountCharge: 13 } },
      t.groupB,
    );
    const id = created.data!.createPriceRow.priceRow.id;
    const upd = await c.gql(
      UPDATE,
      { id, input: { shopGroupId: "SG02", productId: "P03", validFrom: "2025-01-01", validUntil: "2025-12-31", basicCharge: 5, amountCharge: 14 } },
      t.groupB,
    );
    expect(upd.data!.updatePriceRow.errors).toEqual([]);
    expect(upd.data!.updatePriceRow.priceRow).toMatchObject({ id, basicCharge: 5, amountCharge: 14 });
    expect(await c.ds.getRepository(PriceRowEntity).findOneByOrFail({ id })).toMatchObject({ basicCharge: 5, amountCharge: 14 });
    await c.gql(DELETE, { id }, t.groupB);
    expect(await c.ds.getRepository(PriceRowEntity).findOneBy({ id })).toBeNull();

    const VALUE = "priceRow { priceRowId shopGroupId basicCharge amountCharge validFrom } allowance { shopId }";
    const h = await c.gql(
      `query { priceHistory(productId: "P03", shopGroupId: "SG02") { entityId action actorUserId before { ${VALUE} } after { ${VALUE} } } }`,
      {},
      t.groupB,
    );
    const mine = h.data!.priceHistory.filter((e: { entityId: string }) => e.entityId === id);
    expect(mine.map((e: { action: string }) => e.action)).toEqual(["DELETED", "UPDATED", "CREATED"]);
    expect(mine.every((e: { actorUserId: string }) => e.actorUserId === "U020")).toBe(true);
    expect(mine[1].before).toMatchObject({ priceRow: { priceRowId: id, shopGroupId: "SG02", basicCharge: 0, amountCharge: 13 }, allowance: null });
    expect(mine[1].after).toMatchObject({ priceRow: { priceRowId: id, shopGroupId: "SG02", basicCharge: 5, amountCharge: 14 }, allowance: null });
    expect(mine[2].before).toBeNull();
    expect(mine[0].after).toBeNull();
    // Another group's admin does not see SG02's history; customers see none.
    const other = await c.gql(`query { priceHistory(productId: "P03", shopGroupId: "SG02") { entityId } }`, {}, t.groupA);
    expect(other.data!.priceHistory).toEqual([]);
    expect((await c.gql(`query { priceHistory(productId: "P03") { entityId } }`, {}, t.customer)).errors![0].extensions!.code).toBe("FORBIDDEN");
  });

  it("answers a dry run with the shops whose prices would change, writing nothing", async () => {
    const before = await rowsSnapshot();
    const historyBefore = await c.ds.getRepository(PriceHistoryEntity).count();
    const notesBefore = await c.ds.getRepository(NotificationEntity).count();
    const input = { shopGroupId: "SG01", productId: "P04", validFrom: "2026-07-01", validUntil: "2026-07-31", basicCharge: 0, amountCharge: 45 };
    // A July row would overlap SG01's open-ended P04 row: a dry run reports the fault like the real thing.
    const fault = await c.gql(CREATE, { input, dryRun: true }, t.groupA);
    expect(fault.data!.createPriceRow.errors[0].code).toBe("OVERLAPPING_PRICE");
    expect(fault.data!.createPriceRow.dryRun).toBe(false);
    // A standard-price change reaches every shop whose group has no own price: only SG02's shops lack P04 rows... none here,
    // so a group change of P04 shows SG01's two shops from its first day.
    const aprilRow = (await c.ds.getRepository(PriceRowEntity).findOneByOrFail({ shopGroupId: "SG01", productId: "P04", validFrom: "2026-04-01" })).id;
    const dry = await c.gql(
      `mutation($id: ID!, $input: PriceRowInput!) { updatePriceRow(id: $id, input: $input, dryRun: true) { dryRun priceRow { amountCharge } changes { shopId productId validFrom validUntil minSheets maxSheets before { source amountCharge } after { source amountCharge } } errors { code } } }`,
      { id: aprilRow, input: { shopGroupId: "SG01", productId: "P04", validFrom: "2026-04-01", validUntil: null, basicCharge: 0, amountCharge: 55 } },
      t.groupA,
    );
    expect(dry.data!.updatePriceRow.errors).toEqual([]);
    expect(dry.data!.updatePriceRow.dryRun).toBe(true);
    expect(dry.data!.updatePriceRow.priceRow.amountCharge).toBe(55);
    expect(dry.data!.updatePriceRow.changes).toEqual(
      ["SP01", "SP02"].map((shopId) => ({
        shopId,
        productId: "P04",
        validFrom: "2026-04-01",
        validUntil: null,
        minSheets: 1,
        maxSheets: null,
        before: { source: "GROUP", amountCharge: 50 },
        after: { source: "GROUP", amountCharge: 55 },
      })),
    );
    const del = await c.gql(
      `mutation($id: ID!) { deletePriceRow(id: $id, dryRun: true) { dryRun changes { shopId before { source amountCharge } after { source amountCharge } } errors { code } } }`,
      { id: aprilRow },
      t.groupA,
    );
    // Without the group row, the standard price (60) applies.
    expect(del.data!.deletePriceRow.changes).toEqual([
      { shopId: "SP01", before: { source: "GROUP", amountCharge: 50 }, after: { source: "STANDARD", amountCharge: 60 } },
      { shopId: "SP02", before: { source: "GROUP", amountCharge: 50 }, after: { source: "STANDARD", amountCharge: 60 } },
    ]);
    expect(await rowsSnapshot()).toEqual(before);
    expect(await c.ds.getRepository(PriceHistoryEntity).count()).toBe(historyBefore);
    expect(await c.ds.getRepository(NotificationEntity).count()).toBe(notesBefore);
    expect(await quoteTotal(EXAMPLE)).toBe(1050);
  });
});

describe("shop prices and allowances", () => {
  const shopRow = (basic: number, amount: number) => ({
    shopId: "SP02",
    productId: "P03",
    validFrom: "2026-05-01",
    validUntil: "2026-05-31",
    basicCharge: basic,
    amountCharge: amount,
  });

  it("refuses a shop admin's own price without an allowance (FORBIDDEN), then within it only", async () => {
    const before = await rowsSnapshot();
    const none = await c.gql(CREATE, { input: shopRow(10, 8) }, t.shop2);
    expect(none.errors![0].extensions!.code).toBe("FORBIDDEN");
    expect(await rowsSnapshot()).toEqual(before);

    const granted = await c.gql(
      ALLOW,
      { input: { shopId: "SP02", productId: "P03", minBasicCharge: 0, maxBasicCharge: 50, minAmountCharge: 5, maxAmountCharge: 15 } },
      t.groupA,
    );
    expect(granted.data!.setShopPriceAllowance.errors).toEqual([]);
    expect(await c.ds.getRepository(ShopPriceAllowanceEntity).findOneByOrFail({ shopId: "SP02", productId: "P03" })).toMatchObject({
      maxBasicCharge: 50,
      minAmountCharge: 5,
    });

    const out = await c.gql(CREATE, { input: shopRow(60, 4) }, t.shop2);
    expect(out.data!.createPriceRow.errors).toEqual([
      { code: "PRICE_OUT_OF_RANGE", message: "basicCharge 60 is outside the allowed range 0 to 50", field: ["input", "basicCharge"] },
      { code: "PRICE_OUT_OF_RANGE", message: "amountCharge 4 is outside the allowed range 5 to 15", field: ["input", "amountCharge"] },
    ]);
    expect(await rowsSnapshot()).toEqual(before);

    const ok = await c.gql(CREATE, { input: shopRow(20, 7) }, t.shop2);
    expect(ok.data!.createPriceRow.errors).toEqual([]);
    // The shop's own price wins over the group's in May, only at SP02.
    const may = "2026-05-10T03:00:00Z";
    const q = await c.gql(QUOTE, { input: { shopId: "SP02", subOrders: [{ serviceId: "SV01", sheets: 5, items: [] }] }, at: may }, t.center);
    expect(q.data!.quote.quote.subOrders[0].lines[1]).toEqual({ productId: "P03", source: "SHOP", basicCharge: 20, amountCharge: 7, sheets: 5, subtotal: 55 });
    const sp1 = await c.gql(QUOTE, { input: { shopId: "SP01", subOrders: [{ serviceId: "SV01", sheets: 5, items: [] }] }, at: may }, t.center);
    expect(sp1.data!.quote.quote.subOrders[0].lines[1].source).toBe("GROUP");
    // A shop admin may not touch another shop's prices, nor their group's.
    const other = await c.gql(CREATE, { input: { ...shopRow(20, 7), shopId: "SP01" } }, t.shop2);
    expect(other.errors![0].extensions!.code).toBe("FORBIDDEN");
    const group = await c.gql(CREATE, { input: { shopGroupId: "SG01", productId: "P03", validFrom: "2030-01-01", basicCharge: 0, amountCharge: 1 } }, t.shop2);
    expect(group.errors![0].extensions!.code).toBe("FORBIDDEN");
  });

  it("tells the shop admin and the group admin when an allowance change leaves a shop price outside it", async () => {
    const countFor = (userId: string) => c.ds.getRepository(NotificationEntity).count({ where: { userId, kind: "SHOP_PRICE_OUT_OF_ALLOWANCE" } });
    const [shopBefore, groupBefore] = [await countFor("U002"), await countFor("U010")];
    const r = await c.gql(
      ALLOW,
      { input: { shopId: "SP02", productId: "P03", minBasicCharge: 0, maxBasicCharge: 10, minAmountCharge: 5, maxAmountCharge: 15 } },
      t.center,
    );
    expect(r.data!.setShopPriceAllowance.outsideRowIds).toHaveLength(1);
    expect(await countFor("U002")).toBe(shopBefore + 1);
    expect(await countFor("U010")).toBe(groupBefore + 1);
  });

  it("keeps allowances to the center admin and the shop's own group admin", async () => {
    const input = { shopId: "SP03", productId: "P03", minBasicCharge: 0, maxBasicCharge: 10, minAmountCharge: 0, maxAmountCharge: 10 };
    for (const [who, code] of [
      ["groupA", "FORBIDDEN"],
      ["shop3", "FORBIDDEN"],
      ["customer", "FORBIDDEN"],
    ] as const) {
      expect((await c.gql(ALLOW, { input }, t[who])).errors![0].extensions!.code).toBe(code);
    }
    expect((await c.gql(ALLOW, { input }, LAB01_KEY)).errors![0].extensions!.code).toBe("FORBIDDEN");
    expect((await c.gql(ALLOW, { input })).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    expect(await c.ds.getRepository(ShopPriceAllowanceEntity).findOneBy({ shopId: "SP03" })).toBeNull();
    const bad = await c.gql(ALLOW, { input: { ...input, minBasicCharge: 20 } }, t.groupB);
    expect(bad.data!.setShopPriceAllowance.errors).toEqual([
      { code: "INVALID_RANGE", message: "minBasicCharge is above maxBasicCharge", field: ["input", "minBasicCharge"] },
    ]);
    const ok = await c.gql(ALLOW, { input }, t.groupB);
    expect(ok.data!.setShopPriceAllowance.errors).toEqual([]);
    const rm = await c.gql(`mutation { removeShopPriceAllowance(shopId: "SP03", productId: "P03") { allowance { shopId } errors { code } } }`, {}, t.groupA);
    expect(rm.errors![0].extensions!.code).toBe("FORBIDDEN");
    const rm2 = await c.gql(`mutation { removeShopPriceAllowance(shopId: "SP03", productId: "P03") { allowance { shopId } errors { code } } }`, {}, t.groupB);
    expect(rm2.data!.removeShopPriceAllowance).toEqual({ allowance: { shopId: "SP03" }, errors: [] });
    expect(await c.ds.getRepository(ShopPriceAllowanceEntity).findOneBy({ shopId: "SP03" })).toBeNull();
  });
});

describe("authority over price rows", () => {
  const group = { shopGroupId: "SG02", productId: "P01", validFrom: "2031-01-01", validUntil: "2031-12-31", basicCharge: 1, amountCharge: 1 };
  const standard = { productId: "P05", validFrom: "2025-01-01", validUntil: "2025-06-30", basicCharge: 1, amountCharge: 1 };
  const table: Array<[string, object, Array<[string, string | null]>]> = [
    [
      "a group row of SG02",
      group,
      [
        ["anonymous", "UNAUTHENTICATED"],
        ["customer", "FORBIDDEN"],
        ["lab", "FORBIDDEN"],
        ["shop1", "FORBIDDEN"],
        ["shop3", "FORBIDDEN"],
        ["groupA", "FORBIDDEN"],
        ["groupB", null],
        ["center", null],
      ],
    ],
    [
      "a standard row",
      standard,
      [
        ["anonymous", "UNAUTHENTICATED"],
        ["customer", "FORBIDDEN"],
        ["lab", "FORBIDDEN"],
        ["shop1", "FORBIDDEN"],
        ["groupA", "FORBIDDEN"],
        ["groupB", "FORBIDDEN"],
        ["center", null],
      ],
    ],
  ];
  const bearerOf = (who: string) => () => (who === "anonymous" ? null : who === "lab" ? LAB01_KEY : t[who]);
  const code = (r: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => (r.errors?.[0]?.extensions?.code as string | undefined) ?? null;
  for (const [what, input, callers] of table) {
    // One attempt is create, update and delete of a row of that scope: a refused caller is refused
    // all three alike (update and delete aimed at an existing row); an allowed one does all three.
    const operation: MatrixOperation = {
      op: `${what}: create, update, delete`,
      async send(_v, bearer) {
        const r = await c.gql(CREATE, { input }, bearer);
        const refused = code(r);
        if (refused === null) {
          const id = r.data!.createPriceRow.priceRow?.id;
          const u = await c.gql(UPDATE, { id, input: { ...input, basicCharge: 2 } }, bearer);
          const d = await c.gql(DELETE, { id }, bearer);
          return { code: null, result: { r, u, d } };
        }
        const existing = (
          await c.ds
            .getRepository(PriceRowEntity)
            .findOneByOrFail(
              input === group
                ? { shopGroupId: "SG02", productId: "P03", validFrom: "2026-04-01" }
                : { shopGroupId: IsNull(), shopId: IsNull(), productId: "P05" },
            )
        ).id;
        const u = await c.gql(UPDATE, { id: existing, input }, bearer);
        const d = await c.gql(DELETE, { id: existing }, bearer);
        const codes = [refused, code(u), code(d)];
        return {
          code: codes.every((x) => x === refused) ? refused : codes.join(" / "),
          value: r.data?.createPriceRow ?? u.data?.updatePriceRow ?? d.data?.deletePriceRow ?? null,
        };
      },
      async whenAllowed({ result: { r, u, d } }, _v, before) {
        expect(r.data!.createPriceRow.errors).toEqual([]);
        expect(u.data!.updatePriceRow.priceRow.basicCharge).toBe(2);
        expect(d.data!.deletePriceRow.errors).toEqual([]);
        expect(await rowsSnapshot()).toEqual(before);
      },
    };
    const matrix = authzMatrix({
      operations: [operation],
      callers: callers.map(([who, want]): MatrixCaller => [who, bearerOf(who), want ?? "allowed"]),
      snapshot: rowsSnapshot,
      title: (_op, who, o) => `${what}: create, update, delete by ${who} -> ${o}`,
    });
    for (const cell of matrix) it(cell.title, cell.run);
  }
});

describe("change notices", () => {
  const notes = async (token: string) => (await c.gql(`{ notifications(first: 200) { kind message read } unreadNotificationCount }`, {}, token)).data!;

  it("reports a group admin's change to the shop admins of that group only, live over graphql-ws", async () => {
    const client = c.ws(t.shop1);
    const live = nextEvent<{ notifications: { kind: string; message: string } }>(client, "subscription { notifications { kind message read } }");
    await new Promise((r) => setTimeout(r, 300)); // no "subscribed" acknowledgement in the protocol
    const [shop1Before, shop3Before, groupABefore] = [
      (await notes(t.shop1)).unreadNotificationCount,
      (await notes(t.shop3)).unreadNotificationCount,
      (await notes(t.groupA)).unreadNotificationCount,
    ];
    const r = await c.gql(
      CREATE,
      { input: { shopGroupId: "SG01", productId: "P05", validFrom: "2024-01-01", validUntil: "2024-12-31", basicCharge: 0, amountCharge: 33 } },
      t.groupA,
    );
    expect(r.data!.createPriceRow.errors).toEqual([]);
    const event = await live.value;
    expect(event.notifications.kind).toBe("PRICE_CREATED");
    expect(event.notifications.message).toContain("group-a");
    expect(event.notifications.message).toContain("P05");
    live.dispose();
    expect((await notes(t.shop1)).unreadNotificationCount).toBe(shop1Before + 1);
    expect((await notes(t.shop2)).notifications[0].kind).toBe("PRICE_CREATED");
    expect((await notes(t.shop3)).unreadNotificationCount).toBe(shop3Before);
    expect((await notes(t.groupA)).unreadNotificationCount).toBe(groupABefore); // not the actor
  });

  it("reports a center admin's change to the group admin and the shop admins concerned", async () => {
    const before = {
      groupB: (await notes(t.groupB)).unreadNotificationCount,
      shop3: (await notes(t.shop3)).unreadNotificationCount,
      groupA: (await notes(t.groupA)).unreadNotificationCount,
    };
    await c.gql(
      CREATE,
      { input: { shopGroupId: "SG02", productId: "P03", validFrom: "2024-01-01", validUntil: "2024-12-31", basicCharge: 0, amountCharge: 9 } },
      t.center,
    );
    expect((await notes(t.groupB)).unreadNotificationCount).toBe(before.groupB + 1);
    expect((await notes(t.shop3)).unreadNotificationCount).toBe(before.shop3 + 1);
    expect((await notes(t.groupA)).unreadNotificationCount).toBe(before.groupA);
  });

  it("reports a shop admin's change to their group's admin, and marks notices read", async () => {
    const before = (await notes(t.groupA)).unreadNotificationCount;
    await c.gql(
      ALLOW,
      { input: { shopId: "SP01", productId: "P01", minBasicCharge: 0, maxBasicCharge: 500, minAmountCharge: 0, maxAmountCharge: 50 } },
      t.groupA,
    );
    const r = await c.gql(
      CREATE,
      { input: { shopId: "SP01", productId: "P01", validFrom: "2026-06-01", validUntil: "2026-06-30", basicCharge: 90, amountCharge: 9 } },
      t.shop1,
    );
    expect(r.data!.createPriceRow.errors).toEqual([]);
    const after = await notes(t.groupA);
    expect(after.unreadNotificationCount).toBe(before + 1);
    expect(after.notifications[0]).toMatchObject({ kind: "PRICE_CREATED", read: false });
    const mark = await c.gql(`mutation { markNotificationsRead { updated unreadCount errors { code } } }`, {}, t.groupA);
    expect(mark.data!.markNotificationsRead).toEqual({ updated: before + 1, unreadCount: 0, errors: [] });
    expect((await notes(t.groupA)).notifications.every((n: { read: boolean }) => n.read)).toBe(true);
    // Marking read is per user: shop-1's notices are untouched.
    expect((await notes(t.shop1)).unreadNotificationCount).toBeGreaterThan(0);
  });

  it("refuses the notifications subscription to anonymous callers and labs", async () => {
    await expect(nextEvent(c.ws(null), "subscription { notifications { kind } }").value).rejects.toThrow(/UNAUTHENTICATED|logged in/);
    await expect(nextEvent(c.ws(LAB01_KEY), "subscription { notifications { kind } }").value).rejects.toThrow(/FORBIDDEN|labs/);
  });
});

describe("what a shop offers", () => {
  it("lists each service with its template and the price ladder per product, with sources", async () => {
    const r = await c.gql(
      `{ shopOffer(shopId: "SP03", date: "2026-04-01") { shopId shopGroupId currency priceDate services { serviceId templateId ownTemplate products { productId prices { source basicCharge amountCharge minSheets maxSheets validFrom validUntil } } } } }`,
      {},
      t.customer,
    );
    expect(r.data!.shopOffer).toEqual({
      shopId: "SP03",
      shopGroupId: "SG02",
      currency: "JPY",
      priceDate: "2026-04-01",
      services: [
        {
          serviceId: "SV01",
          templateId: "T03",
          ownTemplate: false,
          products: [
            {
              productId: "P03",
              prices: [{ source: "GROUP", basicCharge: 0, amountCharge: 9, minSheets: 1, maxSheets: null, validFrom: "2026-04-01", validUntil: null }],
            },
          ],
        },
      ],
    });
    expect((await c.gql(`{ shopOffer(shopId: "SP99") { shopId } }`, {}, t.customer)).data!.shopOffer).toBeNull();
  });
});
