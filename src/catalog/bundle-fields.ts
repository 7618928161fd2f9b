/**
 * The shared field checkers of the bundle validator: small readers that each record their own
 * faults (with the value's JSON path) and return undefined for a bad value, so that one pass reports
 * every fault of an entry. Pure: no database, no GraphQL.
 */
import { isArgon2Hash } from "../identity/passwords";
import { nameFault } from "../common/names";
import type { BundleFault, BundleKind, GeoLocation } from "./bundle-types";

const ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** The INT columns (sheet counts, capacity) hold at most this. */
export const MAX_INT_COLUMN = 2_147_483_647;

/** One entry of a bundle list: what could be read of it, and where it stands. */
export interface Entry<T> {
  value: Partial<T>;
  path: string;
}

export type Obj = Record<string, unknown>;

export class Faults {
  readonly list: BundleFault[] = [];
  add(path: string, code: string, message: string): void {
    this.list.push({ path, code, message });
  }
}

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A short, safe rendering of a (non-secret) value for a message. */
export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? s.slice(0, 37) + "..." : s;
}

export function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `a ${typeof v}`;
}

export function checkFields(o: Obj, path: string, allowed: readonly string[], f: Faults): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) f.add(`${path}.${key}`, "UNKNOWN_FIELD", `${key} is not a field here (expected one of ${allowed.join(", ")})`);
  }
}

export function absent(v: unknown): boolean {
  return v === undefined || v === null;
}

export function requiredId(o: Obj, key: string, path: string, f: Faults): string | undefined {
  const v = o[key];
  const p = `${path}.${key}`;
  if (absent(v)) {
    f.add(p, "REQUIRED", `${key} is required`);
    return undefined;
  }
  if (typeof v !== "string" || !ID_RE.test(v)) {
    f.add(p, "INVALID_ID", `${key} must be 1 to 64 letters, digits, '.', '_' or '-', got ${show(v)}`);
    return undefined;
  }
  return v;
}

/** null when absent or null, undefined when malformed. */
export function optionalId(o: Obj, key: string, path: string, f: Faults): string | null | undefined {
  if (absent(o[key])) return null;
  return requiredId(o, key, path, f);
}

/** A human-entered name (or label): text as requiredText, and the names rule (INVALID_NAME). */
export function requiredName(o: Obj, key: string, path: string, f: Faults, max: number, allowEmpty = false): string | undefined {
  const v = requiredText(o, key, path, f, max, allowEmpty);
  const fault = v === undefined ? null : nameFault(v, key);
  if (fault !== null) {
    f.add(`${path}.${key}`, "INVALID_NAME", fault);
    return undefined;
  }
  return v;
}

export function requiredText(o: Obj, key: string, path: string, f: Faults, max: number, allowEmpty = false): string | undefined {
  const v = o[key];
  const p = `${path}.${key}`;
  if (absent(v)) {
    f.add(p, "REQUIRED", `${key} is required`);
    return undefined;
  }
  if (typeof v !== "string") {
    f.add(p, "INVALID_TYPE", `${key} must be a string, got ${typeName(v)}`);
    return undefined;
  }
  if ((!allowEmpty && v.trim() === "") || v.length > max) {
    f.add(p, "INVALID_LENGTH", `${key} must be ${allowEmpty ? "at most" : "1 to"} ${max} characters, got ${v.length}`);
    return undefined;
  }
  return v;
}

export function optionalText(o: Obj, key: string, path: string, f: Faults, max: number): string | null | undefined {
  if (absent(o[key])) return null;
  return requiredText(o, key, path, f, max);
}

/** A safe, non-negative integer amount of minor units. */
export function requiredMoney(o: Obj, key: string, path: string, f: Faults): number | undefined {
  const v = o[key];
  const p = `${path}.${key}`;
  if (absent(v)) {
    f.add(p, "REQUIRED", `${key} is required`);
    return undefined;
  }
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    f.add(p, "INVALID_AMOUNT", `${key} must be a whole number of minor units, got ${show(v)}`);
    return undefined;
  }
  if (v < 0) {
    f.add(p, "NEGATIVE_CHARGE", `${key} must not be negative, got ${v}`);
    return undefined;
  }
  return v;
}

