/**
 * Prices scheduled for a period in one step (seed 003: price correction schedules, busy and slack
 * periods) and completeness (S20007): schedulePrice writes its row and shortens, splits or removes
 * the rows of its scope and product it overlaps, in one transaction, reporting each; the history
 * shows one change (one changeId) and the admins one notice; a change that leaves a template
 * product without a price reports the gap (dry runs too) and tells the admins concerned; priceGaps
 * lists what has no price in force. Authority per role for both.
 */
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import { authzMatrix, graphqlAttempt, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { PriceHistoryEntity } from "../../src/pricing/price-history.entity";
import { PriceRowEntity } from "../../src/pricing/price-row.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";
let c: TestCenter;
const t: Record<string, string> = {};

const SCHEDULE = `mutation($input: PriceRowInput!, $dryRun: Boolean) {
  schedulePrice(input: $input, dryRun: $dryRun) {
    dryRun changeId
    priceRow { id shopGroupId shopId productId validFrom validUntil basicCharge amountCharge minSheets maxSheets }
    rowChanges { action priceRowId before { validFrom validUntil } after { validFrom validUntil } splitFromPriceRowId }
    changes { shopId productId validFrom validUntil minSheets maxSheets before { source priceRowId basicCharge amountCharge } after { source priceRowId basicCharge amountCharge } }
    gapsOpened { shopId templateId serviceId productId validFrom validUntil minSheets maxSheets }
    errors { code field }
  }
}`;
const GAPS = `query($shopGroupId: ID, $shopId: ID, $from: Date!, $until: Date!) {
  priceGaps(shopGroupId: $shopGroupId, shopId: $shopId, from: $from, until: $until) {
    gaps { shopId templateId serviceId productId validFrom validUntil minSheets maxSheets }
    errors { code field }
  }
}`;
const ROWS = `query($productId: ID!, $shopGroupId: ID, $standard: Boolean) { priceRows(productId: $productId, shopGroupId: $shopGroupId, standard: $standard) { id validFrom validUntil basicCharge amountCharge minSheets maxSheets } }`;
const HISTORY = `query($productId: ID!) { priceHistory(productId: $productId, first: 50) { entityId action changeId before { priceRow { validFrom validUntil } } after { priceRow { validFrom validUntil } } } }`;
const QUOTE = `query($input: OrderInput!, $at: DateTime) { quote(input: $input, at: $at) { quote { subOrders { lines { productId priceRowId basicCharge amountCharge } } } errors { code } } }`;

type Row = {
  id: string;
  validFrom: string;
  validUntil: string | null;
  basicCharge: number;
  amountCharge: number;
  minSheets: number | null;
  maxSheets: number | null;
};
const rows = async (productId: string, shopGroupId: string | null = "SG01"): Promise<Row[]> => {
  const r = await c.gql<{ priceRows: Row[] }>(ROWS, { productId, shopGroupId, standard: shopGroupId === null }, t.center);
  expect(r.errors).toBeUndefined();
  return r.data!.priceRows;
};
const rowAt = async (productId: string, validFrom: string, shopGroupId: string | null = "SG01") =>
  (await rows(productId, shopGroupId)).find((r) => r.validFrom === validFrom)!;
const notices = async (who: string, kind: string) =>
  (await c.ds.getRepository(NotificationEntity).find({ where: { userId: who, kind }, order: { createdAt: "ASC" } })).map((n) => n.message);
const rowsSnapshot = async () => (await c.ds.getRepository(PriceRowEntity).find({ order: { id: "ASC" } })).map((r) => ({ ...r, updatedAt: undefined }));
const historyCount = () => c.ds.getRepository(PriceHistoryEntity).count();

beforeAll(async () => {
  c = await startCenter();
  Object.assign(t, await loginPeople(c, ["center", "groupA", "groupB", "shop1", "shop2", "customer"]));
});
afterAll(async () => {
  await c?.stop();
});

describe("schedulePrice", () => {
  it("a busy season inside an open-ended row: a dry run reports the split and the moved prices, writing nothing", async () => {
    const base = await rowAt("P01", "2026-04-01");
    const [rowsBefore, historyBefore] = [await rowsSnapshot(), await historyCount()];
    const input = { shopGroupId: "SG01", productId: "P01", validFrom: "2026-12-01", validUntil: "2026-12-31", basicCharge: 150, amountCharge: 15 };
    const r = (await c.gql(SCHEDULE, { input, dryRun: true }, t.groupA)).data!.schedulePrice;
    expect(r.errors).toEqual([]);
    expect(r.dryRun).toBe(true);
    const newId = r.priceRow.id;
    const restId = r.rowChanges[2].priceRowId;
    expect(r.rowChanges).toEqual([
      { action: "CREATED", priceRowId: newId, before: null, after: { validFrom: "2026-12-01", validUntil: "2026-12-31" }, splitFromPriceRowId: null },
      {
        action: "SPLIT",
        priceRowId: base.id,
        before: { validFrom: "2026-04-01", validUntil: null },
        after: { validFrom: "2026-04-01", validUntil: "2026-11-30" },
        splitFromPriceRowId: null,
      },
      { action: "CREATED", priceRowId: restId, before: null, after: { validFrom: "2027-01-01", validUntil: null }, splitFromPriceRowId: base.id },
    ]);
    // The shops of the group see December move; the rest keeps its price (under the second part's id).
    expect(r.changes).toEqual(
      ["SP01", "SP02"].map((shopId) => ({
        shopId,
        productId: "P01",
        validFrom: "2026-12-01",
        validUntil: "2026-12-31",
        minSheets: 1,
        maxSheets: null,
        before: { source: "GROUP", priceRowId: base.id, basicCharge: 100, amountCharge: 10 },
        after: { source: "GROUP", priceRowId: newId, basicCharge: 150, amountCharge: 15 },
      })),
    );
    expect(r.gapsOpened).toEqual([]);
    expect(await rowsSnapshot()).toEqual(rowsBefore);
    expect(await historyCount()).toBe(historyBefore);
  });

  it("the same for real: one transaction, rows re-read, quotes follow, one change in the history, one notice", async () => {
    const base = await rowAt("P01", "2026-04-01");
    const input = { shopGroupId: "SG01", productId: "P01", validFrom: "2026-12-01", validUntil: "2026-12-31", basicCharge: 150, amountCharge: 15 };
    const r = (await c.gql(SCHEDULE, { input }, t.groupA)).data!.schedulePrice;
    expect(r.errors).toEqual([]);
    expect(r.dryRun).toBe(false);
    const [newId, restId] = [r.priceRow.id, r.rowChanges[2].priceRowId];
    expect(r.rowChanges.map((x: { action: string }) => x.action)).toEqual(["CREATED", "SPLIT", "CREATED"]);
    expect((await rows("P01")).filter((x) => x.validFrom >= "2026-04-01")).toEqual([
      { id: base.id, validFrom: "2026-04-01", validUntil: "2026-11-30", basicCharge: 100, amountCharge: 10, minSheets: null, maxSheets: null },
      { id: newId, validFrom: "2026-12-01", validUntil: "2026-12-31", basicCharge: 150, amountCharge: 15, minSheets: null, maxSheets: null },
      { id: restId, validFrom: "2027-01-01", validUntil: null, basicCharge: 100, amountCharge: 10, minSheets: null, maxSheets: null },
    ]);
    const order = { shopId: "SP01", subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: "my-own-photo" }] }] };
    const lineOn = async (at: string) => (await c.gql(QUOTE, { input: order, at }, t.center)).data!.quote.quote.subOrders[0].lines[0];
    expect(await lineOn("2026-11-30T03:00:00Z")).toEqual({ productId: "P01", priceRowId: base.id, basicCharge: 100, amountCharge: 10 });
    expect(await lineOn("2026-12-15T03:00:00Z")).toEqual({ productId: "P01", priceRowId: newId, basicCharge: 150, amountCharge: 15 });
    expect(await lineOn("2027-01-01T03:00:00Z")).toEqual({ productId: "P01", priceRowId: restId, basicCharge: 100, amountCharge: 10 });
    const history = (await c.gql(HISTORY, { productId: "P01" }, t.center)).data!.priceHistory.filter(
      (h: { changeId: string | null }) => h.changeId === r.changeId,
    );
    expect(history).toHaveLength(3);
    expect(new Set(history.map((h: { entityId: string; action: string }) => `${h.action} ${h.entityId}`))).toEqual(
      new Set([`CREATED ${newId}`, `UPDATED ${base.id}`, `CREATED ${restId}`]),
    );
    const updated = history.find((h: { action: string }) => h.action === "UPDATED");
    expect([updated.before.priceRow, updated.after.priceRow]).toEqual([
      { validFrom: "2026-04-01", validUntil: null },
      { validFrom: "2026-04-01", validUntil: "2026-11-30" },
    ]);
    // One notice per admin concerned (the group's shop admins), none to the actor.
    for (const who of ["U001", "U002"]) {
      expect(await notices(who, "PRICE_SCHEDULED")).toEqual([
        `group-a (SHOP_GROUP_ADMIN) scheduled a price of product P01 for shop group SG01: basic 150 + 15/sheet from 2026-12-01 to 2026-12-31; split ${base.id}`,
      ]);
      expect(await notices(who, "PRICE_CREATED")).toEqual([]);
    }
    expect(await notices("U010", "PRICE_SCHEDULED")).toEqual([]);
  });

  it("shortens the rows it overlaps at their end or start and removes the rows it covers", async () => {
    const [early, late] = [await rowAt("P02", "2026-01-01"), await rowAt("P02", "2026-04-01")];
    const input = { shopGroupId: "SG01", productId: "P02", validFrom: "2026-03-01", basicCharge: 310, amountCharge: 0 };
    const r = (await c.gql(SCHEDULE, { input }, t.groupA)).data!.schedulePrice;
    expect(r.errors).toEqual([]);
    expect(r.rowChanges).toEqual([
      { action: "CREATED", priceRowId: r.priceRow.id, before: null, after: { validFrom: "2026-03-01", validUntil: null }, splitFromPriceRowId: null },
      {
        action: "SHORTENED",
        priceRowId: early.id,
        before: { validFrom: "2026-01-01", validUntil: "2026-03-31" },
        after: { validFrom: "2026-01-01", validUntil: "2026-02-28" },
        splitFromPriceRowId: null,
      },
      { action: "REMOVED", priceRowId: late.id, before: { validFrom: "2026-04-01", validUntil: null }, after: null, splitFromPriceRowId: null },
    ]);
    expect((await rows("P02")).map((x) => [x.id, x.validFrom, x.validUntil, x.basicCharge])).toEqual([
      [early.id, "2026-01-01", "2026-02-28", 320],
      [r.priceRow.id, "2026-03-01", null, 310],
    ]);

    const p04 = await rowAt("P04", "2026-01-01");
    const s = (
      await c.gql(
        SCHEDULE,
        { input: { shopGroupId: "SG01", productId: "P04", validFrom: "2025-12-01", validUntil: "2026-01-31", basicCharge: 0, amountCharge: 52 } },
        t.groupA,
      )
    ).data!.schedulePrice;
    expect(s.errors).toEqual([]);
    expect(s.rowChanges[1]).toEqual({
      action: "SHORTENED",
      priceRowId: p04.id,
      before: { validFrom: "2026-01-01", validUntil: "2026-03-31" },
      after: { validFrom: "2026-02-01", validUntil: "2026-03-31" },
      splitFromPriceRowId: null,
    });
    expect((await rowAt("P04", "2026-02-01")).id).toBe(p04.id);
  });

  it("a refused schedule (bad period) writes nothing and cuts nothing", async () => {
    const [rowsBefore, historyBefore] = [await rowsSnapshot(), await historyCount()];
    const input = { shopGroupId: "SG01", productId: "P03", validFrom: "2026-06-01", validUntil: "2026-05-01", basicCharge: 0, amountCharge: 1 };
    const r = (await c.gql(SCHEDULE, { input }, t.groupA)).data!.schedulePrice;
    expect(r).toMatchObject({ priceRow: null, changeId: null, rowChanges: [], errors: [{ code: "INVALID_PERIOD", field: ["input", "validUntil"] }] });
    expect(await rowsSnapshot()).toEqual(rowsBefore);
    expect(await historyCount()).toBe(historyBefore);
  });
});

