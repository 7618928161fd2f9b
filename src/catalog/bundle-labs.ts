/**
 * The labs of a bundle: their shape, their API keys (a clear key, and/or stored keys as an export
 * holds them), their references to a shop and services, and the key rules across labs.
 */
import { createHash } from "node:crypto";
import { isKeyedKeyHash, MIN_LAB_KEY_LENGTH } from "../identity/passwords";
import {
  absent,
  checkFields,
  idList,
  isObj,
  isPhcArgon2Hash,
  MAX_INT_COLUMN,
  optionalBool,
  optionalLocation,
  optionalText,
  readList,
  requiredId,
  requiredName,
  show,
  typeName,
  type Entry,
  type Faults,
  type Obj,
} from "./bundle-fields";
import { lower, type RefCheck } from "./bundle-ids";
import { FULFILMENT_METHODS, type BundleLab, type BundleLabApiKey, type KnownState } from "./bundle-types";

const LOOKUP_RE = /^[0-9a-f]{16}$/;
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const MAX_LAB_KEY_LENGTH = 512;

function isInstant(v: unknown): v is string {
  return typeof v === "string" && INSTANT_RE.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString().slice(0, 10) === v.slice(0, 10);
}

export interface ReadLabs {
  entries: Array<Entry<BundleLab>>;
  /** Each lab's service ids with their paths, for the reference check. */
  servicePaths: Map<Entry<BundleLab>["value"], Array<{ id: string; path: string }>>;
  /** The well-formed stored keys, with their lab. */
  keyEntries: Array<{ key: BundleLabApiKey; labId: string | undefined; path: string }>;
  /** The well-formed clear keys, with their lab. */
  clearKeys: Array<{ key: string; labId: string | undefined; path: string }>;
}

export function readLabs(json: Obj, f: Faults): ReadLabs {
  const labServicePaths: ReadLabs["servicePaths"] = new Map();
  const labKeyEntries: ReadLabs["keyEntries"] = [];
  const clearKeys: ReadLabs["clearKeys"] = [];
  const entries = readList<BundleLab>(json, "labs", f, (o, p) => {
    checkFields(
      o,
      p,
      [
        "id",
        "name",
        "shopId",
        "apiKey",
        "apiKeys",
        "serviceIds",
        "fulfilment",
        "express",
        "capacitySheetsPerHour",
        "maxOrderSheets",
        "location",
        "postalCode",
        "region",
        "disabled",
      ],
      f,
    );
    const l: Partial<BundleLab> = {
      id: requiredId(o, "id", p, f),
      name: requiredName(o, "name", p, f, 200),
      shopId: requiredId(o, "shopId", p, f),
      express: optionalBool(o, "express", p, f) ?? false,
      location: optionalLocation(o, "location", p, f),
      postalCode: optionalText(o, "postalCode", p, f, 20),
      region: optionalText(o, "region", p, f, 100),
      disabled: optionalBool(o, "disabled", p, f),
    };
    // The key itself never appears in a message.
    if (!absent(o.apiKey)) {
      const key = o.apiKey;
      if (typeof key !== "string") f.add(`${p}.apiKey`, "INVALID_TYPE", `apiKey must be a string, got ${typeName(key)}`);
      else if (key.length < MIN_LAB_KEY_LENGTH)
        f.add(`${p}.apiKey`, "KEY_TOO_SHORT", `apiKey must be at least ${MIN_LAB_KEY_LENGTH} characters, got ${key.length}`);
      else if (key.length > MAX_LAB_KEY_LENGTH)
        f.add(`${p}.apiKey`, "INVALID_LENGTH", `apiKey must be at most ${MAX_LAB_KEY_LENGTH} characters, got ${key.length}`);
      else {
        l.apiKey = key;
        clearKeys.push({ key, labId: l.id, path: `${p}.apiKey` });
      }
    }
    if (!absent(o.apiKeys)) {
      if (!Array.isArray(o.apiKeys)) f.add(`${p}.apiKeys`, "INVALID_TYPE", `apiKeys must be an array, got ${typeName(o.apiKeys)}`);
      else {
        const keys: BundleLabApiKey[] = [];
        o.apiKeys.forEach((k: unknown, i) => {
          const kp = `${p}.apiKeys[${i}]`;
          if (!isObj(k)) {
            f.add(kp, "INVALID_TYPE", `must be an object, got ${typeName(k)}`);
            return;
          }
          const before = f.list.length;
          checkFields(k, kp, ["id", "hash", "lookup", "label", "createdAt", "revokedAt"], f);
          const id = requiredId(k, "id", kp, f);
          if (!isPhcArgon2Hash(k.hash) && !(typeof k.hash === "string" && isKeyedKeyHash(k.hash))) {
            f.add(`${kp}.hash`, "INVALID_HASH", "hash must be an argon2 PHC string or hmac-sha256$ and 64 hex digits");
          }
          if (typeof k.lookup !== "string" || !LOOKUP_RE.test(k.lookup)) f.add(`${kp}.lookup`, "INVALID_LOOKUP", "lookup must be 16 lower-case hex digits");
          const label = absent(k.label) ? "" : requiredName(k, "label", kp, f, 200, true);
          if (!isInstant(k.createdAt))
            f.add(`${kp}.createdAt`, "INVALID_INSTANT", `createdAt must be an ISO instant such as 2026-01-01T00:00:00.000Z, got ${show(k.createdAt)}`);
          if (!absent(k.revokedAt) && !isInstant(k.revokedAt))
            f.add(`${kp}.revokedAt`, "INVALID_INSTANT", `revokedAt must be an ISO instant or null, got ${show(k.revokedAt)}`);
          if (f.list.length !== before || id === undefined || label === undefined) return;
          const key: BundleLabApiKey = {
            id,
            hash: k.hash as string,
            lookup: k.lookup as string,
            label,
            createdAt: k.createdAt as string,
            revokedAt: absent(k.revokedAt) ? null : (k.revokedAt as string),
          };
          keys.push(key);
          labKeyEntries.push({ key, labId: l.id, path: kp });
        });
        l.apiKeys = keys;
      }
    }
    const serviceIds = idList(o, "serviceIds", p, f, false);
    if (serviceIds !== undefined) {
      l.serviceIds = serviceIds.map((x) => x.id);
      labServicePaths.set(l, serviceIds);
    }
    const ful = o.fulfilment;
    if (absent(ful)) f.add(`${p}.fulfilment`, "REQUIRED", "fulfilment is required");
    else if (!Array.isArray(ful)) f.add(`${p}.fulfilment`, "INVALID_TYPE", `fulfilment must be an array, got ${typeName(ful)}`);
    else if (ful.length === 0) f.add(`${p}.fulfilment`, "INVALID_FULFILMENT", "fulfilment must name PICKUP, DELIVERY or both");
    else {
      const seen = new Set<string>();
      let ok = true;
      ful.forEach((m: unknown, i) => {
        if (typeof m !== "string" || !(FULFILMENT_METHODS as readonly string[]).includes(m)) {
          f.add(`${p}.fulfilment[${i}]`, "INVALID_FULFILMENT", `must be PICKUP or DELIVERY, got ${show(m)}`);
          ok = false;
        } else if (seen.has(m)) {
          f.add(`${p}.fulfilment[${i}]`, "DUPLICATE_VALUE", `${m} is listed twice`);
          ok = false;
        } else seen.add(m);
      });
      // Canonical order, so that the stored form and an export do not depend on the bundle's order.
      if (ok) l.fulfilment = FULFILMENT_METHODS.filter((m) => seen.has(m));
    }
    const cap = o.capacitySheetsPerHour;
    if (absent(cap)) f.add(`${p}.capacitySheetsPerHour`, "REQUIRED", "capacitySheetsPerHour is required");
    else if (typeof cap !== "number" || !Number.isSafeInteger(cap) || cap < 1 || cap > MAX_INT_COLUMN) {
      f.add(`${p}.capacitySheetsPerHour`, "INVALID_NUMBER", `capacitySheetsPerHour must be a whole number from 1 to ${MAX_INT_COLUMN}, got ${show(cap)}`);
    } else l.capacitySheetsPerHour = cap;
    const max = o.maxOrderSheets;
    if (!absent(max)) {
      if (typeof max !== "number" || !Number.isSafeInteger(max) || max < 1 || max > MAX_INT_COLUMN) {
        f.add(`${p}.maxOrderSheets`, "INVALID_NUMBER", `maxOrderSheets must be a whole number from 1 to ${MAX_INT_COLUMN}, got ${show(max)}`);
      } else l.maxOrderSheets = max;
    }
    return l;
  });
  return { entries, servicePaths: labServicePaths, keyEntries: labKeyEntries, clearKeys };
}

