import * as fs from "fs";
import * as path from "path";

import {
  findOverlaps,
  findPrice,
  PriceBookIndex,
  quoteOrder,
  validatePriceRowShape,
  type PriceRowData,
  type PriceRowShape,
  type PriceScope,
  type PriceSource,
  type QuoteInput,
  type QuoteResult,
  type ShopPricingContext,
  type TemplateData,
} from "../../src/pricing/price-calculator";

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

const SHOP: PriceScope = { kind: "SHOP", shopId: "SP01" };
const GROUP: PriceScope = { kind: "GROUP", shopGroupId: "SG01" };
const STANDARD: PriceScope = { kind: "STANDARD" };

let rowSeq = 0;

/** A row open from 2026-01-01, untiered, unless told otherwise. */
function row(fields: Partial<PriceRowData> & Pick<PriceRowData, "basicCharge" | "amountCharge">): PriceRowData {
  rowSeq += 1;
  return {
    id: `R${rowSeq}`,
    scope: GROUP,
    productId: "P01",
    validFrom: "2026-01-01",
    validUntil: null,
    minSheets: null,
    maxSheets: null,
    ...fields,
  };
}

function scopeOf(source: PriceSource): PriceScope {
  switch (source) {
    case "SHOP_TIER":
    case "SHOP":
      return SHOP;
    case "GROUP_TIER":
    case "GROUP":
      return GROUP;
    case "STANDARD_TIER":
    case "STANDARD":
      return STANDARD;
  }
}

function context(
  rows: PriceRowData[],
  options: { shopTemplates?: TemplateData[]; groupTemplates?: TemplateData[]; chargedImages?: Map<string, number> } = {},
): ShopPricingContext {
  const inScope = (kind: PriceScope["kind"]) => rows.filter((r) => r.scope.kind === kind);
  return {
    shopId: "SP01",
    shopGroupId: "SG01",
    shopTemplates: options.shopTemplates ?? [],
    groupTemplates: options.groupTemplates ?? [{ id: "T01", serviceId: "SV01", productIds: ["P01"] }],
    shopRows: PriceBookIndex.from(inScope("SHOP")),
    groupRows: PriceBookIndex.from(inScope("GROUP")),
    standardRows: PriceBookIndex.from(inScope("STANDARD")),
    chargedImages: options.chargedImages ?? new Map(),
  };
}

/** Quotes one SV01 sub-order and returns its only line; fails the test on errors. */
function quoteOneLine(ctx: ShopPricingContext, sheets: number, priceDate = "2026-04-01") {
  const result = quoteOrder(ctx, { priceDate, subOrders: [{ serviceId: "SV01", sheets, items: [] }] });
  if (!result.ok) {
    throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
  }
  expect(result.subOrders).toHaveLength(1);
  expect(result.subOrders[0].lines).toHaveLength(1);
  return result.subOrders[0].lines[0];
}

function errorsOf(result: QuoteResult) {
  if (result.ok) {
    throw new Error(`expected errors, got total ${result.total}`);
  }
  return result.errors;
}

// ---------------------------------------------------------------------------
// Precedence
// ---------------------------------------------------------------------------

describe("precedence: SHOP_TIER, SHOP, GROUP_TIER, GROUP, STANDARD_TIER, STANDARD", () => {
  const ORDER: PriceSource[] = ["SHOP_TIER", "SHOP", "GROUP_TIER", "GROUP", "STANDARD_TIER", "STANDARD"];

  /** One row per source, priced so the winner is recognisable: source k costs (k+1) × 1000 + (k+1) per sheet. */
  function rowFor(source: PriceSource): PriceRowData {
    const k = ORDER.indexOf(source) + 1;
    const tier = source.endsWith("_TIER");
    return row({
      id: source,
      scope: scopeOf(source),
      basicCharge: k * 1000,
      amountCharge: k,
      minSheets: tier ? 1 : null,
      maxSheets: tier ? 10 : null,
    });
  }

  const cases: Array<[string, PriceSource[], PriceSource]> = [];
  ORDER.forEach((winner, k) => {
    // The winner with every less specific source present: it beats them all.
    cases.push([`${winner} beats all less specific`, ORDER.slice(k), winner]);
    // The winner alone: it is found when the more specific ones are absent.
    cases.push([`${winner} alone`, [winner], winner]);
    // Every more specific source present: the winner loses to the one just above it.
    if (k > 0) {
      cases.push([`${winner} loses to ${ORDER[k - 1]}`, [ORDER[k - 1], winner], ORDER[k - 1]]);
    }
  });

  it.each(cases)("%s", (_name, present, expected) => {
    const line = quoteOneLine(context(present.map(rowFor)), 5);
    const k = ORDER.indexOf(expected) + 1;
    expect(line).toEqual({
      productId: "P01",
      source: expected,
      priceRowId: expected,
      basicCharge: k * 1000,
      amountCharge: k,
      sheets: 5,
      subtotal: k * 1000 + k * 5,
    });
  });

  it("a tier that does not cover the sheet count does not win: the next source does", () => {
    // Shop tier 1-10 only (no shop untiered row): 11 sheets go to the group.
    const ctx = context([rowFor("SHOP_TIER"), rowFor("GROUP")]);
    expect(quoteOneLine(ctx, 10).source).toBe("SHOP_TIER");
    expect(quoteOneLine(ctx, 11).source).toBe("GROUP");
  });

  it("findPrice reports the source and row", () => {
    const ctx = context([rowFor("GROUP_TIER"), rowFor("STANDARD")]);
    expect(findPrice(ctx, "P01", "2026-04-01", 10)).toEqual({ row: rowFor("GROUP_TIER"), source: "GROUP_TIER" });
    expect(findPrice(ctx, "P01", "2026-04-01", 11)?.source).toBe("STANDARD");
    expect(findPrice(ctx, "P99", "2026-04-01", 1)).toBeNull();
  });
});

