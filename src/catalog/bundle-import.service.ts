/**
 * Imports a catalog bundle (see bundle.ts for the format). The whole bundle is validated first,
 * against the database's current rows (references, logins, templates, overlapping prices in the
 * merged state); with any fault nothing is written. Otherwise every change is written in one
 * transaction, upserting by id in dependency order.
 *
 * - Idempotent: a row equal to the bundle's, field by field, is left alone (no UPDATE); a clear
 *   password that still verifies against the stored hash keeps that hash, and a clear lab key that
 *   verifies against one of the lab's unrevoked keys adds none.
 * - Import never deletes a row the bundle does not mention, and never revokes a lab key: a bundle
 *   updates and adds. The child lists of an entity it does mention (a template's products, a lab's
 *   services) are that entity's data, so they are replaced by the bundle's.
 * - Secrets are hashed with argon2 (slow on purpose) outside the transaction, only when needed, a
 *   few at a time in parallel; they are never stored, logged or put in a fault message in clear.
 *   A lab key is stored with argon2 too, since the center's key secret may not be the one at hand
 *   here; the center stores it as its keyed hash at the key's first use (see passwords.ts).
 * - The read, the checks and the hashing happen before the transaction, so it stays short; a
 *   concurrent catalog edit between them makes the transaction fail whole (a duplicate key, say),
 *   never half-applied. The transaction first takes the price locks of every scope and product it
 *   writes (as the center's price writes do) and refuses the import, writing nothing, if another
 *   writer changed those prices since they were checked.
 * - A committed import counts a change of every cached kind (db/cache-versions.ts): running center
 *   processes drop their price books, lab lists, verified keys and users within about a second.
 */
import type { DataSource, EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { bumpCacheVersions, VERSIONED_CACHE_KINDS } from "../db/cache-versions";
import { withTransaction } from "../db/transaction";
import { LabApiKeyEntity } from "../labs/lab-api-key.entity";
import { labKeyRecord } from "../labs/lab-keys.service";
import { hashPassword, isKeyedKeyHash, labKeyLookup, verifyHash, verifyKeyedKeyHash } from "../identity/passwords";
import { UserEntity } from "../identity/user.entity";
import { ChargedImageEntity } from "../pricing/charged-image.entity";
import { PriceRowEntity } from "../pricing/price-row.entity";
import { ShopPriceAllowanceEntity } from "../pricing/shop-price-allowance.entity";
import { ConcurrentPriceChange, lockAndRecheckPrices } from "./bundle-import-locks";
import { validateBundle, type Bundle, type BundleFault, type BundleLab, type BundleShopPrice, type BundlePrice } from "./bundle";
import { LabEntity, LabServiceEntity } from "../labs/lab.entity";
import { ProductEntity } from "./product.entity";
import { ServiceEntity } from "./service.entity";
import { importedPrintSize } from "./bundle-services";
import { printSizeColumns, printSizeOf, samePrintSize } from "./print-sizes";
import { SettingEntity } from "./setting.entity";
import { ShopGroupEntity } from "./shop-group.entity";
import { ShopEntity } from "./shop.entity";
import { TemplateEntity, TemplateExcludedShopEntity, TemplateProductEntity } from "./template.entity";
import { allowanceKey, CURRENCY_SETTING, knownState, loadState, priceRowData, type DbState } from "./bundle-import-state";

export { CURRENCY_SETTING, priceRowData };

/** What the report counts, in the order rows are written. */
export const IMPORT_KINDS = [
  "currency",
  "shopGroups",
  "shops",
  "users",
  "services",
  "products",
  "templates",
  "prices",
  "shopPrices",
  "shopPriceAllowances",
  "chargedImages",
  "labs",
  "labApiKeys",
] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export interface ImportOptions {
  /** Validate and count what would change, write nothing (and hash nothing). */
  dryRun?: boolean;
  /** Called per phase and entity kind, and every {@link PROGRESS_EVERY} rows of a big kind. */
  onProgress?: (done: number, total: number, phase: string) => void;
  /**
   * The center's lab key secret, when known: a bundle's clear key is then recognised among the
   * stored keys in their keyed form too (without it, a key stored in that form is added again).
   */
  keyHashSecret?: Uint8Array;
}

export interface ImportReport {
  ok: boolean;
  faults: BundleFault[];
  created: Record<string, number>;
  updated: Record<string, number>;
  unchanged: Record<string, number>;
}

const PROGRESS_EVERY = 500;
/** Rows per multi-row INSERT: well under SQLite's and MySQL's placeholder limits. */
const INSERT_CHUNK = 500;
/** argon2 runs on libuv's thread pool; a handful at once keeps it busy without hogging memory. */
const HASH_PARALLELISM = 8;
const IMPORTED_KEY_LABEL = "imported from a bundle";

// ---------------------------------------------------------------------------
// The plan: what to insert and update, per kind
// ---------------------------------------------------------------------------

interface KindPlan<E> {
  insert: E[];
  update: E[];
  unchanged: number;
}

const emptyPlan = <E>(): KindPlan<E> => ({ insert: [], update: [], unchanged: 0 });

/** Sorts a bundle row into insert / update / unchanged against the stored row. */
function classify<E>(plan: KindPlan<E>, existing: E | undefined, wanted: E, same: (a: E, b: E) => boolean): void {
  if (existing === undefined) plan.insert.push(wanted);
  else if (same(existing, wanted)) plan.unchanged += 1;
  else plan.update.push(wanted);
}

function sameFields<E>(keys: ReadonlyArray<keyof E>): (a: E, b: E) => boolean {
  return (a, b) => keys.every((k) => a[k] === b[k]);
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const sameSet = (a: ReadonlySet<string>, b: readonly string[]): boolean => a.size === b.length && b.every((x) => a.has(x));
const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

interface Plan {
  currency: KindPlan<SettingEntity>;
  shopGroups: KindPlan<ShopGroupEntity>;
  shops: KindPlan<ShopEntity>;
  users: KindPlan<UserEntity>;
  services: KindPlan<ServiceEntity>;
  products: KindPlan<ProductEntity>;
  templates: KindPlan<TemplateEntity>;
  /** Templates whose product list is (re)written. */
  templateProducts: Map<string, string[]>;
  /** Templates whose left-out shops the bundle sets (only those that change). */
  templateExcluded: Map<string, string[]>;
  prices: KindPlan<PriceRowEntity>;
  shopPrices: KindPlan<PriceRowEntity>;
  shopPriceAllowances: KindPlan<ShopPriceAllowanceEntity>;
  chargedImages: KindPlan<ChargedImageEntity>;
  labs: KindPlan<LabEntity>;
  /** Labs whose service list is (re)written. */
  labServices: Map<string, string[]>;
  labApiKeys: KindPlan<LabApiKeyEntity>;
}

async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>, onBatch: (done: number) => void): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += HASH_PARALLELISM) {
    out.push(...(await Promise.all(items.slice(i, i + HASH_PARALLELISM).map(work))));
    onBatch(Math.min(i + HASH_PARALLELISM, items.length));
  }
  return out;
}

