import { Kind } from "graphql";
import { DateScalar, DateTimeScalar, MoneyScalar } from "../../src/graphql/scalars";

describe("Date", () => {
  it("answers a calendar date as it is, the same date again too", () => {
    expect(DateScalar.serialize("2026-11-21")).toBe("2026-11-21");
    expect(DateScalar.serialize("2026-11-21")).toBe("2026-11-21");
    expect(DateScalar.serialize("2028-02-29")).toBe("2028-02-29");
  });

  it("refuses what is not a calendar date, right after a good one too", () => {
    expect(DateScalar.serialize("2026-02-28")).toBe("2026-02-28");
    expect(() => DateScalar.serialize("2026-02-29")).toThrow("Value is not a valid Date: 2026-02-29");
    expect(() => DateScalar.serialize("2026-13-01")).toThrow("Value is not a valid Date: 2026-13-01");
    expect(() => DateScalar.serialize("2026-2-28")).toThrow("Value is not a valid Date: 2026-2-28");
    expect(() => DateScalar.serialize(20260228)).toThrow("Date: Value is not string: 20260228");
    expect(DateScalar.serialize("2026-02-28")).toBe("2026-02-28");
  });

  it("checks what clients send as before", () => {
    expect(DateScalar.parseValue("2026-04-01")).toBe("2026-04-01");
    expect(() => DateScalar.parseValue("2026-04-31")).toThrow("Value is not a valid Date: 2026-04-31");
  });
});

describe("errors name the scalar the client sees", () => {
  it("Date, never the library's LocalDate", () => {
    expect(() => DateScalar.parseValue("2026-02-30")).toThrow("Value is not a valid Date: 2026-02-30");
    expect(() => DateScalar.parseLiteral({ kind: Kind.STRING, value: "2026-02-30" }, {})).toThrow("Value is not a valid Date: 2026-02-30");
    expect(() => DateScalar.parseValue(7)).toThrow(/^Date: /);
  });

  it("Money, never the library's SafeInt", () => {
    expect(() => MoneyScalar.parseValue(1.5)).toThrow("Money cannot represent non-integer value: 1.5");
    expect(() => MoneyScalar.parseLiteral({ kind: Kind.FLOAT, value: "1.5" }, {})).toThrow("Money cannot represent non-integer value: 1.5");
    expect(() => MoneyScalar.serialize(2 ** 60)).toThrow(/^Money cannot represent unsafe integer value/);
  });

  it("DateTime", () => {
    expect(() => DateTimeScalar.parseValue("yesterday")).toThrow("DateTime cannot represent an invalid date-time-string yesterday.");
  });
});