export function checkLabReferences({ entries, servicePaths }: ReadLabs, ref: RefCheck): void {
  for (const { value: l, path } of entries) {
    ref(`${path}.shopId`, "shops", l.shopId);
    for (const x of servicePaths.get(l) ?? []) ref(x.path, "services", x.id);
  }
}

/**
 * Lab keys: ids unique across labs (one table); a key id of the database stays with its lab; one
 * clear key opens one lab only (the daemon is identified by its key).
 */
export function checkLabKeys({ keyEntries: labKeyEntries, clearKeys }: ReadLabs, known: KnownState, f: Faults): void {
  const keyIds = new Map<string, string>();
  for (const { key, labId, path } of labKeyEntries) {
    const holder = keyIds.get(lower(key.id));
    if (holder !== undefined) {
      f.add(`${path}.id`, "DUPLICATE_ID", `key id ${key.id} is used by ${holder} too`);
      continue;
    }
    keyIds.set(lower(key.id), path);
    const existing = known.labApiKeys?.get(key.id);
    if (existing !== undefined && labId !== undefined && existing.labId !== labId) {
      f.add(`${path}.id`, "KEY_OWNER_MISMATCH", `key ${key.id} belongs to lab ${existing.labId} in the database`);
    }
  }
  const keyOwners = new Map<string, string>();
  for (const { key, labId, path } of clearKeys) {
    if (labId === undefined) continue;
    // Only a digest, never the key, is kept around for the comparison.
    const digest = createHash("sha256").update(key).digest("hex");
    const lookup = digest.slice(0, 16);
    const holder = keyOwners.get(digest);
    if (holder !== undefined && holder !== labId) {
      f.add(path, "DUPLICATE_KEY", `lab ${labId} has the same apiKey as lab ${holder}; each lab needs its own key`);
      continue;
    }
    keyOwners.set(digest, labId);
    for (const [id, k] of known.labApiKeys ?? []) {
      if (k.lookup === lookup && !k.revoked && k.labId !== labId) {
        f.add(path, "DUPLICATE_KEY", `lab ${labId}'s apiKey is already a key of lab ${k.labId} (${id})`);
        break;
      }
    }
  }
}
