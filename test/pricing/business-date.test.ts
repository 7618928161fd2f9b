import { businessDate, isValidDate, isValidTimeZone } from "../../src/pricing/business-date";

describe("businessDate", () => {
  it.each([
    // Tokyo is UTC+9 all year: its day starts at 15:00Z the day before.
    ["2026-03-31T14:59:59.999Z", "Asia/Tokyo", "2026-03-31"],
    ["2026-03-31T15:00:00.000Z", "Asia/Tokyo", "2026-04-01"],
    ["2026-04-01T00:00:00.000Z", "Asia/Tokyo", "2026-04-01"],
    ["2026-04-01T14:59:59.999Z", "Asia/Tokyo", "2026-04-01"],
    ["2026-04-01T15:00:00.000Z", "Asia/Tokyo", "2026-04-02"],
    ["2026-12-31T15:00:00.000Z", "Asia/Tokyo", "2027-01-01"],
    ["2028-02-28T15:00:00.000Z", "Asia/Tokyo", "2028-02-29"],
    ["2026-03-31T23:59:59.999Z", "UTC", "2026-03-31"],
    ["2026-04-01T00:00:00.000Z", "UTC", "2026-04-01"],
    ["2026-03-31T15:00:00.000Z", "UTC", "2026-03-31"],
    // Around a DST change: New York is UTC-5 until 2026-03-08 07:00Z, then UTC-4.
    ["2026-03-08T04:59:59.999Z", "America/New_York", "2026-03-07"],
    ["2026-03-08T05:00:00.000Z", "America/New_York", "2026-03-08"],
    ["2026-07-01T03:59:59.999Z", "America/New_York", "2026-06-30"],
    ["2026-07-01T04:00:00.000Z", "America/New_York", "2026-07-01"],
    // Years below 1000 keep four digits.
    ["0099-06-15T12:00:00.000Z", "UTC", "0099-06-15"],
  ])("%s in %s is %s", (instant, zone, expected) => {
    expect(businessDate(new Date(instant), zone)).toBe(expected);
  });

  it("gives the same answers when zones are interleaved (one cached formatter per zone)", () => {
    const instant = new Date("2026-03-31T15:00:00Z");
    const answers = ["UTC", "Asia/Tokyo", "UTC", "Asia/Tokyo"].map((zone) => businessDate(instant, zone));
    expect(answers).toEqual(["2026-03-31", "2026-04-01", "2026-03-31", "2026-04-01"]);
  });

  it("remembers the last second's date only for that second, a day's first second included", () => {
    const at = (iso: string, zone = "Asia/Tokyo") => businessDate(new Date(iso), zone);
    expect([
      at("2026-03-31T14:59:59.000Z"),
      at("2026-03-31T14:59:59.999Z"),
      at("2026-03-31T15:00:00.000Z"),
      at("2026-03-31T14:59:59.500Z"),
      at("2026-03-31T15:00:00.001Z"),
    ]).toEqual(["2026-03-31", "2026-03-31", "2026-04-01", "2026-03-31", "2026-04-01"]);
    // An offset of whole seconds: Monrovia was 44 min 30 s behind UTC until 1972.
    expect([at("1971-06-15T00:44:29.999Z", "Africa/Monrovia"), at("1971-06-15T00:44:30.000Z", "Africa/Monrovia")]).toEqual(["1971-06-14", "1971-06-15"]);
  });

  it("refuses an unknown time zone", () => {
    expect(() => businessDate(new Date("2026-04-01T00:00:00Z"), "Mars/Olympus_Mons")).toThrow(RangeError);
  });

  it("refuses an invalid Date", () => {
    expect(() => businessDate(new Date("not a date"), "UTC")).toThrow(RangeError);
  });
});

describe("isValidTimeZone", () => {
  it.each([
    ["UTC", true],
    ["Asia/Tokyo", true],
    ["Europe/London", true],
    ["America/New_York", true],
    ["", false],
    ["Asia/Tokio", false],
    ["Mars/Olympus_Mons", false],
    ["not a zone", false],
  ])("%j -> %s", (zone, expected) => {
    expect(isValidTimeZone(zone)).toBe(expected);
  });
});

describe("isValidDate", () => {
  it.each([
    ["2026-04-01", true],
    ["2026-01-31", true],
    ["2026-12-31", true],
    ["2026-04-30", true],
    ["2028-02-29", true], // leap year
    ["2000-02-29", true], // divisible by 400: leap
    ["0001-01-01", true],
    ["9999-12-31", true],
    ["2026-02-29", false], // not a leap year
    ["1900-02-29", false], // divisible by 100, not 400: not leap
    ["2026-04-31", false],
    ["2026-02-30", false],
    ["2026-13-01", false],
    ["2026-00-10", false],
    ["2026-01-00", false],
    ["2026-01-32", false],
    ["0000-01-01", false],
    ["2026-4-1", false],
    ["26-04-01", false],
    ["2026/04/01", false],
    ["2026-04-01T00:00:00Z", false],
    [" 2026-04-01", false],
    ["2026-04-01\n", false],
    ["", false],
    ["２０２６-04-01", false], // full-width digits
  ])("%j -> %s", (s, expected) => {
    expect(isValidDate(s)).toBe(expected);
  });
});
