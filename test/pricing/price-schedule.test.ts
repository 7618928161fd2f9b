/**
 * The pure halves of scheduled prices and completeness, as tables of cases: what a period set in
 * one step does to each row of its scope and product (price-schedule.ts), where a shop has no
 * price in force, and which of those gaps a change opens (price-gaps.ts).
 */
import { PriceBookIndex, type PriceRowData, type ShopPricingContext } from "../../src/pricing/price-calculator";
import { findGaps, findGapsOpened } from "../../src/pricing/price-gaps";
import { planSchedule, type ScheduledRow } from "../../src/pricing/price-schedule";

const row = (id: string, validFrom: string, validUntil: string | null, minSheets: number | null = null, maxSheets: number | null = null): ScheduledRow => ({
  id,
  validFrom,
  validUntil,
  minSheets,
  maxSheets,
});

describe("planSchedule", () => {
  const cases: Array<[string, ScheduledRow[], ScheduledRow, unknown[]]> = [
    [
      "inside an open-ended row: split around it",
      [row("A", "2026-01-01", null)],
      row("N", "2026-12-01", "2026-12-31"),
      [
        {
          action: "SPLIT",
          rowId: "A",
          before: { validFrom: "2026-01-01", validUntil: null },
          after: { validFrom: "2026-01-01", validUntil: "2026-11-30" },
          remainder: { validFrom: "2027-01-01", validUntil: null },
        },
      ],
    ],
    [
      "over the end of one row and the whole of the next: shortened, removed",
      [row("A", "2026-01-01", "2026-03-31"), row("B", "2026-04-01", null)],
      row("N", "2026-03-01", null),
      [
        {
          action: "SHORTENED",
          rowId: "A",
          before: { validFrom: "2026-01-01", validUntil: "2026-03-31" },
          after: { validFrom: "2026-01-01", validUntil: "2026-02-28" },
        },
        { action: "REMOVED", rowId: "B", before: { validFrom: "2026-04-01", validUntil: null } },
      ],
    ],
    [
      "over the start of a row: it starts the day after",
      [row("A", "2026-01-01", "2026-03-31")],
      row("N", "2025-12-01", "2026-01-31"),
      [
        {
          action: "SHORTENED",
          rowId: "A",
          before: { validFrom: "2026-01-01", validUntil: "2026-03-31" },
          after: { validFrom: "2026-02-01", validUntil: "2026-03-31" },
        },
      ],
    ],
    ["touching periods: nothing", [row("A", "2026-01-01", "2026-03-31")], row("N", "2026-04-01", null), []],
    ["a tier and an untiered row never overlap", [row("A", "2026-01-01", null)], row("N", "2026-05-01", "2026-05-31", 10, 20), []],
    ["tiers with disjoint sheet ranges: nothing", [row("A", "2026-01-01", null, 1, 9)], row("N", "2026-05-01", "2026-05-31", 10, 20), []],
    [
      "a tier meeting another's range cuts it over its whole range",
      [row("A", "2026-01-01", null, 1, 49), row("B", "2026-01-01", null, 50, null)],
      row("N", "2026-07-01", "2026-08-31", 30, 100),
      ["A", "B"].map((rowId) => ({
        action: "SPLIT",
        rowId,
        before: { validFrom: "2026-01-01", validUntil: null },
        after: { validFrom: "2026-01-01", validUntil: "2026-06-30" },
        remainder: { validFrom: "2026-09-01", validUntil: null },
      })),
    ],
    [
      "the same period exactly: removed",
      [row("A", "2026-05-01", "2026-05-31")],
      row("N", "2026-05-01", "2026-05-31"),
      [{ action: "REMOVED", rowId: "A", before: { validFrom: "2026-05-01", validUntil: "2026-05-31" } }],
    ],
  ];
  it.each(cases)("%s", (_title, rows, scheduled, expected) => {
    expect(planSchedule(rows, scheduled)).toEqual(expected);
  });
});

