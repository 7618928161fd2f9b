import { historyValue } from "../../src/pricing/price-history-values";

describe("historyValue", () => {
  it("types a stored price row, its open ends as null", () => {
    const row = {
      id: "PR1",
      shopGroupId: null,
      shopId: "SP01",
      productId: "P03",
      validFrom: "2026-04-01",
      validUntil: null,
      basicCharge: 0,
      amountCharge: 13,
      minSheets: null,
      maxSheets: 10,
    };
    expect(historyValue("PRICE_ROW", JSON.stringify(row))).toEqual({
      kind: "PRICE_ROW",
      priceRowId: "PR1",
      shopGroupId: null,
      shopId: "SP01",
      productId: "P03",
      validFrom: "2026-04-01",
      validUntil: null,
      basicCharge: 0,
      amountCharge: 13,
      minSheets: null,
      maxSheets: 10,
    });
  });

  it("types a stored allowance", () => {
    const a = { shopId: "SP01", productId: "P03", minBasicCharge: 0, maxBasicCharge: 100, minAmountCharge: 5, maxAmountCharge: 50 };
    expect(historyValue("ALLOWANCE", JSON.stringify(a))).toEqual({ kind: "ALLOWANCE", ...a });
  });

  it("answers null for no snapshot", () => {
    expect(historyValue("PRICE_ROW", null)).toBeNull();
  });
});
