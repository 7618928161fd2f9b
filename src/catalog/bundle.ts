/**
 * The catalog bundle: the JSON file that seeds and updates a center's catalog (contract, "The
 * catalog bundle (JSON)"), its TypeScript types, and a pure validator that reports every fault with
 * its JSON path (`$.prices[3].validUntil`). Pure: no database, no GraphQL; what the database already
 * holds comes in as {@link KnownState}.
 *
 * The format is the contract's, extended so that an export can be imported again without secrets:
 *
 * - Every top-level list may be absent (an empty list): a bundle may carry only prices, say, whose
 *   references then must exist in the database. `currency` (three upper-case letters) is required
 *   while the database has none, and may not change once set: every stored amount is in its unit.
 * - `users[]` carry `password` (8-256 characters, hashed with argon2 on import) or, instead,
 *   `passwordHash` (an argon2 PHC string, what an export holds). `disabled` is optional; when absent
 *   an existing user keeps its state (disabling someone is an operational act a re-seed must not
 *   undo). A SHOP_GROUP_ADMIN has `shopGroupId` and no `shopId`; a SHOP_ADMIN `shopId` and no
 *   `shopGroupId`; other roles neither. Logins are unique ignoring letter case.
 * - `shops[]` and `labs[]` may carry `postalCode` and `region`; `location` ({ lat, lng }) and
 *   `adminUserId` are optional (absent = none).
 * - `templates[]` have exactly one of `shopGroupId` / `shopId`, one template per scope and service.
 * - `prices[]` (`shopGroupId` null or absent: a standard price) and `shopPrices[]` (`shopId`) may
 *   carry an `id`. Without one, a row takes the id of the database row with the same natural key
 *   (scope, product, validFrom, minSheets) if there is one, else one derived from that key:
 *   `PR-G-SG01-P01-2026-04-01` (group), `PR-S-SP02-P03-2026-04-01-100` (shop, tier from 100 sheets),
 *   `PR-STD-P01-2026-01-01` (standard); a SHA-256 of the key when that would pass 64 characters.
 *   So changing a row's validFrom without an id makes a new row (which then overlaps the old one).
 *   `validUntil`, `minSheets`, `maxSheets` may be absent (null).
 * - `labs[]` may carry `apiKey` (a clear key of at least 24 characters, hashed on import) and/or
 *   `apiKeys: [{ id, hash, lookup, label, createdAt, revokedAt }]` (the stored form: an argon2 PHC
 *   string or `hmac-sha256$<64 hex digits>`, the keyed hash, which holds only under the same key
 *   secret; 16-hex-digit lookup, ISO instants). `express` is optional (false); `disabled` as for users.
 *
 * Ids are 1-64 characters of `[A-Za-z0-9._-]`, unique per kind ignoring letter case (MariaDB
 * compares them so). References must name an id of the bundle or of the database, exactly.
 * Money is a safe non-negative integer in minor units; dates are real `YYYY-MM-DD` dates.
 * Unknown fields are faults: a misspelt `validUntill` must not silently make a price open-ended.
 */
import { createHash } from "node:crypto";
import { isKeyedKeyHash, MAX_PASSWORD_LENGTH, MIN_LAB_KEY_LENGTH, MIN_PASSWORD_LENGTH } from "../identity/passwords";
import { Role } from "../identity/role";
import { findOverlaps, validatePriceRowShape, type PriceRowData } from "../pricing/price-calculator";
import {
  absent,
  checkFields,
  Faults,
  idList,
  isObj,
  isPhcArgon2Hash,
  MAX_INT_COLUMN,
  optionalBool,
  optionalId,
  optionalLocation,
  optionalText,
  readList,
  requiredId,
  requiredMoney,
  requiredName,
  show,
  typeName,
  type Entry,
  type Obj,
} from "./bundle-fields";
import { derivePriceRowId, describeRow, naturalKey, priceScopeOf } from "./bundle-price-ids";
import {
  BUNDLE_KINDS,
  FULFILMENT_METHODS,
  type Bundle,
  type BundleAllowance,
  type BundleChargedImage,
  type BundleFault,
  type BundleKind,
  type BundleLab,
  type BundleLabApiKey,
  type BundlePrice,
  type BundleProduct,
  type BundleService,
  type BundleShop,
  type BundleShopGroup,
  type BundleShopPrice,
  type BundleTemplate,
  type BundleUser,
  type KnownState,
} from "./bundle-types";