describe("findGaps", () => {
  const data = (
    id: string,
    kind: "SHOP" | "GROUP" | "STANDARD",
    validFrom: string,
    validUntil: string | null,
    min: number | null = null,
    max: number | null = null,
  ): PriceRowData => ({
    id,
    scope: kind === "SHOP" ? { kind, shopId: "SP01" } : kind === "GROUP" ? { kind, shopGroupId: "SG01" } : { kind },
    productId: "P1",
    validFrom,
    validUntil,
    basicCharge: 0,
    amountCharge: 1,
    minSheets: min,
    maxSheets: max,
  });
  const ctx = (rows: PriceRowData[]): ShopPricingContext => ({
    shopId: "SP01",
    shopGroupId: "SG01",
    shopTemplates: [],
    groupTemplates: [{ id: "T1", serviceId: "S1", productIds: ["P1"] }],
    shopRows: PriceBookIndex.from(rows.filter((r) => r.scope.kind === "SHOP")),
    groupRows: PriceBookIndex.from(rows.filter((r) => r.scope.kind === "GROUP")),
    standardRows: PriceBookIndex.from(rows.filter((r) => r.scope.kind === "STANDARD")),
    chargedImages: new Map(),
  });
  const gap = (validFrom: string, validUntil: string, minSheets: number, maxSheets: number | null) => ({
    shopId: "SP01",
    templateId: "T1",
    serviceId: "S1",
    productId: "P1",
    validFrom,
    validUntil,
    minSheets,
    maxSheets,
  });
  const cases: Array<[string, PriceRowData[], unknown[]]> = [
    ["no row at all: the whole range", [], [gap("2026-01-01", "2026-12-31", 1, null)]],
    ["a standard row from mid-year: the months before", [data("s", "STANDARD", "2026-07-01", null)], [gap("2026-01-01", "2026-06-30", 1, null)]],
    [
      "group rows with a hole in March",
      [data("a", "GROUP", "2026-01-01", "2026-02-28"), data("b", "GROUP", "2026-04-01", null)],
      [gap("2026-03-01", "2026-03-31", 1, null)],
    ],
    [
      "tiers only, 1-9 and 20+: 10-19 all year",
      [data("a", "GROUP", "2026-01-01", null, 1, 9), data("b", "SHOP", "2026-01-01", null, 20, null)],
      [gap("2026-01-01", "2026-12-31", 10, 19)],
    ],
    ["an untiered fallback fills the tiers' holes", [data("a", "GROUP", "2026-01-01", null, 1, 9), data("u", "STANDARD", "2025-01-01", null)], []],
  ];
  it.each(cases)("%s", (_title, rows, expected) => {
    expect(findGaps(ctx(rows), "2026-01-01", "2026-12-31")).toEqual(expected);
  });

  // findGapsOpened: the rows before and after a change, the period searched (that of the changed rows).
  const opened = (validFrom: string, validUntil: string | null, minSheets: number, maxSheets: number | null) => ({
    ...gap(validFrom, "", minSheets, maxSheets),
    validUntil,
  });
  const changes: Array<[string, PriceRowData[], PriceRowData[], [string, string | null], unknown[]]> = [
    [
      "the only row deleted: its whole period",
      [data("a", "GROUP", "2026-01-01", "2026-03-31"), data("b", "GROUP", "2026-04-01", null)],
      [data("b", "GROUP", "2026-04-01", null)],
      ["2026-01-01", "2026-03-31"],
      [opened("2026-01-01", "2026-03-31", 1, null)],
    ],
    [
      "an open-ended row narrowed: from the day after, with no end",
      [data("a", "GROUP", "2026-01-01", null)],
      [data("a", "GROUP", "2026-01-01", "2026-12-31")],
      ["2026-01-01", null],
      [opened("2027-01-01", null, 1, null)],
    ],
    [
      "a shop row covering the start of the period: only what it does not cover",
      [data("s", "SHOP", "2026-01-01", "2026-03-31"), data("g", "GROUP", "2026-01-01", null)],
      [data("s", "SHOP", "2026-01-01", "2026-03-31")],
      ["2026-01-01", null],
      [opened("2026-04-01", null, 1, null)],
    ],
    [
      "a hole that was there before is not opened again",
      [data("a", "GROUP", "2026-01-01", "2026-02-28"), data("b", "GROUP", "2026-04-01", null)],
      [],
      ["2026-01-01", null],
      [opened("2026-01-01", "2026-02-28", 1, null), opened("2026-04-01", null, 1, null)],
    ],
    [
      "a tier row cut where nothing else covers: its sheets only",
      [data("t", "GROUP", "2026-01-01", null, 1, 9), data("u", "GROUP", "2026-01-01", null, 10, null)],
      [data("t", "GROUP", "2026-01-01", "2026-06-30", 1, 9), data("u", "GROUP", "2026-01-01", null, 10, null)],
      ["2026-01-01", null],
      [opened("2026-07-01", null, 1, 9)],
    ],
    [
      "a row deleted under a standard price: none",
      [data("g", "GROUP", "2026-01-01", null), data("s", "STANDARD", "2026-01-01", null)],
      [data("s", "STANDARD", "2026-01-01", null)],
      ["2026-01-01", null],
      [],
    ],
  ];
  it.each(changes)("opened by a change: %s", (_title, before, after, [from, until], expected) => {
    expect(findGapsOpened(ctx(before), ctx(after), "P1", from, until)).toEqual(expected);
    // A product of no template of the shop has no gap to open.
    expect(findGapsOpened(ctx(before), ctx(after), "P2", from, until)).toEqual([]);
  });
});