type Progress = (done: number, total: number, phase: string) => void;

/**
 * Decides every row. Secrets: a clear password or key is verified against what is stored and
 * hashed only if it is new or changed (and not at all on a dry run, where a changed secret is
 * simply counted as a change).
 */
async function makePlan(bundle: Bundle, s: DbState, dryRun: boolean, progress: Progress, keyHashSecret: Uint8Array | undefined): Promise<Plan> {
  const now = new Date();
  const plan: Plan = {
    currency: emptyPlan(),
    shopGroups: emptyPlan(),
    shops: emptyPlan(),
    users: emptyPlan(),
    services: emptyPlan(),
    products: emptyPlan(),
    templates: emptyPlan(),
    templateProducts: new Map(),
    templateExcluded: new Map(),
    prices: emptyPlan(),
    shopPrices: emptyPlan(),
    shopPriceAllowances: emptyPlan(),
    chargedImages: emptyPlan(),
    labs: emptyPlan(),
    labServices: new Map(),
    labApiKeys: emptyPlan(),
  };

  // --- Secrets: verify what may be kept, then hash what must be new ----------

  interface Check {
    hash: string;
    secret: string;
  }
  const userChecks: Array<{ userId: string } & Check> = [];
  for (const u of bundle.users) {
    const existing = s.users.get(u.id);
    if (u.password !== undefined && existing !== undefined) userChecks.push({ userId: u.id, hash: existing.passwordHash, secret: u.password });
  }
  // A lab's clear key is already there if an unrevoked key of that lab (as it will be after this
  // import: the stored keys, overlaid by the bundle's apiKeys) verifies. The lookup narrows the
  // candidates to (almost always) one.
  const keyChecks: Array<{ labId: string } & Check> = [];
  const storedKeysByLab = new Map<string, LabApiKeyEntity[]>();
  for (const k of s.labKeys.values()) storedKeysByLab.set(k.labId, [...(storedKeysByLab.get(k.labId) ?? []), k]);
  for (const lab of bundle.labs) {
    if (lab.apiKey === undefined) continue;
    const lookup = labKeyLookup(lab.apiKey);
    const merged = new Map<string, { hash: string; lookup: string; revoked: boolean }>();
    for (const k of storedKeysByLab.get(lab.id) ?? []) merged.set(k.id, { hash: k.hash, lookup: k.lookup, revoked: k.revokedAt !== null });
    for (const k of lab.apiKeys ?? []) merged.set(k.id, { hash: k.hash, lookup: k.lookup, revoked: k.revokedAt !== null });
    for (const k of merged.values()) {
      if (!k.revoked && k.lookup === lookup) keyChecks.push({ labId: lab.id, hash: k.hash, secret: lab.apiKey });
    }
  }
  const checks: Array<Check & { userId?: string; labId?: string }> = [...userChecks, ...keyChecks];
  if (checks.length > 0) progress(0, checks.length, "verifying secrets");
  const verify = async (c: Check): Promise<boolean> => {
    if (!isKeyedKeyHash(c.hash)) return verifyHash(c.hash, c.secret);
    return keyHashSecret !== undefined && verifyKeyedKeyHash(keyHashSecret, c.hash, c.secret);
  };
  const verified = await inBatches(checks, verify, (done) => progress(done, checks.length, "verifying secrets"));
  const passwordKept = new Set<string>();
  const labKeyPresent = new Set<string>();
  checks.forEach((c, i) => {
    if (!verified[i]) return;
    if (c.userId !== undefined) passwordKept.add(c.userId);
    if (c.labId !== undefined) labKeyPresent.add(c.labId);
  });

  const toHashUsers = bundle.users.filter((u) => u.password !== undefined && !passwordKept.has(u.id));
  const toHashLabs = bundle.labs.filter((l): l is BundleLab & { apiKey: string } => l.apiKey !== undefined && !labKeyPresent.has(l.id));
  const newHashes = new Map<string, string>();
  const newKeys = new Map<string, LabApiKeyEntity>();
  if (!dryRun) {
    const total = toHashUsers.length + toHashLabs.length;
    if (total > 0) progress(0, total, "hashing secrets");
    const hashes = await inBatches(
      toHashUsers,
      (u) => hashPassword(u.password!),
      (done) => progress(done, total, "hashing secrets"),
    );
    toHashUsers.forEach((u, i) => newHashes.set(u.id, hashes[i]));
    const keys = await inBatches(
      toHashLabs,
      (l) => labKeyRecord(l.id, l.apiKey, IMPORTED_KEY_LABEL),
      (done) => progress(toHashUsers.length + done, total, "hashing secrets"),
    );
    toHashLabs.forEach((l, i) => newKeys.set(l.id, keys[i]));
  }

  // --- Rows ------------------------------------------------------------------

  if (bundle.currency !== undefined) {
    const existing = s.currency === null ? undefined : Object.assign(new SettingEntity(), { key: CURRENCY_SETTING, value: s.currency });
    classify(plan.currency, existing, Object.assign(new SettingEntity(), { key: CURRENCY_SETTING, value: bundle.currency }), sameFields(["value"]));
  }

  for (const g of bundle.shopGroups) {
    classify(plan.shopGroups, s.shopGroups.get(g.id), Object.assign(new ShopGroupEntity(), { id: g.id, name: g.name }), sameFields(["name"]));
  }

  for (const x of bundle.shops) {
    const wanted = Object.assign(new ShopEntity(), {
      id: x.id,
      name: x.name,
      shopGroupId: x.shopGroupId,
      adminUserId: x.adminUserId ?? null,
      lat: x.location?.lat ?? null,
      lng: x.location?.lng ?? null,
      postalCode: x.postalCode ?? null,
      region: x.region ?? null,
    });
    classify(plan.shops, s.shops.get(x.id), wanted, sameFields(["name", "shopGroupId", "adminUserId", "lat", "lng", "postalCode", "region"]));
  }

  for (const u of bundle.users) {
    const existing = s.users.get(u.id);
    // On a dry run a changed password has no hash yet: an empty one still counts as a change.
    const passwordHash = u.passwordHash ?? (passwordKept.has(u.id) ? existing!.passwordHash : (newHashes.get(u.id) ?? ""));
    const disabled = u.disabled ?? existing?.disabled ?? false;
    // A new password, rank or scope, or a disable, ends the user's sessions, as through the API.
    const endsSessions =
      existing !== undefined &&
      (existing.passwordHash !== passwordHash ||
        existing.role !== u.role ||
        existing.shopGroupId !== (u.shopGroupId ?? null) ||
        existing.shopId !== (u.shopId ?? null) ||
        (disabled && !existing.disabled));
    const wanted = Object.assign(new UserEntity(), {
      id: u.id,
      login: u.login,
      name: u.name,
      role: u.role,
      shopGroupId: u.shopGroupId ?? null,
      shopId: u.shopId ?? null,
      passwordHash,
      disabled,
      sessionVersion: (existing?.sessionVersion ?? 0) + (endsSessions ? 1 : 0),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
    classify(plan.users, existing, wanted, sameFields(["login", "name", "role", "shopGroupId", "shopId", "passwordHash", "disabled"]));
  }

  for (const x of bundle.services) {
    const wanted = Object.assign(new ServiceEntity(), { id: x.id, name: x.name }, printSizeColumns(importedPrintSize(x.printSize)));
    classify(plan.services, s.services.get(x.id), wanted, (a, b) => a.name === b.name && samePrintSize(printSizeOf(a), printSizeOf(b)));
  }
  for (const x of bundle.products)
    classify(plan.products, s.products.get(x.id), Object.assign(new ProductEntity(), { id: x.id, name: x.name }), sameFields(["name"]));

  const sameTemplateRow = sameFields<TemplateEntity>(["name", "serviceId", "shopGroupId", "shopId"]);
  for (const t of bundle.templates) {
    const wanted = Object.assign(new TemplateEntity(), {
      id: t.id,
      name: t.name,
      serviceId: t.serviceId,
      shopGroupId: t.shopGroupId ?? null,
      shopId: t.shopId ?? null,
    });
    const productsSame = sameList(s.templateProducts.get(t.id) ?? [], t.productIds);
    if (!productsSame) plan.templateProducts.set(t.id, t.productIds);
    const excludedSame = t.excludedShopIds === undefined || sameList(s.templateExcluded.get(t.id) ?? [], t.excludedShopIds);
    if (!excludedSame) plan.templateExcluded.set(t.id, t.excludedShopIds!);
    classify(plan.templates, s.templates.get(t.id), wanted, (a, b) => productsSame && excludedSame && sameTemplateRow(a, b));
  }

  const samePrice = sameFields<PriceRowEntity>([
    "shopGroupId",
    "shopId",
    "productId",
    "validFrom",
    "validUntil",
    "basicCharge",
    "amountCharge",
    "minSheets",
    "maxSheets",
  ]);
  const priceEntity = (r: BundlePrice | BundleShopPrice, shopGroupId: string | null, shopId: string | null): PriceRowEntity =>
    Object.assign(new PriceRowEntity(), {
      id: r.id!,
      shopGroupId,
      shopId,
      productId: r.productId,
      validFrom: r.validFrom,
      validUntil: r.validUntil ?? null,
      basicCharge: r.basicCharge,
      amountCharge: r.amountCharge,
      minSheets: r.minSheets ?? null,
      maxSheets: r.maxSheets ?? null,
      updatedAt: now,
    });
  for (const r of bundle.prices) classify(plan.prices, s.prices.get(r.id!), priceEntity(r, r.shopGroupId ?? null, null), samePrice);
  for (const r of bundle.shopPrices) classify(plan.shopPrices, s.prices.get(r.id!), priceEntity(r, null, r.shopId), samePrice);

  for (const a of bundle.shopPriceAllowances) {
    classify(
      plan.shopPriceAllowances,
      s.allowances.get(allowanceKey(a.shopId, a.productId)),
      Object.assign(new ShopPriceAllowanceEntity(), { ...a }),
      sameFields(["minBasicCharge", "maxBasicCharge", "minAmountCharge", "maxAmountCharge"]),
    );
  }

  for (const c of bundle.chargedImages) {
    classify(
      plan.chargedImages,
      s.chargedImages.get(c.imageId),
      Object.assign(new ChargedImageEntity(), { ...c }),
      sameFields(["feePerSheet", "rightsHolder"]),
    );
  }

  const sameLabRow = sameFields<LabEntity>([
    "name",
    "shopId",
    "fulfilment",
    "express",
    "capacitySheetsPerHour",
    "maxOrderSheets",
    "lat",
    "lng",
    "postalCode",
    "region",
    "disabled",
  ]);
  const sameKey = (a: LabApiKeyEntity, b: LabApiKeyEntity): boolean =>
    a.labId === b.labId &&
    a.lookup === b.lookup &&
    a.hash === b.hash &&
    a.label === b.label &&
    ms(a.createdAt) === ms(b.createdAt) &&
    ms(a.revokedAt) === ms(b.revokedAt);
  for (const l of bundle.labs) {
    const existing = s.labs.get(l.id);
    const wanted = Object.assign(new LabEntity(), {
      id: l.id,
      name: l.name,
      shopId: l.shopId,
      fulfilment: l.fulfilment.join(","),
      express: l.express ?? false,
      capacitySheetsPerHour: l.capacitySheetsPerHour,
      maxOrderSheets: l.maxOrderSheets ?? null,
      lat: l.location?.lat ?? null,
      lng: l.location?.lng ?? null,
      postalCode: l.postalCode ?? null,
      region: l.region ?? null,
      disabled: l.disabled ?? existing?.disabled ?? false,
    });
    const servicesSame = sameSet(s.labServices.get(l.id) ?? new Set(), l.serviceIds);
    if (!servicesSame) plan.labServices.set(l.id, [...l.serviceIds].sort());
    classify(plan.labs, existing, wanted, (a, b) => servicesSame && sameLabRow(a, b));

    for (const k of l.apiKeys ?? []) {
      const key = Object.assign(new LabApiKeyEntity(), {
        id: k.id,
        labId: l.id,
        lookup: k.lookup,
        hash: k.hash,
        label: k.label,
        createdAt: new Date(k.createdAt),
        revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt),
      });
      classify(plan.labApiKeys, s.labKeys.get(k.id), key, sameKey);
    }
    if (l.apiKey !== undefined) {
      if (labKeyPresent.has(l.id)) plan.labApiKeys.unchanged += 1;
      // On a dry run the new key has no record yet; it is counted all the same.
      else plan.labApiKeys.insert.push(newKeys.get(l.id) ?? new LabApiKeyEntity());
    }
  }
  return plan;
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

async function insertRows<E extends ObjectLiteral>(em: EntityManager, target: EntityTarget<E>, rows: E[], tick: (n: number) => void): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    // updateEntity(false): every column is given, so there is nothing to read back after the insert.
    await em.createQueryBuilder().insert().into(target).values(chunk).updateEntity(false).execute();
    tick(chunk.length);
  }
}