export function optionalBool(o: Obj, key: string, path: string, f: Faults): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") {
    f.add(`${path}.${key}`, "INVALID_TYPE", `${key} must be true or false, got ${show(v)}`);
    return undefined;
  }
  return v;
}

/** null when absent; undefined when malformed. */
export function optionalLocation(o: Obj, key: string, path: string, f: Faults): GeoLocation | null | undefined {
  const v = o[key];
  const p = `${path}.${key}`;
  if (absent(v)) return null;
  if (!isObj(v)) {
    f.add(p, "INVALID_TYPE", `${key} must be an object { lat, lng }, got ${typeName(v)}`);
    return undefined;
  }
  checkFields(v, p, ["lat", "lng"], f);
  const coord = (k: "lat" | "lng", limit: number): number | undefined => {
    const c = v[k];
    if (typeof c !== "number" || !Number.isFinite(c) || c < -limit || c > limit) {
      f.add(`${p}.${k}`, absent(c) ? "REQUIRED" : "INVALID_LOCATION", `${k} must be a number from ${-limit} to ${limit}, got ${show(c)}`);
      return undefined;
    }
    return c;
  };
  const lat = coord("lat", 90);
  const lng = coord("lng", 180);
  return lat === undefined || lng === undefined ? undefined : { lat, lng };
}

export function idList(o: Obj, key: string, path: string, f: Faults, nonEmpty: boolean): Array<{ id: string; path: string }> | undefined {
  const v = o[key];
  const p = `${path}.${key}`;
  if (absent(v)) {
    f.add(p, "REQUIRED", `${key} is required`);
    return undefined;
  }
  if (!Array.isArray(v)) {
    f.add(p, "INVALID_TYPE", `${key} must be an array of ids, got ${typeName(v)}`);
    return undefined;
  }
  if (nonEmpty && v.length === 0) {
    f.add(p, "REQUIRED", `${key} must name at least one id`);
  }
  const out: Array<{ id: string; path: string }> = [];
  const seen = new Set<string>();
  v.forEach((item: unknown, i) => {
    const ip = `${p}[${i}]`;
    if (typeof item !== "string" || !ID_RE.test(item)) {
      f.add(ip, "INVALID_ID", `must be an id (1 to 64 letters, digits, '.', '_' or '-'), got ${show(item)}`);
      return;
    }
    if (seen.has(item)) {
      f.add(ip, "DUPLICATE_VALUE", `${item} is listed twice`);
      return;
    }
    seen.add(item);
    out.push({ id: item, path: ip });
  });
  return out;
}

/** An argon2 PHC string of at most 255 characters (what the users and lab-key tables hold). */
export function isPhcArgon2Hash(s: unknown): s is string {
  return typeof s === "string" && s.length <= 255 && isArgon2Hash(s);
}

/** The entries of one top-level list (absent: none), each read by `parse`; non-objects are faults. */
export function readList<T>(json: Obj, key: BundleKind, f: Faults, parse: (o: Obj, path: string) => Partial<T>): Array<Entry<T>> {
  const v = json[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    f.add(`$.${key}`, "INVALID_TYPE", `${key} must be an array, got ${typeName(v)}`);
    return [];
  }
  const out: Array<Entry<T>> = [];
  v.forEach((item: unknown, i) => {
    const path = `$.${key}[${i}]`;
    if (!isObj(item)) {
      f.add(path, "INVALID_TYPE", `must be an object, got ${typeName(item)}`);
      return;
    }
    out.push({ value: parse(item, path), path });
  });
  return out;
}

/** A list of entries that are an id and a name and nothing else (shop groups, services, products). */
export function readNamedList(json: Obj, key: BundleKind, f: Faults): Array<Entry<{ id: string; name: string }>> {
  return readList<{ id: string; name: string }>(json, key, f, (o, p) => {
    checkFields(o, p, ["id", "name"], f);
    return { id: requiredId(o, "id", p, f), name: requiredName(o, "name", p, f, 200) };
  });
}