// ---------------------------------------------------------------------------
// Tiers
// ---------------------------------------------------------------------------

describe("tiers", () => {
  const tiered = context([
    row({ id: "T1-10", minSheets: 1, maxSheets: 10, basicCharge: 100, amountCharge: 10 }),
    row({ id: "T11-50", minSheets: 11, maxSheets: 50, basicCharge: 100, amountCharge: 8 }),
    row({ id: "T51-", minSheets: 51, maxSheets: null, basicCharge: 100, amountCharge: 5 }),
    row({ id: "FLAT", basicCharge: 999, amountCharge: 99 }),
  ]);

  it.each([
    [1, "T1-10", "GROUP_TIER", 110],
    [10, "T1-10", "GROUP_TIER", 200], // last sheet of the first tier
    [11, "T11-50", "GROUP_TIER", 188], // first sheet of the next
    [50, "T11-50", "GROUP_TIER", 500],
    [51, "T51-", "GROUP_TIER", 355], // first sheet of the open-ended tier
    [100000, "T51-", "GROUP_TIER", 500100], // open-ended: no upper end
  ])("%i sheets -> %s", (sheets, rowId, source, subtotal) => {
    const line = quoteOneLine(tiered, sheets);
    expect([line.priceRowId, line.source, line.subtotal]).toEqual([rowId, source, subtotal]);
  });

  const withGap = context([
    row({ id: "T1-10", minSheets: 1, maxSheets: 10, basicCharge: 0, amountCharge: 10 }),
    row({ id: "T21-30", minSheets: 21, maxSheets: 30, basicCharge: 0, amountCharge: 7 }),
    row({ id: "FLAT", basicCharge: 50, amountCharge: 9 }),
  ]);

  it.each([
    [10, "T1-10", "GROUP_TIER", 100],
    [11, "FLAT", "GROUP", 149], // no tier covers 11-20: the untiered row of the same scope
    [20, "FLAT", "GROUP", 230],
    [21, "T21-30", "GROUP_TIER", 147],
    [30, "T21-30", "GROUP_TIER", 210],
    [31, "FLAT", "GROUP", 329],
  ])("gap between tiers: %i sheets -> %s", (sheets, rowId, source, subtotal) => {
    const line = quoteOneLine(withGap, sheets);
    expect([line.priceRowId, line.source, line.subtotal]).toEqual([rowId, source, subtotal]);
  });

  it("a scope with a non-matching tier and no untiered row falls through to the next scope", () => {
    const ctx = context([
      row({ id: "G-T1-10", minSheets: 1, maxSheets: 10, basicCharge: 0, amountCharge: 10 }),
      row({ id: "S-T100-", scope: STANDARD, minSheets: 100, maxSheets: null, basicCharge: 0, amountCharge: 3 }),
      row({ id: "S-FLAT", scope: STANDARD, basicCharge: 0, amountCharge: 20 }),
    ]);
    expect(quoteOneLine(ctx, 10).priceRowId).toBe("G-T1-10");
    const line = quoteOneLine(ctx, 11);
    expect([line.priceRowId, line.source, line.subtotal]).toEqual(["S-FLAT", "STANDARD", 220]);
    const big = quoteOneLine(ctx, 100);
    expect([big.priceRowId, big.source, big.subtotal]).toEqual(["S-T100-", "STANDARD_TIER", 300]);
  });

  it("tiers follow their own periods: new tier prices from April, old ones until March", () => {
    const ctx = context([
      row({ id: "Q1-T1-10", validUntil: "2026-03-31", minSheets: 1, maxSheets: 10, basicCharge: 0, amountCharge: 12 }),
      row({ id: "Q1-T11-", validUntil: "2026-03-31", minSheets: 11, maxSheets: null, basicCharge: 0, amountCharge: 9 }),
      row({ id: "Q2-T1-20", validFrom: "2026-04-01", minSheets: 1, maxSheets: 20, basicCharge: 0, amountCharge: 11 }),
      row({ id: "Q2-T21-", validFrom: "2026-04-01", minSheets: 21, maxSheets: null, basicCharge: 0, amountCharge: 8 }),
    ]);
    expect(quoteOneLine(ctx, 15, "2026-03-31").priceRowId).toBe("Q1-T11-");
    expect(quoteOneLine(ctx, 15, "2026-04-01").priceRowId).toBe("Q2-T1-20");
    expect(quoteOneLine(ctx, 21, "2026-04-01").subtotal).toBe(168);
  });
});

// ---------------------------------------------------------------------------
// Periods
// ---------------------------------------------------------------------------