describe("gaps", () => {
  it("priceGaps lists each template product and sheet range with no price in force, by shop", async () => {
    // Before 2026 the fixture has no price at all: every product of SP03's one template (T03: P03).
    const r = (await c.gql(GAPS, { shopId: "SP03", from: "2025-12-30", until: "2026-01-05" }, t.groupB)).data!.priceGaps;
    expect(r).toEqual({
      errors: [],
      gaps: [
        {
          shopId: "SP03",
          templateId: "T03",
          serviceId: "SV01",
          productId: "P03",
          validFrom: "2025-12-30",
          validUntil: "2025-12-31",
          minSheets: 1,
          maxSheets: null,
        },
      ],
    });
    const bad = (await c.gql(GAPS, { shopGroupId: "SG01", from: "2026-02-01", until: "2026-01-01" }, t.groupA)).data!.priceGaps;
    expect(bad).toEqual({ gaps: [], errors: [{ code: "INVALID_PERIOD", field: ["until"] }] });
  });

  it("a schedule that leaves sheet counts without a price reports the gaps (dry run too) and tells the admins concerned", async () => {
    // P05 priced only by SG01's tiers: the standard row and the group's untiered rows gone.
    const standard = await rowAt("P05", "2026-01-01", null);
    expect(
      (await c.gql(`mutation($id: ID!) { deletePriceRow(id: $id) { errors { code } } }`, { id: standard.id }, t.center)).data!.deletePriceRow.errors,
    ).toEqual([]);
    for (const row of await rows("P05")) {
      expect((await c.gql(`mutation($id: ID!) { deletePriceRow(id: $id) { errors { code } } }`, { id: row.id }, t.groupA)).data!.deletePriceRow.errors).toEqual(
        [],
      );
    }
    for (const [minSheets, maxSheets, amountCharge] of [
      [1, 49, 30],
      [50, null, 25],
    ] as const) {
      const tier = { shopGroupId: "SG01", productId: "P05", validFrom: "2026-01-01", basicCharge: 0, amountCharge, minSheets, maxSheets };
      expect((await c.gql(SCHEDULE, { input: tier }, t.groupA)).data!.schedulePrice.errors).toEqual([]);
    }
    const gapsOf = (from: string, until: string) => c.gql(GAPS, { shopGroupId: "SG01", from, until }, t.groupA).then((x) => x.data!.priceGaps.gaps);
    expect(await gapsOf("2026-06-30", "2026-09-01")).toEqual([]);
    const busy = {
      shopGroupId: "SG01",
      productId: "P05",
      validFrom: "2026-07-01",
      validUntil: "2026-08-31",
      basicCharge: 0,
      amountCharge: 20,
      minSheets: 30,
      maxSheets: 100,
    };
    const expected = ["SP01", "SP02"].flatMap((shopId) =>
      [
        [1, 29],
        [101, null],
      ].map(([minSheets, maxSheets]) => ({
        shopId,
        templateId: "T04",
        serviceId: "SV03",
        productId: "P05",
        validFrom: "2026-07-01",
        validUntil: "2026-08-31",
        minSheets,
        maxSheets,
      })),
    );
    // Deleting the group's untiered rows above left P05 without a price until the tiers came: told then.
    const earlier = await notices("U001", "PRICE_GAP_OPENED");
    expect(earlier).toEqual([
      "Product P05 has no price in force after a change by group-a (SHOP_GROUP_ADMIN): shop SP01 2026-01-01 to 2026-03-31, sheets 1-and more; shop SP02 2026-01-01 to 2026-03-31, sheets 1-and more",
      "Product P05 has no price in force after a change by group-a (SHOP_GROUP_ADMIN): shop SP01 2026-04-01 to open end, sheets 1-and more; shop SP02 2026-04-01 to open end, sheets 1-and more",
    ]);
    const dry = (await c.gql(SCHEDULE, { input: busy, dryRun: true }, t.groupA)).data!.schedulePrice;
    expect(dry.errors).toEqual([]);
    expect(dry.changes).toHaveLength(8); // per shop: 1-29 and 101+ lost, 30-49 and 50-100 moved
    expect(dry.gapsOpened).toEqual(expected);
    expect(await notices("U001", "PRICE_GAP_OPENED")).toEqual(earlier);
    const real = (await c.gql(SCHEDULE, { input: busy }, t.groupA)).data!.schedulePrice;
    expect(real.gapsOpened).toEqual(expected);
    expect(real.rowChanges.map((x: { action: string }) => x.action)).toEqual(["CREATED", "SPLIT", "CREATED", "SPLIT", "CREATED"]);
    expect(await gapsOf("2026-06-30", "2026-09-01")).toEqual(expected);
    const told = `Product P05 has no price in force after a change by group-a (SHOP_GROUP_ADMIN): shop SP01 2026-07-01 to 2026-08-31, sheets 1-29; shop SP01 2026-07-01 to 2026-08-31, sheets 101-and more; shop SP02 2026-07-01 to 2026-08-31, sheets 1-29; shop SP02 2026-07-01 to 2026-08-31, sheets 101-and more`;
    expect(await notices("U001", "PRICE_GAP_OPENED")).toEqual([...earlier, told]);
    expect(await notices("U002", "PRICE_GAP_OPENED")).toEqual([...earlier, told]);
    expect(await notices("U003", "PRICE_GAP_OPENED")).toEqual([]);
  });
});