async function updateRows<E extends ObjectLiteral>(
  em: EntityManager,
  target: EntityTarget<E>,
  rows: E[],
  where: (row: E) => FindOptionsWhere<E>,
  tick: (n: number) => void,
): Promise<void> {
  for (const row of rows) {
    const key = where(row);
    const fields: Record<string, unknown> = { ...row };
    for (const k of Object.keys(key)) delete fields[k];
    await em.update(target, key, fields as QueryDeepPartialEntity<E>);
    tick(1);
  }
}

async function writePlan(em: EntityManager, plan: Plan, progress: Progress): Promise<void> {
  const step = async <E extends ObjectLiteral>(
    phase: ImportKind,
    target: EntityTarget<E>,
    p: KindPlan<E>,
    where: (row: E) => FindOptionsWhere<E>,
    after?: () => Promise<void>,
  ): Promise<void> => {
    const total = p.insert.length + p.update.length;
    let done = 0;
    let reported = 0;
    progress(0, total, phase);
    const tick = (n: number): void => {
      done += n;
      if (done - reported >= PROGRESS_EVERY) {
        reported = done;
        progress(done, total, phase);
      }
    };
    // Updates first: a row that moves away (a template to another service, a login renamed) frees
    // its unique slot before a new row takes it.
    await updateRows(em, target, p.update, where, tick);
    await insertRows(em, target, p.insert, tick);
    if (after) await after();
    if (reported !== total) progress(total, total, phase);
  };
  const byKey = <E extends { id: string }>(row: E): FindOptionsWhere<E> => ({ id: row.id }) as FindOptionsWhere<E>;

  await step("currency", SettingEntity, plan.currency, (r) => ({ key: r.key }));
  await step("shopGroups", ShopGroupEntity, plan.shopGroups, byKey);
  // Shops before users (users.shop_id references shops); shops.admin_user_id has no foreign key,
  // which is what lets a shop name its admin before the admin's row exists.
  await step("shops", ShopEntity, plan.shops, byKey);
  await step("users", UserEntity, plan.users, byKey);
  await step("services", ServiceEntity, plan.services, byKey);
  await step("products", ProductEntity, plan.products, byKey);
  await step("templates", TemplateEntity, plan.templates, byKey, async () => {
    for (const [templateId, productIds] of plan.templateProducts) {
      await em.delete(TemplateProductEntity, { templateId });
      const rows = productIds.map((productId, position) => Object.assign(new TemplateProductEntity(), { templateId, productId, position }));
      await insertRows(em, TemplateProductEntity, rows, () => undefined);
    }
    for (const [templateId, shopIds] of plan.templateExcluded) {
      await em.delete(TemplateExcludedShopEntity, { templateId });
      const rows = shopIds.map((shopId) => Object.assign(new TemplateExcludedShopEntity(), { templateId, shopId }));
      if (rows.length) await insertRows(em, TemplateExcludedShopEntity, rows, () => undefined);
    }
  });
  await step("prices", PriceRowEntity, plan.prices, byKey);
  await step("shopPrices", PriceRowEntity, plan.shopPrices, byKey);
  await step("shopPriceAllowances", ShopPriceAllowanceEntity, plan.shopPriceAllowances, (r) => ({ shopId: r.shopId, productId: r.productId }));
  await step("chargedImages", ChargedImageEntity, plan.chargedImages, (r) => ({ imageId: r.imageId }));
  await step("labs", LabEntity, plan.labs, byKey, async () => {
    for (const [labId, serviceIds] of plan.labServices) {
      await em.delete(LabServiceEntity, { labId });
      await insertRows(
        em,
        LabServiceEntity,
        serviceIds.map((serviceId) => Object.assign(new LabServiceEntity(), { labId, serviceId })),
        () => undefined,
      );
    }
  });
  await step("labApiKeys", LabApiKeyEntity, plan.labApiKeys, byKey);
}