describe("periods", () => {
  const ctx = context([
    row({ id: "OLD", validFrom: "2026-01-01", validUntil: "2026-03-31", basicCharge: 120, amountCharge: 12 }),
    row({ id: "NEW", validFrom: "2026-04-01", validUntil: null, basicCharge: 100, amountCharge: 10 }),
    row({ id: "STD", scope: STANDARD, validFrom: "2025-10-01", validUntil: "2025-12-31", basicCharge: 1, amountCharge: 1 }),
  ]);

  it.each([
    ["2026-01-01", "OLD", "GROUP", 180], // first day of the old period
    ["2026-03-31", "OLD", "GROUP", 180], // its last day
    ["2026-04-01", "NEW", "GROUP", 150], // first day of the next
    ["2099-12-31", "NEW", "GROUP", 150], // validUntil null: still in force
    ["2025-12-31", "STD", "STANDARD", 6], // before the group's first row: standard fallback
  ])("on %s -> %s", (date, rowId, source, subtotal) => {
    const line = quoteOneLine(ctx, 5, date);
    expect([line.priceRowId, line.source, line.subtotal]).toEqual([rowId, source, subtotal]);
  });

  it("no row in force anywhere -> NO_PRICE naming product, scopes and date", () => {
    const errors = errorsOf(quoteOrder(ctx, { priceDate: "2025-09-30", subOrders: [{ serviceId: "SV01", sheets: 5, items: [] }] }));
    expect(errors).toEqual([
      {
        code: "NO_PRICE",
        message: "No price for product P01 on 2025-09-30 for 5 sheets: none at shop SP01, group SG01 or standard.",
        field: ["input", "subOrders", "0", "serviceId"],
      },
    ]);
  });
});

// ---------------------------------------------------------------------------
// PriceBookIndex
// ---------------------------------------------------------------------------

