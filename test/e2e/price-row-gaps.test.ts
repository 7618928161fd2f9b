/**
 * Gaps opened by plain price row writes (seed 003, S20007: prices "need to be registered"), as
 * schedulePrice reports them: createPriceRow, updatePriceRow and deletePriceRow list in gapsOpened
 * the dates and sheet counts where a product of a shop's template had a price and has none after
 * the change (a dry run too, writing and telling nothing), and the admins concerned get exactly one
 * PRICE_GAP_OPENED notice; a gap that was there before is not one the change opens.
 *
 * The fixture prices P03 (template T03 of group SG02, shops SP03 and SP04) by SG02's rows from
 * 2026-01-01 to 2026-03-31 and from 2026-04-01 on, and by a standard row from 2026-01-01 on.
 */
import { loginPeople, startCenter, type TestCenter } from "../support/center";

let c: TestCenter;
let t: Record<string, string> = {};

const GAP_FIELDS = "gapsOpened { shopId templateId serviceId productId validFrom validUntil minSheets maxSheets }";
const CREATE = `mutation($input: PriceRowInput!, $dryRun: Boolean) { createPriceRow(input: $input, dryRun: $dryRun) { priceRow { id } changes { shopId } ${GAP_FIELDS} dryRun errors { code field } } }`;
const UPDATE = `mutation($id: ID!, $input: PriceRowInput!, $dryRun: Boolean) { updatePriceRow(id: $id, input: $input, dryRun: $dryRun) { priceRow { id } changes { shopId } ${GAP_FIELDS} dryRun errors { code field } } }`;
const DELETE = `mutation($id: ID!, $dryRun: Boolean) { deletePriceRow(id: $id, dryRun: $dryRun) { priceRow { id } changes { shopId } ${GAP_FIELDS} dryRun errors { code field } } }`;
const ROWS = `query($productId: ID!, $shopGroupId: ID, $standard: Boolean) { priceRows(productId: $productId, shopGroupId: $shopGroupId, standard: $standard) { id validFrom validUntil } }`;
const NOTICES = `{ notifications(first: 100) { kind message productId shopGroupId shopId } }`;
const GAPS = `query($from: Date!, $until: Date!) { priceGaps(shopGroupId: "SG02", from: $from, until: $until) { gaps { shopId validFrom validUntil } errors { code } } }`;

type Notice = { kind: string; message: string; productId: string | null; shopGroupId: string | null; shopId: string | null };
/** The caller's PRICE_GAP_OPENED notices, oldest first, read through the API. */
const gapNotices = async (token: string): Promise<Notice[]> => {
  const r = await c.gql<{ notifications: Notice[] }>(NOTICES, {}, token);
  expect(r.errors).toBeUndefined();
  return r.data!.notifications.filter((n) => n.kind === "PRICE_GAP_OPENED").reverse();
};
const rowOf = async (validFrom: string, shopGroupId: string | null): Promise<{ id: string; validUntil: string | null }> => {
  const r = await c.gql<{ priceRows: Array<{ id: string; validFrom: string; validUntil: string | null }> }>(
    ROWS,
    { productId: "P03", shopGroupId, standard: shopGroupId === null },
    t.center,
  );
  return r.data!.priceRows.find((x) => x.validFrom === validFrom)!;
};
const gap = (shopId: string, validFrom: string, validUntil: string | null) => ({
  shopId,
  templateId: "T03",
  serviceId: "SV01",
  productId: "P03",
  validFrom,
  validUntil,
  minSheets: 1,
  maxSheets: null,
});
/** Everyone who may be told about SG02's prices, and SG01's admin who may not. */
const WATCHERS = ["groupA", "groupB", "shop3", "shop4"] as const;
const allGapNotices = async () => Object.fromEntries(await Promise.all(WATCHERS.map(async (w) => [w, await gapNotices(t[w])] as const)));

beforeAll(async () => {
  c = await startCenter();
  t = await loginPeople(c, ["center", "groupA", "groupB", "shop3", "shop4"]);
});
afterAll(async () => {
  await c?.stop();
});

