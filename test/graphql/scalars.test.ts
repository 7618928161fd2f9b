import { DateScalar } from "../../src/graphql/scalars";

describe("Date", () => {
  it("answers a calendar date as it is, the same date again too", () => {
    expect(DateScalar.serialize("2026-11-21")).toBe("2026-11-21");
    expect(DateScalar.serialize("2026-11-21")).toBe("2026-11-21");
    expect(DateScalar.serialize("2028-02-29")).toBe("2028-02-29");
  });

  it("refuses what is not a calendar date, right after a good one too", () => {
    expect(DateScalar.serialize("2026-02-28")).toBe("2026-02-28");
    expect(() => DateScalar.serialize("2026-02-29")).toThrow("Value is not a valid LocalDate: 2026-02-29");
    expect(() => DateScalar.serialize("2026-13-01")).toThrow("Value is not a valid LocalDate: 2026-13-01");
    expect(() => DateScalar.serialize("2026-2-28")).toThrow("Value is not a valid LocalDate: 2026-2-28");
    expect(() => DateScalar.serialize(20260228)).toThrow("Value is not string: 20260228");
    expect(DateScalar.serialize("2026-02-28")).toBe("2026-02-28");
  });

  it("checks what clients send as before", () => {
    expect(DateScalar.parseValue("2026-04-01")).toBe("2026-04-01");
    expect(() => DateScalar.parseValue("2026-04-31")).toThrow("Value is not a valid LocalDate: 2026-04-31");
  });
});