describe("PriceBookIndex", () => {
  it("finds nothing for an unknown product or in an empty index", () => {
    const index = PriceBookIndex.from([row({ basicCharge: 1, amountCharge: 1 })]);
    expect(index.find("P99", "2026-04-01", 1)).toBeNull();
    expect(PriceBookIndex.empty().find("P01", "2026-04-01", 1)).toBeNull();
    expect(PriceBookIndex.from([]).find("P01", "2026-04-01", 1)).toBeNull();
  });

  it("reports whether a tier matched", () => {
    const tier = row({ minSheets: 1, maxSheets: 3, basicCharge: 1, amountCharge: 1 });
    const flat = row({ basicCharge: 2, amountCharge: 2 });
    const index = PriceBookIndex.from([flat, tier]);
    expect(index.find("P01", "2026-04-01", 3)).toEqual({ row: tier, tier: true });
    expect(index.find("P01", "2026-04-01", 4)).toEqual({ row: flat, tier: false });
  });

  it("does not depend on the order rows are given in", () => {
    const rows = [
      row({ id: "A", validFrom: "2026-01-01", validUntil: "2026-01-31", basicCharge: 1, amountCharge: 0 }),
      row({ id: "B", validFrom: "2026-02-01", validUntil: "2026-02-28", basicCharge: 2, amountCharge: 0 }),
      row({ id: "C", validFrom: "2026-03-01", validUntil: null, basicCharge: 3, amountCharge: 0 }),
    ];
    for (const order of [rows, [...rows].reverse(), [rows[1], rows[2], rows[0]]]) {
      const index = PriceBookIndex.from(order);
      expect(["2026-01-31", "2026-02-01", "2026-02-28", "2026-03-01"].map((d) => index.find("P01", d, 1)?.row.id)).toEqual(["A", "B", "B", "C"]);
    }
  });

  it("finds an older open-ended row behind later rows that have ended (data that overlaps)", () => {
    // The write path refuses this overlap, but the index must still answer right.
    const index = PriceBookIndex.from([
      row({ id: "OPEN", validFrom: "2026-01-01", validUntil: null, basicCharge: 1, amountCharge: 0 }),
      row({ id: "FEB", validFrom: "2026-02-01", validUntil: "2026-02-28", basicCharge: 2, amountCharge: 0 }),
    ]);
    expect(index.find("P01", "2026-02-15", 1)?.row.id).toBe("FEB"); // latest validFrom wins
    expect(index.find("P01", "2026-03-01", 1)?.row.id).toBe("OPEN");
    expect(index.find("P01", "2025-12-31", 1)).toBeNull();
  });

  it("keeps each product's rows apart and lists them tiers first, each kind by validFrom", () => {
    const p1Flat = row({ id: "P1-U", productId: "P1", validFrom: "2026-01-01", basicCharge: 1, amountCharge: 0 });
    const p1TierLate = row({ id: "P1-T2", productId: "P1", validFrom: "2026-06-01", minSheets: 1, maxSheets: 9, basicCharge: 2, amountCharge: 0 });
    const p1TierEarly = row({
      id: "P1-T1",
      productId: "P1",
      validFrom: "2026-01-01",
      validUntil: "2026-05-31",
      minSheets: 1,
      maxSheets: 9,
      basicCharge: 3,
      amountCharge: 0,
    });
    const p2Flat = row({ id: "P2-U", productId: "P2", validFrom: "2026-01-01", basicCharge: 4, amountCharge: 0 });
    const index = PriceBookIndex.from([p2Flat, p1Flat, p1TierLate, p1TierEarly]);
    expect(index.rowsFor("P1").map((r) => r.id)).toEqual(["P1-T1", "P1-T2", "P1-U"]);
    expect(index.rowsFor("P2").map((r) => r.id)).toEqual(["P2-U"]);
    expect(index.rowsFor("P3")).toEqual([]);
    // A run never reaches into its neighbour's: P2 has no tier, P1's tiers are not P2's.
    expect(index.find("P2", "2026-06-01", 5)).toEqual({ row: p2Flat, tier: false });
    expect(index.find("P1", "2026-05-31", 5)).toEqual({ row: p1TierEarly, tier: true });
    expect(index.find("P1", "2026-06-01", 5)).toEqual({ row: p1TierLate, tier: true });
    expect(index.find("P1", "2026-06-01", 10)).toEqual({ row: p1Flat, tier: false });
  });

  it("compares dates over the whole calendar, an open end reaching past 9999-12-31", () => {
    const ancient = row({ id: "OLD", validFrom: "0001-01-01", validUntil: "0999-12-31", basicCharge: 1, amountCharge: 0 });
    const open = row({ id: "OPEN", validFrom: "1000-01-01", validUntil: null, basicCharge: 2, amountCharge: 0 });
    const index = PriceBookIndex.from([open, ancient]);
    expect(["0001-01-01", "0999-12-31", "1000-01-01", "9999-12-31"].map((d) => index.find("P01", d, 1)?.row.id)).toEqual(["OLD", "OLD", "OPEN", "OPEN"]);
    const closed = PriceBookIndex.from([row({ id: "LAST", validFrom: "9999-12-01", validUntil: "9999-12-30", basicCharge: 1, amountCharge: 0 })]);
    expect(closed.find("P01", "9999-12-30", 1)?.row.id).toBe("LAST");
    expect(closed.find("P01", "9999-12-31", 1)).toBeNull();
  });

  it("answers exactly over a large book (1,000 products x 100 monthly periods, tiered and untiered)", () => {
    const rows: PriceRowData[] = [];
    const monthStart = (m: number) => `${2000 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}-01`;
    const monthEnd = (m: number) => {
      const y = 2000 + Math.floor(m / 12);
      const mo = (m % 12) + 1;
      const days = [31, y % 4 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
      return `${y}-${String(mo).padStart(2, "0")}-${days}`;
    };
    for (let p = 0; p < 1000; p++) {
      for (let m = 0; m < 100; m++) {
        const common = { productId: `P${p}`, validFrom: monthStart(m), validUntil: m === 99 ? null : monthEnd(m) };
        rows.push(row({ ...common, id: `U-${p}-${m}`, basicCharge: m, amountCharge: p }));
        if (m % 2 === 0) {
          rows.push(row({ ...common, id: `T-${p}-${m}`, minSheets: 10, maxSheets: 19, basicCharge: m, amountCharge: p }));
        }
      }
    }
    const index = PriceBookIndex.from(rows);
    for (let p = 0; p < 1000; p += 37) {
      for (let m = 0; m < 100; m += 7) {
        expect(index.find(`P${p}`, monthStart(m), 5)?.row.id).toBe(`U-${p}-${m}`);
        expect(index.find(`P${p}`, monthEnd(m), 10)?.row.id).toBe(m % 2 === 0 ? `T-${p}-${m}` : `U-${p}-${m}`);
      }
      expect(index.find(`P${p}`, "2099-01-01", 19)?.row.id).toBe(`U-${p}-99`); // open-ended last period
      expect(index.find(`P${p}`, "1999-12-31", 5)).toBeNull();
    }
  });
});

// ---------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------

describe("quoteOrder", () => {
  const groupTemplates: TemplateData[] = [
    { id: "T01", serviceId: "SV01", productIds: ["P01", "P03"] },
    { id: "T02", serviceId: "SV02", productIds: ["P02"] },
    { id: "T04", serviceId: "SV03", productIds: ["P02", "P05"] },
  ];
  const rows = [
    row({ id: "G-P01", productId: "P01", basicCharge: 100, amountCharge: 10 }),
    row({ id: "G-P02", productId: "P02", basicCharge: 300, amountCharge: 0 }),
    row({ id: "G-P03", productId: "P03", basicCharge: 0, amountCharge: 10 }),
    row({ id: "S-P09", scope: STANDARD, productId: "P09", basicCharge: 7, amountCharge: 3 }),
  ];
  const chargedImages = new Map([
    ["IMG-C01", 10],
    ["IMG-C02", 25],
  ]);
  const ctx = context(rows, { groupTemplates, chargedImages });

  it("charges feePerSheet x sheets per item whose image is charged, nothing for the others", () => {
    const result = quoteOrder(ctx, {
      priceDate: "2026-04-01",
      subOrders: [
        {
          serviceId: "SV01",
          sheets: 3,
          items: [{ imageId: "IMG-C01" }, { imageId: "IMG-OWN" }, { imageId: "IMG-C02" }, { imageId: "IMG-C01" }],
        },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.subOrders[0].imageFees).toEqual([
      { imageId: "IMG-C01", feePerSheet: 10, sheets: 3, subtotal: 30 },
      { imageId: "IMG-C02", feePerSheet: 25, sheets: 3, subtotal: 75 },
      { imageId: "IMG-C01", feePerSheet: 10, sheets: 3, subtotal: 30 },
    ]);
    // Lines 130 + 30, fees 135.
    expect(result.subOrders[0].subtotal).toBe(295);
    expect(result.total).toBe(295);
  });

  it("uses the shop's own template over the group's for the same service", () => {
    const shopTemplates: TemplateData[] = [{ id: "T-SHOP", serviceId: "SV01", productIds: ["P09"] }];
    const result = quoteOrder(context(rows, { shopTemplates, groupTemplates }), {
      priceDate: "2026-04-01",
      subOrders: [
        { serviceId: "SV01", sheets: 2, items: [] },
        { serviceId: "SV02", sheets: 2, items: [] },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.subOrders.map((s) => [s.templateId, s.lines.map((l) => l.productId), s.subtotal])).toEqual([
      ["T-SHOP", ["P09"], 13],
      ["T02", ["P02"], 300], // no shop template for SV02: the group's
    ]);
    expect(result.total).toBe(313);
  });

  it("an empty template prices to zero; an empty order totals zero", () => {
    const empty = context([], { groupTemplates: [{ id: "T0", serviceId: "SV01", productIds: [] }] });
    const result = quoteOrder(empty, { priceDate: "2026-04-01", subOrders: [{ serviceId: "SV01", sheets: 1, items: [] }] });
    expect(result).toEqual({
      ok: true,
      shopId: "SP01",
      priceDate: "2026-04-01",
      subOrders: [{ serviceId: "SV01", templateId: "T0", sheets: 1, lines: [], imageFees: [], subtotal: 0 }],
      total: 0,
    });
    expect(quoteOrder(empty, { priceDate: "2026-04-01", subOrders: [] })).toEqual({
      ok: true,
      shopId: "SP01",
      priceDate: "2026-04-01",
      subOrders: [],
      total: 0,
    });
  });

  it("SERVICE_NOT_OFFERED when neither shop nor group has a template", () => {
    const errors = errorsOf(quoteOrder(ctx, { priceDate: "2026-04-01", subOrders: [{ serviceId: "SV99", sheets: 1, items: [] }] }));
    expect(errors).toEqual([
      {
        code: "SERVICE_NOT_OFFERED",
        message: "Shop SP01 (group SG01) does not offer service SV99.",
        field: ["input", "subOrders", "0", "serviceId"],
      },
    ]);
  });

  it("NO_PRICE for each product without a row, naming the product and date", () => {
    const errors = errorsOf(quoteOrder(ctx, { priceDate: "2026-04-01", subOrders: [{ serviceId: "SV03", sheets: 4, items: [] }] }));
    expect(errors).toHaveLength(1);
    expect(errors[0].code).toBe("NO_PRICE");
    expect(errors[0].field).toEqual(["input", "subOrders", "0", "serviceId"]);
    expect(errors[0].message).toContain("P05");
    expect(errors[0].message).toContain("2026-04-01");
    expect(errors[0].message).toContain("SP01");
    expect(errors[0].message).toContain("SG01");
  });

  it("DUPLICATE_SERVICE at the second occurrence", () => {
    const errors = errorsOf(
      quoteOrder(ctx, {
        priceDate: "2026-04-01",
        subOrders: [
          { serviceId: "SV01", sheets: 1, items: [] },
          { serviceId: "SV02", sheets: 1, items: [] },
          { serviceId: "SV01", sheets: 2, items: [] },
        ],
      }),
    );
    expect(errors).toEqual([
      {
        code: "DUPLICATE_SERVICE",
        message: "Service SV01 appears in more than one sub-order.",
        field: ["input", "subOrders", "2", "serviceId"],
      },
    ]);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])("INVALID_SHEETS for %p", (sheets) => {
    const errors = errorsOf(quoteOrder(ctx, { priceDate: "2026-04-01", subOrders: [{ serviceId: "SV01", sheets, items: [] }] }));
    expect(errors.map((e) => [e.code, e.field])).toEqual([["INVALID_SHEETS", ["input", "subOrders", "0", "sheets"]]]);
  });

  it("collects every error of every sub-order, in order", () => {
    const errors = errorsOf(
      quoteOrder(ctx, {
        priceDate: "2026-04-01",
        subOrders: [
          { serviceId: "SV01", sheets: 0, items: [] }, // invalid sheets
          { serviceId: "SV99", sheets: -2, items: [] }, // invalid sheets and not offered
          { serviceId: "SV03", sheets: 1, items: [] }, // P05 has no price
          { serviceId: "SV01", sheets: 1, items: [] }, // duplicate
          { serviceId: "SV02", sheets: 1, items: [] }, // fine
        ],
      }),
    );
    expect(errors.map((e) => [e.code, e.field.join(".")])).toEqual([
      ["INVALID_SHEETS", "input.subOrders.0.sheets"],
      ["INVALID_SHEETS", "input.subOrders.1.sheets"],
      ["SERVICE_NOT_OFFERED", "input.subOrders.1.serviceId"],
      ["NO_PRICE", "input.subOrders.2.serviceId"],
      ["DUPLICATE_SERVICE", "input.subOrders.3.serviceId"],
    ]);
  });

  describe("AMOUNT_TOO_LARGE", () => {
    const huge = context(
      [
        row({ id: "BIG", productId: "P01", basicCharge: 0, amountCharge: 2 ** 51 }),
        row({ id: "EDGE", productId: "P02", basicCharge: 1, amountCharge: 2 ** 52 - 1 }),
      ],
      {
        groupTemplates: [
          { id: "T1", serviceId: "SV01", productIds: ["P01"] },
          { id: "T2", serviceId: "SV02", productIds: ["P02"] },
          { id: "T3", serviceId: "SV03", productIds: [] },
        ],
        chargedImages: new Map([["IMG-BIG", 2 ** 51]]),
      },
    );

    it("is not raised at exactly the largest safe integer", () => {
      // 1 + (2^52 - 1) x 2 = 2^53 - 1 = Number.MAX_SAFE_INTEGER.
      const result = quoteOrder(huge, { priceDate: "2026-04-01", subOrders: [{ serviceId: "SV02", sheets: 2, items: [] }] });
      expect(result.ok && result.total).toBe(Number.MAX_SAFE_INTEGER);
    });

    it.each([
      ["a line", [{ serviceId: "SV01", sheets: 4, items: [] }], "input.subOrders.0.sheets"],
      ["an image fee", [{ serviceId: "SV03", sheets: 4, items: [{ imageId: "IMG-BIG" }] }], "input.subOrders.0.sheets"],
      ["a sub-order subtotal", [{ serviceId: "SV01", sheets: 2, items: [{ imageId: "IMG-BIG" }, { imageId: "IMG-BIG" }] }], "input.subOrders.0.sheets"],
      [
        "the total",
        [
          { serviceId: "SV01", sheets: 3, items: [] },
          { serviceId: "SV02", sheets: 1, items: [] },
        ],
        "input.subOrders",
      ],
    ])("is raised when %s passes 2^53 - 1", (_what, subOrders, field) => {
      const errors = errorsOf(quoteOrder(huge, { priceDate: "2026-04-01", subOrders }));
      expect(errors.map((e) => [e.code, e.field.join(".")])).toEqual([["AMOUNT_TOO_LARGE", field]]);
    });
  });

  it("refuses a priceDate that is not a real date (a server bug, not user input)", () => {
    expect(() => quoteOrder(ctx, { priceDate: "2026-02-30", subOrders: [] })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------
// The worked example of seed 003 (fixtures/patent-example.json)
// ---------------------------------------------------------------------------

interface Bundle {
  shops: Array<{ id: string; shopGroupId: string }>;
  templates: Array<{ id: string; shopGroupId?: string; shopId?: string; serviceId: string; productIds: string[] }>;
  prices: Array<Omit<PriceRowData, "id" | "scope"> & { shopGroupId: string | null }>;
  shopPrices: Array<Omit<PriceRowData, "id" | "scope"> & { shopId: string }>;
  chargedImages: Array<{ imageId: string; feePerSheet: number }>;
}

describe("the worked example (fixtures/patent-example.json)", () => {
  const bundle = JSON.parse(fs.readFileSync(path.join(__dirname, "../../fixtures/patent-example.json"), "utf8")) as Bundle;

  /** What the service layer will build from the database, built here from the bundle. */
  function contextFor(shopId: string): ShopPricingContext {
    const shop = bundle.shops.find((s) => s.id === shopId);
    if (shop === undefined) throw new Error(`no shop ${shopId}`);
    const all: PriceRowData[] = [
      ...bundle.prices.map(({ shopGroupId, ...fields }, i): PriceRowData => ({
        ...fields,
        id: `price-${i}`,
        scope: shopGroupId === null ? { kind: "STANDARD" } : { kind: "GROUP", shopGroupId },
      })),
      ...bundle.shopPrices.map(({ shopId: owner, ...fields }, i): PriceRowData => ({
        ...fields,
        id: `shop-price-${i}`,
        scope: { kind: "SHOP", shopId: owner },
      })),
    ];
    const template = (t: Bundle["templates"][number]): TemplateData => ({
      id: t.id,
      serviceId: t.serviceId,
      productIds: t.productIds,
    });
    return {
      shopId,
      shopGroupId: shop.shopGroupId,
      shopTemplates: bundle.templates.filter((t) => t.shopId === shopId).map(template),
      groupTemplates: bundle.templates.filter((t) => t.shopGroupId === shop.shopGroupId).map(template),
      shopRows: PriceBookIndex.from(all.filter((r) => r.scope.kind === "SHOP" && r.scope.shopId === shopId)),
      groupRows: PriceBookIndex.from(all.filter((r) => r.scope.kind === "GROUP" && r.scope.shopGroupId === shop.shopGroupId)),
      standardRows: PriceBookIndex.from(all.filter((r) => r.scope.kind === "STANDARD")),
      chargedImages: new Map(bundle.chargedImages.map((c) => [c.imageId, c.feePerSheet])),
    };
  }

  const order = (priceDate: string): QuoteInput => ({
    priceDate,
    subOrders: [
      { serviceId: "SV01", sheets: 5, items: [{ imageId: "IMG-C01" }, { imageId: "IMG-CUSTOMER-1" }] },
      { serviceId: "SV02", sheets: 10, items: [{ imageId: "IMG-CUSTOMER-2" }] },
    ],
  });

  const summary = (result: QuoteResult) => {
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return {
      total: result.total,
      subOrders: result.subOrders.map((s) => ({
        templateId: s.templateId,
        lines: s.lines.map((l) => [l.productId, l.source, l.basicCharge, l.amountCharge, l.subtotal]),
        imageFees: s.imageFees.map((f) => [f.imageId, f.feePerSheet, f.sheets, f.subtotal]),
        subtotal: s.subtotal,
      })),
    };
  };

  it("SP01 on 2026-04-01: A4 x 5 with one charged image + postcards x 10 = 1050", () => {
    expect(summary(quoteOrder(contextFor("SP01"), order("2026-04-01")))).toEqual({
      total: 1050,
      subOrders: [
        {
          templateId: "T01",
          lines: [
            ["P01", "GROUP", 100, 10, 150],
            ["P03", "GROUP", 0, 10, 50],
          ],
          imageFees: [["IMG-C01", 10, 5, 50]],
          subtotal: 250,
        },
        {
          templateId: "T02",
          lines: [
            ["P02", "GROUP", 300, 0, 300],
            ["P04", "GROUP", 0, 50, 500],
          ],
          imageFees: [],
          subtotal: 800,
        },
      ],
    });
  });

  it("the same order on 2026-03-31 at the earlier prices = 1160", () => {
    expect(summary(quoteOrder(contextFor("SP01"), order("2026-03-31")))).toEqual({
      total: 1160,
      subOrders: [
        {
          templateId: "T01",
          lines: [
            ["P01", "GROUP", 120, 12, 180],
            ["P03", "GROUP", 0, 12, 60],
          ],
          imageFees: [["IMG-C01", 10, 5, 50]],
          subtotal: 290,
        },
        {
          templateId: "T02",
          lines: [
            ["P02", "GROUP", 320, 0, 320],
            ["P04", "GROUP", 0, 55, 550],
          ],
          imageFees: [],
          subtotal: 870,
        },
      ],
    });
  });

  it("before any of the fixture's prices (2025-12-31): NO_PRICE for every product, all reported", () => {
    // SG01's rows and the standard rows all start 2026-01-01.
    const errors = errorsOf(quoteOrder(contextFor("SP01"), order("2025-12-31")));
    expect(errors.map((e) => e.message)).toEqual([
      "No price for product P01 on 2025-12-31 for 5 sheets: none at shop SP01, group SG01 or standard.",
      "No price for product P03 on 2025-12-31 for 5 sheets: none at shop SP01, group SG01 or standard.",
      "No price for product P02 on 2025-12-31 for 10 sheets: none at shop SP01, group SG01 or standard.",
      "No price for product P04 on 2025-12-31 for 10 sheets: none at shop SP01, group SG01 or standard.",
    ]);
  });

  it("SP03 (group SG02) offers A4 only, priced by its own group", () => {
    const ctx = contextFor("SP03");
    expect(errorsOf(quoteOrder(ctx, order("2026-04-01")))).toEqual([
      {
        code: "SERVICE_NOT_OFFERED",
        message: "Shop SP03 (group SG02) does not offer service SV02.",
        field: ["input", "subOrders", "1", "serviceId"],
      },
    ]);
    const a4 = quoteOrder(ctx, { priceDate: "2026-04-01", subOrders: [order("2026-04-01").subOrders[0]] });
    expect(summary(a4)).toEqual({
      total: 95,
      subOrders: [{ templateId: "T03", lines: [["P03", "GROUP", 0, 9, 45]], imageFees: [["IMG-C01", 10, 5, 50]], subtotal: 95 }],
    });
  });
});

// ---------------------------------------------------------------------------
// Overlaps
// ---------------------------------------------------------------------------

describe("findOverlaps", () => {
  type Spec = [from: string, until: string | null, min: number | null, max: number | null, scope?: PriceScope, product?: string];
  const build = (specs: Spec[]): PriceRowData[] =>
    specs.map(([validFrom, validUntil, minSheets, maxSheets, scope = GROUP, productId = "P01"], i) => ({
      id: `R${i}`,
      scope,
      productId,
      validFrom,
      validUntil,
      minSheets,
      maxSheets,
      basicCharge: 0,
      amountCharge: 1,
    }));

  it.each<[string, Spec[], Array<[string, string]>]>([
    [
      "touching periods do not overlap",
      [
        ["2026-01-01", "2026-03-31", null, null],
        ["2026-04-01", null, null, null],
      ],
      [],
    ],
    [
      "one shared day overlaps",
      [
        ["2026-01-01", "2026-04-01", null, null],
        ["2026-04-01", null, null, null],
      ],
      [["R0", "R1"]],
    ],
    [
      "two open-ended periods overlap",
      [
        ["2026-01-01", null, null, null],
        ["2027-01-01", null, null, null],
      ],
      [["R0", "R1"]],
    ],
    [
      "a period inside an open-ended one overlaps",
      [
        ["2026-06-01", "2026-06-30", null, null],
        ["2026-01-01", null, null, null],
      ],
      [["R1", "R0"]],
    ],
    [
      "a tier and an untiered row never overlap",
      [
        ["2026-01-01", null, 1, 10],
        ["2026-01-01", null, null, null],
      ],
      [],
    ],
    [
      "tiers with touching sheet ranges do not overlap",
      [
        ["2026-01-01", null, 1, 10],
        ["2026-01-01", null, 11, 20],
      ],
      [],
    ],
    [
      "tiers sharing a sheet overlap",
      [
        ["2026-01-01", null, 1, 10],
        ["2026-01-01", null, 10, 20],
      ],
      [["R0", "R1"]],
    ],
    [
      "an open-ended tier overlaps every tier above its start",
      [
        ["2026-01-01", null, 11, null],
        ["2026-01-01", null, 500, 1000],
      ],
      [["R0", "R1"]],
    ],
    [
      "an open-ended tier does not overlap a tier below its start",
      [
        ["2026-01-01", null, 11, null],
        ["2026-01-01", null, 1, 10],
      ],
      [],
    ],
    [
      "tiers with intersecting ranges in disjoint periods do not overlap",
      [
        ["2026-01-01", "2026-03-31", 1, 10],
        ["2026-04-01", null, 1, 10],
      ],
      [],
    ],
    [
      "tiers with intersecting ranges in intersecting periods overlap",
      [
        ["2026-01-01", "2026-04-30", 1, 10],
        ["2026-04-01", null, 5, 15],
      ],
      [["R0", "R1"]],
    ],
    [
      "different products do not overlap",
      [
        ["2026-01-01", null, null, null, GROUP, "P01"],
        ["2026-01-01", null, null, null, GROUP, "P02"],
      ],
      [],
    ],
    [
      "different scopes do not overlap",
      [
        ["2026-01-01", null, null, null, { kind: "SHOP", shopId: "SP01" }],
        ["2026-01-01", null, null, null, { kind: "SHOP", shopId: "SP02" }],
        ["2026-01-01", null, null, null, { kind: "GROUP", shopGroupId: "SG01" }],
        ["2026-01-01", null, null, null, { kind: "GROUP", shopGroupId: "SG02" }],
        ["2026-01-01", null, null, null, STANDARD],
      ],
      [],
    ],
    [
      "every overlapping pair is reported",
      [
        ["2026-01-01", null, null, null],
        ["2026-02-01", "2026-02-28", null, null],
        ["2026-02-28", "2026-03-31", null, null],
      ],
      [
        ["R0", "R1"],
        ["R0", "R2"],
        ["R1", "R2"],
      ],
    ],
  ])("%s", (_name, specs, expected) => {
    expect(findOverlaps(build(specs)).map(([a, b]) => [a.id, b.id])).toEqual(expected);
  });

  it("handles 200,000 rows without comparing all pairs, and finds the one overlap", () => {
    const rows: PriceRowData[] = [];
    for (let p = 0; p < 2000; p++) {
      for (let y = 0; y < 50; y++) {
        const year = 2000 + y;
        const common = { scope: GROUP, productId: `P${p}`, basicCharge: 0, amountCharge: 1 };
        rows.push({ ...common, id: `U${p}-${y}`, validFrom: `${year}-01-01`, validUntil: `${year}-12-31`, minSheets: null, maxSheets: null });
        rows.push({ ...common, id: `T${p}-${y}`, validFrom: `${year}-01-01`, validUntil: `${year}-12-31`, minSheets: 1, maxSheets: null });
      }
    }
    expect(findOverlaps(rows)).toEqual([]);
    const intruder = { ...rows[0], id: "X", validFrom: "2010-12-31", validUntil: "2011-01-01", productId: "P1234" };
    expect(findOverlaps([...rows, intruder]).map(([a, b]) => [a.id, b.id])).toEqual([
      ["U1234-10", "X"],
      ["X", "U1234-11"],
    ]);
  }, 10000);
});

// ---------------------------------------------------------------------------
// Row shape
// ---------------------------------------------------------------------------

describe("validatePriceRowShape", () => {
  const valid: PriceRowShape = {
    validFrom: "2026-04-01",
    validUntil: null,
    basicCharge: 100,
    amountCharge: 10,
    minSheets: null,
    maxSheets: null,
  };

  it.each<[string, Partial<PriceRowShape>]>([
    ["untiered, open-ended", {}],
    ["zero charges", { basicCharge: 0, amountCharge: 0 }],
    ["one-day period", { validUntil: "2026-04-01" }],
    ["leap day", { validFrom: "2028-02-29", validUntil: "2028-02-29" }],
    ["tier of one sheet count", { minSheets: 5, maxSheets: 5 }],
    ["open-ended tier", { minSheets: 51, maxSheets: null }],
    ["largest safe charge", { basicCharge: Number.MAX_SAFE_INTEGER }],
  ])("accepts %s", (_name, change) => {
    expect(validatePriceRowShape({ ...valid, ...change })).toEqual([]);
  });

  it.each<[string, Partial<PriceRowShape>, Array<[string, string]>]>([
    ["a negative basic charge", { basicCharge: -1 }, [["NEGATIVE_CHARGE", "basicCharge"]]],
    ["a negative amount charge", { amountCharge: -5 }, [["NEGATIVE_CHARGE", "amountCharge"]]],
    ["a fractional charge", { basicCharge: 1.5 }, [["INVALID_AMOUNT", "basicCharge"]]],
    ["a negative fractional charge", { amountCharge: -0.5 }, [["INVALID_AMOUNT", "amountCharge"]]],
    ["an unsafe charge", { amountCharge: 2 ** 53 }, [["INVALID_AMOUNT", "amountCharge"]]],
    ["a NaN charge", { basicCharge: Number.NaN }, [["INVALID_AMOUNT", "basicCharge"]]],
    ["an impossible validFrom", { validFrom: "2026-02-30" }, [["INVALID_DATE", "validFrom"]]],
    ["a sloppy validFrom", { validFrom: "2026-4-1" }, [["INVALID_DATE", "validFrom"]]],
    ["an impossible validUntil", { validUntil: "2026-13-01" }, [["INVALID_DATE", "validUntil"]]],
    ["validUntil before validFrom", { validUntil: "2026-03-31" }, [["INVALID_PERIOD", "validUntil"]]],
    ["minSheets 0", { minSheets: 0, maxSheets: 10 }, [["INVALID_TIER", "minSheets"]]],
    ["fractional minSheets", { minSheets: 1.5 }, [["INVALID_TIER", "minSheets"]]],
    ["maxSheets below minSheets", { minSheets: 10, maxSheets: 9 }, [["INVALID_TIER", "maxSheets"]]],
    ["maxSheets without minSheets", { maxSheets: 10 }, [["INVALID_TIER", "maxSheets"]]],
    ["fractional maxSheets", { minSheets: 1, maxSheets: 2.5 }, [["INVALID_TIER", "maxSheets"]]],
    [
      "everything at once",
      { basicCharge: -1, amountCharge: 0.1, validFrom: "2026-04-31", validUntil: "2026-00-01", minSheets: 0, maxSheets: null },
      [
        ["NEGATIVE_CHARGE", "basicCharge"],
        ["INVALID_AMOUNT", "amountCharge"],
        ["INVALID_DATE", "validFrom"],
        ["INVALID_DATE", "validUntil"],
        ["INVALID_TIER", "minSheets"],
      ],
    ],
  ])("refuses %s", (_name, change, expected) => {
    const errors = validatePriceRowShape({ ...valid, ...change });
    expect(errors.map((e) => [e.code, e.field])).toEqual(expected);
    for (const error of errors) expect(error.message).not.toBe("");
  });

  it("says why in the message", () => {
    expect(validatePriceRowShape({ ...valid, validUntil: "2026-03-31" })).toEqual([
      { code: "INVALID_PERIOD", message: "validUntil 2026-03-31 is before validFrom 2026-04-01.", field: "validUntil" },
    ]);
  });
});
