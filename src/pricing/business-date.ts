/**
 * Business dates: the calendar day on which prices apply.
 *
 * Price rows are valid from/until whole days "in BUSINESS_TIMEZONE" (contract),
 * so an instant must be turned into that zone's calendar date before any price
 * lookup. Dates travel as `YYYY-MM-DD` strings: they compare correctly as plain
 * strings and never go through a `Date` that would drag a time zone back in.
 *
 * Pure: no database, no GraphQL.
 */

/** A strict `YYYY-MM-DD` calendar date string. */
export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// Building an Intl.DateTimeFormat costs far more than using one, and the
// business zone is the same for every request: keep one per zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    // Throws RangeError for an unknown zone, so only valid zones are cached.
    // Gregorian calendar and Latin digits are pinned so that no locale default
    // can change what formatToParts returns.
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      calendar: "gregory",
      numberingSystem: "latn",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * The calendar date (`YYYY-MM-DD`) of `instant` as seen in the IANA `timeZone`,
 * e.g. 2026-03-31T15:00:00Z is "2026-04-01" in Asia/Tokyo.
 *
 * @throws RangeError for an unknown time zone, an invalid `Date`, or an instant
 *   whose year falls outside 0001-9999 (not representable as `YYYY`).
 */
export function businessDate(instant: Date, timeZone: string): IsoDate {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) {
    throw new RangeError("businessDate: invalid Date");
  }
  // Zone offsets are whole seconds, so every instant of one UTC second has the same date.
  const second = Math.floor(ms / 1000);
  const last = lastDates.get(timeZone);
  if (last !== undefined && last.second === second) return last.date;
  const date = formatDate(instant, timeZone);
  lastDates.set(timeZone, { second, date });
  return date;
}

/**
 * The last date answered per zone and the UTC second it was for: quotes ask for "now" many times a
 * second, and formatting a date in a zone costs more than the rest of a price lookup.
 */
const lastDates = new Map<string, { second: number; date: IsoDate }>();

function formatDate(instant: Date, timeZone: string): IsoDate {
  let year = "";
  let month = "";
  let day = "";
  let era = "";
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    switch (part.type) {
      case "year":
        year = part.value;
        break;
      case "month":
        month = part.value;
        break;
      case "day":
        day = part.value;
        break;
      case "era":
        era = part.value;
        break;
      default:
        // Literals ("/") and any other part are irrelevant here.
        break;
    }
  }
  // en-US prints year 99 as "99" and adds an era only before year 1.
  const yearNumber = Number(year);
  if (era !== "" || !Number.isInteger(yearNumber) || yearNumber < 1 || yearNumber > 9999) {
    throw new RangeError(`businessDate: year out of range for ${instant.toISOString()}`);
  }
  return `${year.padStart(4, "0")}-${month}-${day}`;
}

/** Whether `timeZone` is an IANA zone name this runtime knows (e.g. "Asia/Tokyo", "UTC"). */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== "string" || timeZone === "") {
    return false;
  }
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `s` is a strict `YYYY-MM-DD` date that exists on the Gregorian
 * calendar (so "2026-02-29" is refused and "2028-02-29" accepted).
 * Years 0001-9999 only.
 */
export function isValidDate(s: string): boolean {
  if (typeof s !== "string") {
    return false;
  }
  const match = ISO_DATE.exec(s);
  if (match === null) {
    return false;
  }
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  switch (month) {
    case 2:
      return isLeapYear(year) ? 29 : 28;
    case 4:
    case 6:
    case 9:
    case 11:
      return 30;
    default:
      return 31;
  }
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** The calendar date `days` after (or before, if negative) a YYYY-MM-DD date. */
export function addDays(date: IsoDate, days: number): IsoDate {
  if (!isValidDate(date)) throw new RangeError(`Not a calendar date: ${date}`);
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