export * from "./bundle-types";
export { isPhcArgon2Hash } from "./bundle-fields";
export { derivePriceRowId, priceScopeOf } from "./bundle-price-ids";

const TOP_LEVEL_KEYS = new Set<string>(["currency", ...BUNDLE_KINDS]);
/** Same rule as the users service, so that an imported login can also be typed at the login form. */
const LOGIN_RE = /^[A-Za-z0-9._@+-]{3,100}$/;
const CURRENCY_RE = /^[A-Z]{3}$/;
const LOOKUP_RE = /^[0-9a-f]{16}$/;
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const MAX_LAB_KEY_LENGTH = 512;

function isInstant(v: unknown): v is string {
  return typeof v === "string" && INSTANT_RE.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString().slice(0, 10) === v.slice(0, 10);
}

/**
 * Checks a parsed JSON bundle against the format above and, through `known`, against what the
 * database holds. Returns every fault found (none: the bundle may be imported) and the bundle in
 * normal form (price ids filled in, absent optional data fields as null). When there are faults the
 * returned bundle is a best effort and must not be written.
 */
export function validateBundle(json: unknown, known: KnownState = {}): { bundle: Bundle; faults: BundleFault[] } {
  const f = new Faults();
  const empty: Bundle = {
    users: [],
    shopGroups: [],
    shops: [],
    services: [],
    products: [],
    templates: [],
    prices: [],
    shopPrices: [],
    shopPriceAllowances: [],
    chargedImages: [],
    labs: [],
  };
  if (!isObj(json)) {
    f.add("$", "INVALID_TYPE", `a bundle must be a JSON object, got ${typeName(json)}`);
    return { bundle: empty, faults: f.list };
  }
  for (const key of Object.keys(json)) {
    if (!TOP_LEVEL_KEYS.has(key)) f.add(`$.${key}`, "UNKNOWN_FIELD", `${key} is not a part of a bundle`);
  }

  // Currency.
  let currency: string | undefined;
  if (absent(json.currency)) {
    if (!known.currency) f.add("$.currency", "REQUIRED", "currency is required (the database has none yet)");
  } else if (typeof json.currency !== "string" || !CURRENCY_RE.test(json.currency)) {
    f.add("$.currency", "INVALID_CURRENCY", `currency must be a three-letter upper-case code such as JPY, got ${show(json.currency)}`);
  } else if (known.currency && known.currency !== json.currency) {
    f.add("$.currency", "CURRENCY_CHANGE", `the installation's currency is ${known.currency}; every stored amount is in it, so it cannot become ${json.currency}`);
  } else {
    currency = json.currency;
  }

  const list = <T>(key: BundleKind, parse: (o: Obj, path: string) => Partial<T>): Array<Entry<T>> => readList(json, key, f, parse);

  // --- Shape of every entry -------------------------------------------------

  const shopGroups = list<BundleShopGroup>("shopGroups", (o, p) => {
    checkFields(o, p, ["id", "name"], f);
    return { id: requiredId(o, "id", p, f), name: requiredName(o, "name", p, f, 200) };
  });

  const shops = list<BundleShop>("shops", (o, p) => {
    checkFields(o, p, ["id", "name", "shopGroupId", "adminUserId", "location", "postalCode", "region"], f);
    return {
      id: requiredId(o, "id", p, f),
      name: requiredName(o, "name", p, f, 200),
      shopGroupId: requiredId(o, "shopGroupId", p, f),
      adminUserId: optionalId(o, "adminUserId", p, f),
      location: optionalLocation(o, "location", p, f),
      postalCode: optionalText(o, "postalCode", p, f, 20),
      region: optionalText(o, "region", p, f, 100),
    };
  });

  const users = list<BundleUser>("users", (o, p) => {
    checkFields(o, p, ["id", "login", "password", "passwordHash", "name", "role", "shopGroupId", "shopId", "disabled"], f);
    const u: Partial<BundleUser> = {
      id: requiredId(o, "id", p, f),
      name: requiredName(o, "name", p, f, 200),
    };
    const login = o.login;
    if (absent(login)) f.add(`${p}.login`, "REQUIRED", "login is required");
    else if (typeof login !== "string" || !LOGIN_RE.test(login)) {
      f.add(`${p}.login`, "INVALID_LOGIN", `login must be 3 to 100 letters, digits or . _ @ + -, got ${show(login)}`);
    } else u.login = login;

    // Never echo a password or hash back: the messages give lengths and rules only.
    const pw = o.password;
    const hash = o.passwordHash;
    if (!absent(pw) && !absent(hash)) {
      f.add(`${p}.passwordHash`, "CONFLICTING_FIELDS", "give password or passwordHash, not both");
    } else if (!absent(pw)) {
      if (typeof pw !== "string") f.add(`${p}.password`, "INVALID_TYPE", `password must be a string, got ${typeName(pw)}`);
      else if (pw.length < MIN_PASSWORD_LENGTH) f.add(`${p}.password`, "PASSWORD_TOO_SHORT", `password must be at least ${MIN_PASSWORD_LENGTH} characters, got ${pw.length}`);
      else if (pw.length > MAX_PASSWORD_LENGTH) f.add(`${p}.password`, "PASSWORD_TOO_LONG", `password must be at most ${MAX_PASSWORD_LENGTH} characters, got ${pw.length}`);
      else u.password = pw;
    } else if (!absent(hash)) {
      if (!isPhcArgon2Hash(hash)) f.add(`${p}.passwordHash`, "INVALID_HASH", "passwordHash must be an argon2 PHC string ($argon2id$v=19$m=...)");
      else u.passwordHash = hash;
    } else {
      f.add(`${p}.password`, "REQUIRED", "password (or passwordHash) is required");
    }

    const role = o.role;
    if (absent(role)) f.add(`${p}.role`, "REQUIRED", "role is required");
    else if (typeof role !== "string" || !(Object.values(Role) as string[]).includes(role)) {
      f.add(`${p}.role`, "INVALID_ROLE", `role must be one of ${Object.values(Role).join(", ")}, got ${show(role)}`);
    } else u.role = role as Role;
    u.shopGroupId = optionalId(o, "shopGroupId", p, f);
    u.shopId = optionalId(o, "shopId", p, f);
    u.disabled = optionalBool(o, "disabled", p, f);
    if (u.role !== undefined) {
      const wantsGroup = u.role === Role.SHOP_GROUP_ADMIN;
      const wantsShop = u.role === Role.SHOP_ADMIN;
      if (wantsGroup && absent(o.shopGroupId)) f.add(`${p}.shopGroupId`, "INVALID_SCOPE", "a SHOP_GROUP_ADMIN needs shopGroupId");
      if (!wantsGroup && !absent(o.shopGroupId)) f.add(`${p}.shopGroupId`, "INVALID_SCOPE", `a ${u.role} has no shopGroupId`);
      if (wantsShop && absent(o.shopId)) f.add(`${p}.shopId`, "INVALID_SCOPE", "a SHOP_ADMIN needs shopId");
      if (!wantsShop && !absent(o.shopId)) f.add(`${p}.shopId`, "INVALID_SCOPE", `a ${u.role} has no shopId`);
    }
    return u;
  });

  const services = list<BundleService>("services", (o, p) => {
    checkFields(o, p, ["id", "name"], f);
    return { id: requiredId(o, "id", p, f), name: requiredName(o, "name", p, f, 200) };
  });

  const products = list<BundleProduct>("products", (o, p) => {
    checkFields(o, p, ["id", "name"], f);
    return { id: requiredId(o, "id", p, f), name: requiredName(o, "name", p, f, 200) };
  });

  const templateProductPaths = new Map<Entry<BundleTemplate>["value"], Array<{ id: string; path: string }>>();
  const templates = list<BundleTemplate>("templates", (o, p) => {
    checkFields(o, p, ["id", "name", "shopGroupId", "shopId", "serviceId", "productIds"], f);
    const t: Partial<BundleTemplate> = {
      id: requiredId(o, "id", p, f),
      name: requiredName(o, "name", p, f, 200),
      shopGroupId: optionalId(o, "shopGroupId", p, f),
      shopId: optionalId(o, "shopId", p, f),
      serviceId: requiredId(o, "serviceId", p, f),
    };
    if (absent(o.shopGroupId) && absent(o.shopId)) f.add(`${p}.shopGroupId`, "INVALID_SCOPE", "a template needs shopGroupId (a group's) or shopId (a shop's own)");
    if (!absent(o.shopGroupId) && !absent(o.shopId)) f.add(`${p}.shopId`, "INVALID_SCOPE", "a template belongs to a shop group or to a shop, not both");
    const ids = idList(o, "productIds", p, f, true);
    if (ids !== undefined) {
      t.productIds = ids.map((x) => x.id);
      templateProductPaths.set(t, ids);
    }
    return t;
  });

  // Price rows: both lists share one table, so one id space.
  interface PriceDraft {
    value: Partial<BundlePrice & BundleShopPrice>;
    path: string;
    explicitId: boolean;
    /** Set when the row is shape-valid: what the overlap check sees. */
    data?: PriceRowData;
    natural?: string;
  }
  const priceDrafts: PriceDraft[] = [];
  const parsePrice = (shop: boolean) => (o: Obj, p: string) => {
    const scopeKey = shop ? "shopId" : "shopGroupId";
    checkFields(o, p, ["id", scopeKey, "productId", "validFrom", "validUntil", "basicCharge", "amountCharge", "minSheets", "maxSheets"], f);
    const before = f.list.length;
    const r: Partial<BundlePrice & BundleShopPrice> = {};
    if (!absent(o.id)) r.id = requiredId(o, "id", p, f);
    if (shop) r.shopId = requiredId(o, "shopId", p, f);
    else r.shopGroupId = optionalId(o, "shopGroupId", p, f);
    r.productId = requiredId(o, "productId", p, f);
    const required = ["validFrom", "basicCharge", "amountCharge"] as const;
    for (const k of required) if (absent(o[k])) f.add(`${p}.${k}`, "REQUIRED", `${k} is required`);
    const shape = {
      validFrom: o.validFrom as string,
      validUntil: (o.validUntil ?? null) as string | null,
      basicCharge: o.basicCharge as number,
      amountCharge: o.amountCharge as number,
      minSheets: (o.minSheets ?? null) as number | null,
      maxSheets: (o.maxSheets ?? null) as number | null,
    };
    // The shared row check of the pricing domain: the same rules as the price mutations.
    for (const e of validatePriceRowShape(shape)) {
      if ((required as readonly string[]).includes(e.field) && absent(o[e.field])) continue;
      f.add(`${p}.${e.field}`, e.code, e.message);
    }
    for (const k of ["minSheets", "maxSheets"] as const) {
      const n = shape[k];
      if (typeof n === "number" && n > MAX_INT_COLUMN) f.add(`${p}.${k}`, "INVALID_TIER", `${k} must be at most ${MAX_INT_COLUMN}, got ${n}`);
    }
    const valid = f.list.length === before;
    Object.assign(r, shape);
    const draft: PriceDraft = { value: r, path: p, explicitId: r.id !== undefined };
    if (valid) {
      const scope = priceScopeOf(r);
      draft.natural = naturalKey(scope, r.productId!, shape.validFrom, shape.minSheets);
      draft.data = { id: r.id ?? "", scope, productId: r.productId!, ...shape };
    } else if (!absent(o.id) && r.id === undefined) {
      // A malformed explicit id: leave the row out of the id and overlap checks.
      draft.explicitId = true;
    }
    priceDrafts.push(draft);
    return r;
  };
  const prices = list<BundlePrice>("prices", parsePrice(false));
  const shopPrices = list<BundleShopPrice>("shopPrices", parsePrice(true));

  const allowances = list<BundleAllowance>("shopPriceAllowances", (o, p) => {
    checkFields(o, p, ["shopId", "productId", "minBasicCharge", "maxBasicCharge", "minAmountCharge", "maxAmountCharge"], f);
    const a: Partial<BundleAllowance> = {
      shopId: requiredId(o, "shopId", p, f),
      productId: requiredId(o, "productId", p, f),
      minBasicCharge: requiredMoney(o, "minBasicCharge", p, f),
      maxBasicCharge: requiredMoney(o, "maxBasicCharge", p, f),
      minAmountCharge: requiredMoney(o, "minAmountCharge", p, f),
      maxAmountCharge: requiredMoney(o, "maxAmountCharge", p, f),
    };
    for (const [lo, hi] of [["minBasicCharge", "maxBasicCharge"], ["minAmountCharge", "maxAmountCharge"]] as const) {
      const min = a[lo];
      const max = a[hi];
      if (min !== undefined && max !== undefined && min > max) f.add(`${p}.${hi}`, "INVALID_ALLOWANCE", `${hi} ${max} is below ${lo} ${min}`);
    }
    return a;
  });

  const chargedImages = list<BundleChargedImage>("chargedImages", (o, p) => {
    checkFields(o, p, ["imageId", "feePerSheet", "rightsHolder"], f);
    return {
      imageId: requiredId(o, "imageId", p, f),
      feePerSheet: requiredMoney(o, "feePerSheet", p, f),
      rightsHolder: requiredName(o, "rightsHolder", p, f, 200),
    };
  });

  const labServicePaths = new Map<Entry<BundleLab>["value"], Array<{ id: string; path: string }>>();
  const labKeyEntries: Array<{ key: BundleLabApiKey; labId: string | undefined; path: string }> = [];
  const clearKeys: Array<{ key: string; labId: string | undefined; path: string }> = [];
  const labs = list<BundleLab>("labs", (o, p) => {
    checkFields(
      o,
      p,
      ["id", "name", "shopId", "apiKey", "apiKeys", "serviceIds", "fulfilment", "express", "capacitySheetsPerHour", "location", "postalCode", "region", "disabled"],
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
      else if (key.length < MIN_LAB_KEY_LENGTH) f.add(`${p}.apiKey`, "KEY_TOO_SHORT", `apiKey must be at least ${MIN_LAB_KEY_LENGTH} characters, got ${key.length}`);
      else if (key.length > MAX_LAB_KEY_LENGTH) f.add(`${p}.apiKey`, "INVALID_LENGTH", `apiKey must be at most ${MAX_LAB_KEY_LENGTH} characters, got ${key.length}`);
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
          if (!isInstant(k.createdAt)) f.add(`${kp}.createdAt`, "INVALID_INSTANT", `createdAt must be an ISO instant such as 2026-01-01T00:00:00.000Z, got ${show(k.createdAt)}`);
          if (!absent(k.revokedAt) && !isInstant(k.revokedAt)) f.add(`${kp}.revokedAt`, "INVALID_INSTANT", `revokedAt must be an ISO instant or null, got ${show(k.revokedAt)}`);
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
    return l;
  });

  // --- Ids: unique per kind, in the bundle and against the database ----------

  const lower = (s: string): string => s.toLowerCase();
  const uniqueIds = <T>(entries: Array<Entry<T>>, idOf: (v: Partial<T>) => string | undefined, field: string, existing: Iterable<string>): Set<string> => {
    const ids = new Set<string>();
    const firstPath = new Map<string, string>();
    const existingByLower = new Map<string, string>();
    for (const id of existing) existingByLower.set(lower(id), id);
    for (const e of entries) {
      const id = idOf(e.value);
      if (id === undefined) continue;
      const seen = firstPath.get(lower(id));
      if (seen !== undefined) {
        f.add(`${e.path}.${field}`, "DUPLICATE_ID", `${field} ${id} is used by ${seen} too`);
        continue;
      }
      const clash = existingByLower.get(lower(id));
      if (clash !== undefined && clash !== id) {
        f.add(`${e.path}.${field}`, "DUPLICATE_ID", `${field} ${id} differs only in letter case from ${clash}, which the database holds`);
      }
      firstPath.set(lower(id), e.path);
      ids.add(id);
    }
    return ids;
  };
  const ids = {
    shopGroups: uniqueIds(shopGroups, (v) => v.id, "id", known.shopGroupIds ?? []),
    shops: uniqueIds(shops, (v) => v.id, "id", known.shopIds ?? []),
    users: uniqueIds(users, (v) => v.id, "id", known.users?.keys() ?? []),
    services: uniqueIds(services, (v) => v.id, "id", known.serviceIds ?? []),
    products: uniqueIds(products, (v) => v.id, "id", known.productIds ?? []),
    templates: uniqueIds(templates, (v) => v.id, "id", known.templates?.keys() ?? []),
    labs: uniqueIds(labs, (v) => v.id, "id", known.labIds ?? []),
  };
  uniqueIds(chargedImages, (v) => v.imageId, "imageId", known.chargedImageIds ?? []);

  // --- References ------------------------------------------------------------

  type RefKind = "shopGroups" | "shops" | "users" | "services" | "products";
  const knownOf: Record<RefKind, { has(id: string): boolean } | undefined> = {
    shopGroups: known.shopGroupIds,
    shops: known.shopIds,
    users: known.users,
    services: known.serviceIds,
    products: known.productIds,
  };
  const what: Record<RefKind, string> = { shopGroups: "shop group", shops: "shop", users: "user", services: "service", products: "product" };
  const ref = (path: string, kind: RefKind, id: string | null | undefined): void => {
    if (id === null || id === undefined) return;
    if (ids[kind].has(id) || knownOf[kind]?.has(id)) return;
    f.add(path, "UNKNOWN_REFERENCE", `${what[kind]} ${id} is neither in the bundle nor in the database`);
  };

  for (const { value: s, path } of shops) {
    ref(`${path}.shopGroupId`, "shopGroups", s.shopGroupId);
    ref(`${path}.adminUserId`, "users", s.adminUserId);
  }
  for (const { value: u, path } of users) {
    ref(`${path}.shopGroupId`, "shopGroups", u.shopGroupId);
    ref(`${path}.shopId`, "shops", u.shopId);
  }
  for (const { value: t, path } of templates) {
    ref(`${path}.shopGroupId`, "shopGroups", t.shopGroupId);
    ref(`${path}.shopId`, "shops", t.shopId);
    ref(`${path}.serviceId`, "services", t.serviceId);
    for (const x of templateProductPaths.get(t) ?? []) ref(x.path, "products", x.id);
  }
  for (const { value: r, path } of prices) {
    ref(`${path}.shopGroupId`, "shopGroups", r.shopGroupId);
    ref(`${path}.productId`, "products", r.productId);
  }
  for (const { value: r, path } of shopPrices) {
    ref(`${path}.shopId`, "shops", r.shopId);
    ref(`${path}.productId`, "products", r.productId);
  }
  for (const { value: a, path } of allowances) {
    ref(`${path}.shopId`, "shops", a.shopId);
    ref(`${path}.productId`, "products", a.productId);
  }
  for (const { value: l, path } of labs) {
    ref(`${path}.shopId`, "shops", l.shopId);
    for (const x of labServicePaths.get(l) ?? []) ref(x.path, "services", x.id);
  }

  // --- Cross-row rules -------------------------------------------------------

  // Logins: unique ignoring case (MariaDB's collation does), across the bundle and the database
  // users the bundle does not rewrite.
  const logins = new Map<string, string>();
  for (const [id, login] of known.users ?? []) if (!ids.users.has(id)) logins.set(lower(login), `user ${id} in the database`);
  for (const { value: u, path } of users) {
    if (u.login === undefined) continue;
    const holder = logins.get(lower(u.login));
    if (holder !== undefined) f.add(`${path}.login`, "DUPLICATE_LOGIN", `login ${u.login} is taken by ${holder}`);
    else logins.set(lower(u.login), path);
  }

  // One template per scope and service (a shop's own template may shadow its group's).
  const templateScopes = new Map<string, string>();
  const scopeServiceKey = (t: { shopGroupId?: string | null; shopId?: string | null; serviceId?: string }): string =>
    `${t.shopGroupId != null ? `G:${t.shopGroupId}` : `S:${t.shopId}`}\u0000${t.serviceId}`;
  for (const [id, t] of known.templates ?? []) if (!ids.templates.has(id)) templateScopes.set(scopeServiceKey(t), `template ${id} in the database`);
  for (const { value: t, path } of templates) {
    if (t.serviceId === undefined || (t.shopGroupId == null) === (t.shopId == null) || t.shopGroupId === undefined || t.shopId === undefined) continue;
    const key = scopeServiceKey(t);
    const holder = templateScopes.get(key);
    const scope = t.shopGroupId != null ? `shop group ${t.shopGroupId}` : `shop ${t.shopId}`;
    if (holder !== undefined) f.add(path, "DUPLICATE_TEMPLATE", `${scope} has a template for service ${t.serviceId} already: ${holder}`);
    else templateScopes.set(key, path);
  }

  // Price ids: explicit ones first, so that a derived id never takes one a row names.
  const explicitPriceIds = new Set<string>();
  for (const d of priceDrafts) if (d.value.id !== undefined) explicitPriceIds.add(d.value.id);
  const knownByNatural = new Map<string, string>();
  for (const r of known.priceRows ?? []) {
    if (explicitPriceIds.has(r.id)) continue;
    const key = naturalKey(r.scope, r.productId, r.validFrom, r.minSheets);
    const held = knownByNatural.get(key);
    if (held === undefined || r.id < held) knownByNatural.set(key, r.id);
  }
  for (const d of priceDrafts) {
    if (d.value.id !== undefined || d.explicitId || d.data === undefined || d.natural === undefined) continue;
    const id = knownByNatural.get(d.natural) ?? derivePriceRowId(d.data.scope, d.data.productId, d.data.validFrom, d.data.minSheets);
    d.value.id = id;
  }
  const priceIdHolder = new Map<string, PriceDraft>();
  const knownPriceIdsByLower = new Map<string, string>();
  for (const r of known.priceRows ?? []) knownPriceIdsByLower.set(lower(r.id), r.id);
  for (const d of priceDrafts) {
    const id = d.value.id;
    if (id === undefined) continue;
    if (d.data) d.data.id = id;
    const idPath = d.explicitId ? `${d.path}.id` : d.path;
    const holder = priceIdHolder.get(lower(id));
    if (holder !== undefined) {
      // Two id-less rows with one natural key: the overlap check reports them, more usefully.
      if (!d.explicitId && !holder.explicitId && d.natural === holder.natural) continue;
      f.add(idPath, "DUPLICATE_ID", `price id ${id} is used by ${holder.path} too${d.explicitId ? "" : " (derived from scope, product, validFrom and minSheets; give the rows explicit ids)"}`);
      continue;
    }
    const clash = knownPriceIdsByLower.get(lower(id));
    if (clash !== undefined && clash !== id) f.add(idPath, "DUPLICATE_ID", `price id ${id} differs only in letter case from ${clash}, which the database holds`);
    priceIdHolder.set(lower(id), d);
  }

  // Overlaps, against the merged state: the database rows the bundle does not replace, plus the
  // bundle's rows. Pairs of two database rows are not this bundle's doing.
  const bundleRows = priceDrafts.filter((d): d is PriceDraft & { data: PriceRowData } => d.data !== undefined);
  const origin = new Map<PriceRowData, { path: string; order: number }>();
  bundleRows.forEach((d, order) => origin.set(d.data, { path: d.path, order }));
  const replaced = new Set(bundleRows.map((d) => d.data.id));
  const merged = [...(known.priceRows ?? []).filter((r) => !replaced.has(r.id)), ...bundleRows.map((d) => d.data)];
  for (const [a, b] of findOverlaps(merged)) {
    const oa = origin.get(a);
    const ob = origin.get(b);
    if (oa === undefined && ob === undefined) continue;
    // The fault goes on the row that comes later in the bundle; the message names the other.
    const [at, other, otherOrigin] = oa === undefined || (ob !== undefined && ob.order > oa.order) ? [ob!, a, oa] : [oa, b, ob];
    const otherText = otherOrigin !== undefined ? `${otherOrigin.path} (${describeRow(other)})` : `the price row ${other.id} already in the database (${describeRow(other)})`;
    const self = at === oa ? a : b;
    f.add(at.path, "OVERLAPPING_PRICE", `${at.path} (${describeRow(self)}) overlaps ${otherText}`);
  }

  // Allowances: one per shop and product.
  const allowanceKeys = new Map<string, string>();
  for (const { value: a, path } of allowances) {
    if (a.shopId === undefined || a.productId === undefined) continue;
    const key = `${a.shopId}\u0000${a.productId}`;
    const holder = allowanceKeys.get(key);
    if (holder !== undefined) f.add(path, "DUPLICATE_ID", `shop ${a.shopId} has an allowance for product ${a.productId} at ${holder} already`);
    else allowanceKeys.set(key, path);
  }

  // Lab keys: ids unique across labs (one table); a key id of the database stays with its lab; one
  // clear key opens one lab only (the daemon is identified by its key).
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

  // --- Normal form -----------------------------------------------------------

  const values = <T>(entries: Array<Entry<T>>): T[] => entries.map((e) => e.value as T);
  const bundle: Bundle = {
    ...(currency !== undefined ? { currency } : {}),
    users: values(users),
    shopGroups: values(shopGroups),
    shops: values(shops),
    services: values(services),
    products: values(products),
    templates: values(templates),
    prices: values(prices).map((r) => ({ ...r, shopGroupId: r.shopGroupId ?? null })),
    shopPrices: values(shopPrices),
    shopPriceAllowances: values(allowances),
    chargedImages: values(chargedImages),
    labs: values(labs),
  };
  return { bundle, faults: f.list };
}