// ---------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------

function counts(): Record<ImportKind, number> {
  return Object.fromEntries(IMPORT_KINDS.map((k) => [k, 0])) as Record<ImportKind, number>;
}

/**
 * Validates `json` as a bundle against the database and, unless it has faults or `dryRun` is set,
 * writes it in one transaction. The report counts rows per kind; on faults `ok` is false and
 * nothing was written.
 */
export async function importBundle(ds: DataSource, json: unknown, opts: ImportOptions = {}): Promise<ImportReport> {
  const progress: Progress = opts.onProgress ?? (() => undefined);
  progress(0, 1, "reading database");
  const state = await loadState(ds);
  progress(1, 1, "reading database");
  progress(0, 1, "validating");
  const { bundle, faults } = validateBundle(json, knownState(state));
  progress(1, 1, "validating");
  const created = counts();
  const updated = counts();
  const unchanged = counts();
  if (faults.length > 0) return { ok: false, faults, created, updated, unchanged };

  const plan = await makePlan(bundle, state, opts.dryRun === true, progress, opts.keyHashSecret);
  for (const kind of IMPORT_KINDS) {
    created[kind] = plan[kind].insert.length;
    updated[kind] = plan[kind].update.length;
    unchanged[kind] = plan[kind].unchanged;
  }
  if (!opts.dryRun) {
    const conflict = await withTransaction(ds, async (em): Promise<BundleFault | null> => {
      const written = [...plan.prices.insert, ...plan.prices.update, ...plan.shopPrices.insert, ...plan.shopPrices.update];
      await lockAndRecheckPrices(em, written, [...plan.shopPriceAllowances.insert, ...plan.shopPriceAllowances.update], state.prices.values());
      await writePlan(em, plan, progress);
      if (IMPORT_KINDS.some((k) => plan[k].insert.length + plan[k].update.length > 0)) await bumpCacheVersions(em, VERSIONED_CACHE_KINDS);
      return null;
    }).catch((e: unknown) => {
      if (e instanceof ConcurrentPriceChange) return e.fault;
      throw e;
    });
    if (conflict) return { ok: false, faults: [conflict], created: counts(), updated: counts(), unchanged: counts() };
  }
  return { ok: true, faults: [], created, updated, unchanged };
}