describe("authority", () => {
  const bearerOf = (who: string) => () => (who === "anonymous" ? null : who === "lab" ? LAB01_KEY : t[who]);
  let year = 2040;
  const schedule: MatrixOperation = {
    op: "schedulePrice (group SG01)",
    prepare: () => ({
      input: { shopGroupId: "SG01", productId: "P03", validFrom: `${++year}-02-01`, validUntil: `${year}-02-28`, basicCharge: 0, amountCharge: 7 },
    }),
    send: (v, bearer) =>
      graphqlAttempt(c, SCHEDULE, "schedulePrice", v, bearer).then((a) => ({
        ...a,
        code: a.code ?? (a.value as { errors?: Array<{ code: string }> } | null)?.errors?.[0]?.code ?? null,
      })),
    applied: async (v) => (await rows("P03")).some((r) => r.validFrom === v.input.validFrom && r.amountCharge === 7),
  };
  const callers: Array<MatrixCaller> = [
    ["anonymous", bearerOf("anonymous"), "UNAUTHENTICATED"],
    ["customer", bearerOf("customer"), "FORBIDDEN"],
    ["lab", bearerOf("lab"), "FORBIDDEN"],
    ["shop admin (SP01, of the group)", bearerOf("shop1"), "FORBIDDEN"],
    ["group admin of another group", bearerOf("groupB"), "FORBIDDEN"],
    ["group admin", bearerOf("groupA"), "allowed"],
    ["center admin", bearerOf("center"), "allowed"],
  ];
  for (const cell of authzMatrix({ operations: [schedule], callers, snapshot: rowsSnapshot })) it(cell.title, cell.run);

  const gaps = (scope: Record<string, string>): MatrixOperation => ({
    op: `priceGaps (${Object.values(scope)[0]})`,
    send: (_v, bearer) => graphqlAttempt(c, GAPS, "priceGaps", { ...scope, from: "2025-12-31", until: "2025-12-31" }, bearer),
  });
  const readers = (own: string): Array<MatrixCaller> => [
    ["anonymous", bearerOf("anonymous"), "UNAUTHENTICATED"],
    ["customer", bearerOf("customer"), "FORBIDDEN"],
    ["lab", bearerOf("lab"), "FORBIDDEN"],
    ["shop admin of another shop", bearerOf("shop2"), "FORBIDDEN"],
    ["group admin of another group", bearerOf("groupB"), "FORBIDDEN"],
    [own, bearerOf(own === "shop admin" ? "shop1" : "groupA"), "allowed"],
    ["center admin", bearerOf("center"), "allowed"],
  ];
  for (const cell of authzMatrix({
    operations: [gaps({ shopId: "SP01" })],
    callers: [...readers("shop admin"), ["its group admin", bearerOf("groupA"), "allowed"]],
  }))
    it(cell.title, cell.run);
  for (const cell of authzMatrix({
    operations: [gaps({ shopGroupId: "SG01" })],
    callers: [...readers("group admin"), ["a shop admin of the group", bearerOf("shop1"), "FORBIDDEN"]],
  }))
    it(cell.title, cell.run);
});