describe("gaps opened by price row writes", () => {
  it("a deletion that leaves another price in force opens none and tells nobody", async () => {
    // The standard P03 row: SG01's and SG02's rows price every day it did.
    const standard = await rowOf("2026-01-01", null);
    const r = (await c.gql(DELETE, { id: standard.id }, t.center)).data!.deletePriceRow;
    expect(r).toEqual({ priceRow: { id: standard.id }, changes: [], gapsOpened: [], dryRun: false, errors: [] });
    expect(await allGapNotices()).toEqual({ groupA: [], groupB: [], shop3: [], shop4: [] });
  });

  it("deleting the only price for a period lists the gap (dry run: writing and telling nothing) and tells the group's admins once", async () => {
    const q1 = await rowOf("2026-01-01", "SG02");
    const expected = [gap("SP03", "2026-01-01", "2026-03-31"), gap("SP04", "2026-01-01", "2026-03-31")];
    const dry = (await c.gql(DELETE, { id: q1.id, dryRun: true }, t.center)).data!.deletePriceRow;
    expect(dry.errors).toEqual([]);
    expect(dry.dryRun).toBe(true);
    expect(dry.gapsOpened).toEqual(expected);
    expect((await rowOf("2026-01-01", "SG02")).id).toBe(q1.id);
    expect(await allGapNotices()).toEqual({ groupA: [], groupB: [], shop3: [], shop4: [] });

    const real = (await c.gql(DELETE, { id: q1.id }, t.center)).data!.deletePriceRow;
    expect(real).toEqual({ priceRow: { id: q1.id }, changes: [], gapsOpened: expected, dryRun: false, errors: [] });
    expect(await rowOf("2026-01-01", "SG02")).toBeUndefined();
    const told: Notice = {
      kind: "PRICE_GAP_OPENED",
      message:
        "Product P03 has no price in force after a change by center (CENTER_ADMIN): shop SP03 2026-01-01 to 2026-03-31, sheets 1-and more; shop SP04 2026-01-01 to 2026-03-31, sheets 1-and more",
      productId: "P03",
      shopGroupId: "SG02",
      shopId: null,
    };
    // The group's admin and its shops' admins, once each; not the other group's admin.
    expect(await allGapNotices()).toEqual({ groupA: [], groupB: [told], shop3: [told], shop4: [told] });
    // What priceGaps finds now is exactly what the change opened.
    const found = (await c.gql(GAPS, { from: "2026-01-01", until: "2026-03-31" }, t.groupB)).data!.priceGaps;
    expect(found).toEqual({ gaps: expected.map(({ shopId, validFrom, validUntil }) => ({ shopId, validFrom, validUntil })), errors: [] });
  });

  it("an update that narrows a row's period opens the gap after it; a gap that was there before is not reported again", async () => {
    const q2 = await rowOf("2026-04-01", "SG02");
    expect(q2.validUntil).toBeNull();
    const before = await allGapNotices();
    const input = { shopGroupId: "SG02", productId: "P03", validFrom: "2026-04-01", validUntil: "2026-12-31", basicCharge: 0, amountCharge: 9 };
    const r = (await c.gql(UPDATE, { id: q2.id, input }, t.groupB)).data!.updatePriceRow;
    // Only 2027 on is new: January to March had no price already.
    expect(r).toEqual({
      priceRow: { id: q2.id },
      changes: [],
      gapsOpened: [gap("SP03", "2027-01-01", null), gap("SP04", "2027-01-01", null)],
      dryRun: false,
      errors: [],
    });
    expect((await rowOf("2026-04-01", "SG02")).validUntil).toBe("2026-12-31");
    const told: Notice = {
      kind: "PRICE_GAP_OPENED",
      message:
        "Product P03 has no price in force after a change by group-b (SHOP_GROUP_ADMIN): shop SP03 2027-01-01 to open end, sheets 1-and more; shop SP04 2027-01-01 to open end, sheets 1-and more",
      productId: "P03",
      shopGroupId: "SG02",
      shopId: null,
    };
    // The group admin acted: their shops' admins are told, they are not.
    expect(await allGapNotices()).toEqual({ ...before, shop3: [...before.shop3, told], shop4: [...before.shop4, told] });
  });

  it("a create that opens no gap lists none and tells nobody", async () => {
    const before = await allGapNotices();
    const input = { shopGroupId: "SG02", productId: "P03", validFrom: "2026-01-01", validUntil: "2026-03-31", basicCharge: 0, amountCharge: 11 };
    const dry = (await c.gql(CREATE, { input, dryRun: true }, t.center)).data!.createPriceRow;
    expect(dry).toMatchObject({ gapsOpened: [], dryRun: true, errors: [] });
    expect(dry.changes.map((x: { shopId: string }) => x.shopId)).toEqual(["SP03", "SP04"]);
    const r = (await c.gql(CREATE, { input }, t.center)).data!.createPriceRow;
    expect(r).toMatchObject({ changes: [], gapsOpened: [], dryRun: false, errors: [] });
    expect((await rowOf("2026-01-01", "SG02")).id).toBe(r.priceRow.id);
    expect(await allGapNotices()).toEqual(before);
    const found = (await c.gql(GAPS, { from: "2026-01-01", until: "2026-03-31" }, t.groupB)).data!.priceGaps;
    expect(found).toEqual({ gaps: [], errors: [] });
  });
});
