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
 * - `templates[]` have exactly one of `shopGroupId` / `shopId`, one template per scope and service;
 *   a group's template may leave out (`excludedShopIds`) only shops of that group.
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
 *
 * This module is the orchestrator: one module per kind (bundle-users, bundle-shops, ...) reads and
 * checks its entries, and {@link validateBundle} runs them phase by phase (shapes, ids, references,
 * rules across rows) so that faults come in one stable order, passing on the ids later phases need.
 */
import { absent, Faults, isObj, readNamedList, show, typeName, type Entry } from "./bundle-fields";
import { referenceChecker, uniqueIds, type BundleIds } from "./bundle-ids";
import { readChargedImages } from "./bundle-charged-images";
import { checkLabKeys, checkLabReferences, readLabs } from "./bundle-labs";
import { checkAllowanceKeys, checkAllowanceReferences, checkPriceReferences, checkPriceRows, readAllowances, readPrices } from "./bundle-prices";
import { checkShopReferences, readShops } from "./bundle-shops";
import { readServices } from "./bundle-services";
import { checkExcludedShops, checkTemplateReferences, checkTemplateScopes, readTemplates } from "./bundle-templates";
import { BUNDLE_KINDS, type Bundle, type BundleFault, type KnownState } from "./bundle-types";
import { checkLogins, checkUserReferences, readUsers } from "./bundle-users";

export * from "./bundle-types";
export { isPhcArgon2Hash } from "./bundle-fields";
export { derivePriceRowId, priceScopeOf } from "./bundle-price-ids";

const TOP_LEVEL_KEYS = new Set<string>(["currency", ...BUNDLE_KINDS]);
const CURRENCY_RE = /^[A-Z]{3}$/;

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
    f.add(
      "$.currency",
      "CURRENCY_CHANGE",
      `the installation's currency is ${known.currency}; every stored amount is in it, so it cannot become ${json.currency}`,
    );
  } else {
    currency = json.currency;
  }

  // --- Shape of every entry -------------------------------------------------

  const shopGroups = readNamedList(json, "shopGroups", f);
  const shops = readShops(json, f);
  const users = readUsers(json, f);
  const services = readServices(json, f);
  const products = readNamedList(json, "products", f);
  const templates = readTemplates(json, f);
  const priceRows = readPrices(json, f);
  const allowances = readAllowances(json, f);
  const chargedImages = readChargedImages(json, f);
  const labs = readLabs(json, f);

  // --- Ids: unique per kind, in the bundle and against the database ----------

  const ids: BundleIds = {
    shopGroups: uniqueIds(shopGroups, (v) => v.id, "id", known.shopGroupIds ?? [], f),
    shops: uniqueIds(shops, (v) => v.id, "id", known.shopIds ?? [], f),
    users: uniqueIds(users, (v) => v.id, "id", known.users?.keys() ?? [], f),
    services: uniqueIds(services, (v) => v.id, "id", known.serviceIds ?? [], f),
    products: uniqueIds(products, (v) => v.id, "id", known.productIds ?? [], f),
    templates: uniqueIds(templates.entries, (v) => v.id, "id", known.templates?.keys() ?? [], f),
    labs: uniqueIds(labs.entries, (v) => v.id, "id", known.labIds ?? [], f),
  };
  uniqueIds(chargedImages, (v) => v.imageId, "imageId", known.chargedImageIds ?? [], f);

  // --- References ------------------------------------------------------------

  const ref = referenceChecker(ids, known, f);
  checkShopReferences(shops, ref);
  checkUserReferences(users, ref);
  checkTemplateReferences(templates, ref);
  checkPriceReferences(priceRows, ref);
  checkAllowanceReferences(allowances, ref);
  checkLabReferences(labs, ref);

  // --- Cross-row rules -------------------------------------------------------

  checkLogins(users, ids.users, known, f);
  checkTemplateScopes(templates.entries, ids.templates, known, f);
  checkExcludedShops(templates, shops, known, f);
  checkPriceRows(priceRows, known, f);
  checkAllowanceKeys(allowances, f);
  checkLabKeys(labs, known, f);

  // --- Normal form -----------------------------------------------------------

  const values = <T>(entries: Array<Entry<T>>): T[] => entries.map((e) => e.value as T);
  const bundle: Bundle = {
    ...(currency !== undefined ? { currency } : {}),
    users: values(users),
    shopGroups: values(shopGroups),
    shops: values(shops),
    services: values(services),
    products: values(products),
    templates: values(templates.entries),
    prices: values(priceRows.prices).map((r) => ({ ...r, shopGroupId: r.shopGroupId ?? null })),
    shopPrices: values(priceRows.shopPrices),
    shopPriceAllowances: values(allowances),
    chargedImages: values(chargedImages),
    labs: values(labs.entries),
  };
  return { bundle, faults: f.list };
}
