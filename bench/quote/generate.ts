/**
 * The quote benchmark's synthetic catalog: 100 shop groups of 10 shops, 50 services of 10 products,
 * a template per group and service (plus a few shops' own), and N price rows spread over group
 * rows (several consecutive periods, some tiered), shop prices for a tenth of the shops and a
 * standard row for every product.
 *
 * Written straight into the database with multi-row INSERTs in one transaction, after
 * `openDatabase` ran the migrations: going through the services would refuse nothing here (the
 * periods and tiers never overlap by construction) and would take minutes for a million rows.
 *
 * The shape is a pure function of indices, exported, so the runner builds its request bodies from
 * the same rules (which shops have own prices, which service a shop's own template is for).
 *
 * CLI: node dist/bench/quote/generate.js --rows 100000 [--database-url sqlite:/tmp/x.sqlite]
 */
import "reflect-metadata";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { DataSource, EntityManager } from "typeorm";
import { redact } from "../../src/config";
import { openDatabase } from "../../src/entities";
import { hashPassword } from "../../src/identity/passwords";
import { Role } from "../../src/identity/role";
import { databaseConfig } from "../common";

export { databaseConfig };

// ---------------------------------------------------------------------------
// The shape (indices are 0-based)
// ---------------------------------------------------------------------------

export const GROUPS = 100;
export const SHOPS_PER_GROUP = 10;
export const SHOPS = GROUPS * SHOPS_PER_GROUP;
export const SERVICES = 50;
export const PRODUCTS_PER_SERVICE = 10;
export const PRODUCTS = SERVICES * PRODUCTS_PER_SERVICE;
export const CHARGED_IMAGES = 100;

export const BENCH_LOGIN = "bench";
export const BENCH_PASSWORD = "bench-password";

const pad = (n: number, width: number): string => String(n).padStart(width, "0");
export const groupId = (g: number): string => `g${pad(g + 1, 3)}`;
export const shopId = (s: number): string => `s${pad(s + 1, 4)}`;
export const serviceId = (v: number): string => `sv${pad(v + 1, 2)}`;
export const productId = (p: number): string => `p${pad(p + 1, 3)}`;
export const chargedImageId = (i: number): string => `ci${pad(i + 1, 3)}`;

export const groupOfShop = (s: number): number => Math.floor(s / SHOPS_PER_GROUP);
export const serviceOfProduct = (p: number): number => Math.floor(p / PRODUCTS_PER_SERVICE);

/** A tenth of the shops have prices of their own, for the products of two services. */
export const hasShopPrices = (s: number): boolean => s % 10 === 3;
export const shopPricedServices = (s: number): number[] => [s % SERVICES, (s + 17) % SERVICES];

/** One shop in twenty has its own template (8 of the service's 10 products, reversed). */
export const ownTemplateService = (s: number): number | null => (s % 20 === 7 ? (s * 7) % SERVICES : null);

/** A group prices the products of 20 of the 50 services itself; the rest fall back to standard. */
export const groupPricesService = (g: number, v: number): boolean => (g + v) % 5 < 2;

/** Sheet counts that land in each tier (1-9, 10-99, 100+). */
export const TIER_SHEETS = [5, 50, 150] as const;

// ---------------------------------------------------------------------------
// Periods: consecutive, never overlapping, always one in force from 2024-01-01 on
// ---------------------------------------------------------------------------

type Period = readonly [from: string, until: string | null];

const DAY_MS = 86_400_000;
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const HISTORY_START = Date.UTC(2024, 0, 1);
const HISTORY_END = Date.UTC(2025, 11, 31);

const periodCache = new Map<number, Period[]>();

/**
 * `count` consecutive periods: the history 2024-2025 cut into count - 2 equal slices, then 2026
 * (in force for the benchmark's dates) and an open-ended scheduled change from 2027.
 */
export function periods(count: number): Period[] {
  const cached = periodCache.get(count);
  if (cached) return cached;
  let out: Period[];
  if (count <= 1) out = [["2024-01-01", null]];
  else if (count === 2)
    out = [
      ["2024-01-01", "2025-12-31"],
      ["2026-01-01", null],
    ];
  else {
    const slices = count - 2;
    const days = Math.round((HISTORY_END - HISTORY_START) / DAY_MS) + 1;
    if (slices > days) throw new RangeError(`periods: ${count} periods do not fit 2024-2025 in whole days`);
    out = [];
    for (let i = 0; i < slices; i++) {
      const from = HISTORY_START + Math.floor((i * days) / slices) * DAY_MS;
      const nextFrom = HISTORY_START + Math.floor(((i + 1) * days) / slices) * DAY_MS;
      out.push([isoDay(from), isoDay(nextFrom - DAY_MS)]);
    }
    out.push(["2026-01-01", "2026-12-31"], ["2027-01-01", null]);
  }
  periodCache.set(count, out);
  return out;
}

// ---------------------------------------------------------------------------
// Which scopes price which products
// ---------------------------------------------------------------------------

/** Standard rows: an untiered row for every product, and a 100+ tier for one product in ten. */
const STANDARD_ROWS = PRODUCTS + Math.ceil(PRODUCTS / 10);

interface ShopPair {
  shop: number;
  product: number;
  /** Rows per period: 2 for a 100+ tier over an untiered fallback, else 1. */
  perPeriod: number;
}

/** The products of two services at a tenth of the shops. */
function shopPairs(): ShopPair[] {
  const pairs: ShopPair[] = [];
  for (let s = 0; s < SHOPS; s++) {
    if (!hasShopPrices(s)) continue;
    for (const v of shopPricedServices(s)) {
      for (let k = 0; k < PRODUCTS_PER_SERVICE; k++) {
        const p = v * PRODUCTS_PER_SERVICE + k;
        pairs.push({ shop: s, product: p, perPeriod: (s + p) % 4 === 0 ? 2 : 1 });
      }
    }
  }
  return pairs;
}

interface GroupPair {
  group: number;
  product: number;
  perPeriod: number;
  /** A: tiers 1-9, 10-99, 100+. B: tiers 10-99 and 100+ over an untiered fallback (1-9). U: untiered. */
  style: "A" | "B" | "U";
}

/** The 200 products (20 services) each group prices itself. */
function groupPairs(): GroupPair[] {
  const pairs: GroupPair[] = [];
  for (let g = 0; g < GROUPS; g++) {
    for (let p = 0; p < PRODUCTS; p++) {
      if (!groupPricesService(g, serviceOfProduct(p))) continue;
      const h = (g * 31 + p * 17) % 10;
      const style = h < 2 ? "A" : h < 4 ? "B" : "U";
      pairs.push({ group: g, product: p, perPeriod: style === "U" ? 1 : 3, style });
    }
  }
  return pairs;
}

/** The smallest catalog of this shape: one period for every priced pair. */
export function minimumRows(): number {
  const sum = (pairs: Array<{ perPeriod: number }>): number => pairs.reduce((n, p) => n + p.perPeriod, 0);
  return STANDARD_ROWS + sum(shopPairs()) + sum(groupPairs());
}

// ---------------------------------------------------------------------------
// Batched raw INSERTs
// ---------------------------------------------------------------------------

type Value = string | number | null;

/** Collects rows of one table and writes them as multi-row INSERTs of `batch` rows. */
class BatchInsert {
  private pending: Value[] = [];
  private pendingRows = 0;
  written = 0;
  private fullSql: string | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly table: string,
    private readonly columns: string[],
    // ~11 placeholders a price row: 1000 rows stay far below SQLite's 32766 and MySQL's 65535.
    private readonly batch = 1000,
  ) {}

  async add(...values: Value[]): Promise<void> {
    this.pending.push(...values);
    if (++this.pendingRows >= this.batch) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pendingRows === 0) return;
    const full = this.pendingRows === this.batch;
    // The same text for every full batch, so the driver's statement cache is hit.
    const sql = full ? (this.fullSql ??= this.sql(this.batch)) : this.sql(this.pendingRows);
    await this.em.query(sql, this.pending);
    this.written += this.pendingRows;
    this.pending = [];
    this.pendingRows = 0;
  }

  private sql(rows: number): string {
    const tuple = `(${this.columns.map(() => "?").join(",")})`;
    // Backticks quote identifiers on both engines (`key` is reserved in MariaDB).
    const cols = this.columns.map((c) => `\`${c}\``).join(",");
    return `INSERT INTO \`${this.table}\` (${cols}) VALUES ${new Array<string>(rows).fill(tuple).join(",")}`;
  }
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

export interface GenerateOptions {
  /** sqlite:PATH or mysql://user:pass@host:port/db (an empty database). */
  databaseUrl: string;
  /** Price rows in total (standard + shop + group). */
  rows: number;
  /** Progress lines; stderr by default. */
  log?: (line: string) => void;
}

export interface GenerateResult {
  databaseUrl: string;
  priceRows: number;
  groupRows: number;
  shopRows: number;
  standardRows: number;
  seconds: number;
}

/** Small deterministic PRNG (mulberry32): the same catalog for the same N on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function generateCatalog(opts: GenerateOptions): Promise<GenerateResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const started = Date.now();
  const minimum = minimumRows();
  if (!Number.isSafeInteger(opts.rows) || opts.rows < minimum) {
    throw new RangeError(`rows must be a whole number of at least ${minimum} (one period for every priced product), got ${opts.rows}`);
  }

  // Hashed once: argon2 costs tens of milliseconds on purpose.
  const passwordHash = await hashPassword(BENCH_PASSWORD);
  const ds = await openDatabase(databaseConfig(opts.databaseUrl), { poolSize: 2 });
  try {
    const [{ n }] = (await ds.query("SELECT COUNT(*) AS n FROM `shops`")) as Array<{ n: number | string }>;
    if (Number(n) > 0) throw new Error(`the database ${redact(opts.databaseUrl)} already has shops: the generator needs an empty one`);
    const counts = await ds.transaction((em) => writeCatalog(em, opts.rows, passwordHash, log));
    return { databaseUrl: opts.databaseUrl, ...counts, seconds: (Date.now() - started) / 1000 };
  } finally {
    await destroy(ds);
  }
}

async function destroy(ds: DataSource): Promise<void> {
  if (ds.isInitialized) await ds.destroy();
}

async function writeCatalog(
  em: EntityManager,
  totalRows: number,
  passwordHash: string,
  log: (line: string) => void,
): Promise<Omit<GenerateResult, "databaseUrl" | "seconds">> {
  const now = Date.now();
  const rnd = prng(20260401);
  const money = (min: number, max: number): number => min + Math.floor(rnd() * (max - min + 1));

  await em.query("INSERT INTO `settings` (`key`, `value`) VALUES (?, ?)", ["currency", "JPY"]);

  const groups = new BatchInsert(em, "shop_groups", ["id", "name"]);
  for (let g = 0; g < GROUPS; g++) await groups.add(groupId(g), `Bench group ${g + 1}`);
  await groups.flush();

  const shops = new BatchInsert(em, "shops", ["id", "name", "shop_group_id", "admin_user_id", "lat", "lng", "postal_code", "region"]);
  for (let s = 0; s < SHOPS; s++) {
    await shops.add(
      shopId(s),
      `Bench shop ${s + 1}`,
      groupId(groupOfShop(s)),
      null,
      35 + (s % 100) / 100,
      139 + (s % 37) / 100,
      pad(1000000 + s, 7),
      `Region ${groupOfShop(s) % 8}`,
    );
  }
  await shops.flush();

  await em.query(
    "INSERT INTO `users` (`id`, `login`, `name`, `role`, `shop_group_id`, `shop_id`, `password_hash`, `disabled`, `created_at`, `updated_at`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ["u-bench", BENCH_LOGIN, "Benchmark center admin", Role.CENTER_ADMIN, null, null, passwordHash, 0, now, now],
  );

  const services = new BatchInsert(em, "services", ["id", "name"]);
  for (let v = 0; v < SERVICES; v++) await services.add(serviceId(v), `Bench service ${v + 1}`);
  await services.flush();
  const products = new BatchInsert(em, "products", ["id", "name"]);
  for (let p = 0; p < PRODUCTS; p++) await products.add(productId(p), `Bench product ${p + 1}`);
  await products.flush();

  const images = new BatchInsert(em, "charged_images", ["image_id", "fee_per_sheet", "rights_holder"]);
  for (let i = 0; i < CHARGED_IMAGES; i++) await images.add(chargedImageId(i), 10 + (i % 5) * 10, `Rights holder ${(i % 7) + 1}`);
  await images.flush();

  // Templates first, their products after: foreign keys are checked per statement.
  const templates = new BatchInsert(em, "templates", ["id", "name", "service_id", "shop_group_id", "shop_id"]);
  const links: Value[][] = [];
  for (let g = 0; g < GROUPS; g++) {
    for (let v = 0; v < SERVICES; v++) {
      const id = `t-${groupId(g)}-${serviceId(v)}`;
      await templates.add(id, `${serviceId(v)} at ${groupId(g)}`, serviceId(v), groupId(g), null);
      for (let k = 0; k < PRODUCTS_PER_SERVICE; k++) links.push([id, productId(v * PRODUCTS_PER_SERVICE + k), k]);
    }
  }
  for (let s = 0; s < SHOPS; s++) {
    const v = ownTemplateService(s);
    if (v === null) continue;
    const id = `t-${shopId(s)}-${serviceId(v)}`;
    await templates.add(id, `${serviceId(v)} at ${shopId(s)}`, serviceId(v), null, shopId(s));
    for (let k = 0; k < PRODUCTS_PER_SERVICE - 2; k++) links.push([id, productId(v * PRODUCTS_PER_SERVICE + (PRODUCTS_PER_SERVICE - 1 - k)), k]);
  }
  await templates.flush();
  const templateProducts = new BatchInsert(em, "template_products", ["template_id", "product_id", "position"]);
  for (const link of links) await templateProducts.add(...link);
  await templateProducts.flush();
  log(
    `generate: catalog written (${GROUPS} groups, ${SHOPS} shops, ${SERVICES} services, ${PRODUCTS} products, ${templates.written} templates); writing ${totalRows} price rows`,
  );

  // --- price rows -----------------------------------------------------------
  const priceRows = new BatchInsert(em, "price_rows", [
    "id",
    "shop_group_id",
    "shop_id",
    "product_id",
    "valid_from",
    "valid_until",
    "basic_charge",
    "amount_charge",
    "min_sheets",
    "max_sheets",
    "updated_at",
  ]);
  let seq = 0;
  let nextProgress = 1;
  const row = async (
    group: string | null,
    shop: string | null,
    product: string,
    [from, until]: Period,
    basic: number,
    amount: number,
    min: number | null,
    max: number | null,
  ): Promise<void> => {
    await priceRows.add(`r${pad(++seq, 7)}`, group, shop, product, from, until, basic, amount, min, max, now);
    while (seq >= (nextProgress * totalRows) / 10 && nextProgress <= 10) {
      log(`generate: ${nextProgress * 10}% (${seq} price rows)`);
      nextProgress++;
    }
  };

  // Standard: an untiered row for every product, and a 100+ tier for one product in ten.
  let standardRows = 0;
  for (let p = 0; p < PRODUCTS; p++) {
    const base = money(50, 300);
    await row(null, null, productId(p), ["2020-01-01", null], base, money(20, 90), null, null);
    standardRows++;
    if (p % 10 === 0) {
      await row(null, null, productId(p), ["2020-01-01", null], base, money(10, 19), 100, null);
      standardRows++;
    }
  }

  // Shop prices: about 4% of the rows.
  const shopRows = await spread(shopPairs(), Math.round(totalRows * 0.04), async ({ shop, product, perPeriod }, period) => {
    const basic = money(40, 250);
    await row(null, shopId(shop), productId(product), period, basic, money(15, 80), null, null);
    if (perPeriod === 2) await row(null, shopId(shop), productId(product), period, basic, money(5, 14), 100, null);
  });

  // Group prices: everything else.
  const groupBudget = totalRows - standardRows - shopRows;
  const groupRows = await spread(groupPairs(), groupBudget, async ({ group, product, style }, period) => {
    const gid = groupId(group);
    const pid = productId(product);
    const basic = money(30, 280);
    const amount = money(30, 90);
    switch (style) {
      case "A":
        await row(gid, null, pid, period, basic, amount, 1, 9);
        await row(gid, null, pid, period, basic, amount - 10, 10, 99);
        await row(gid, null, pid, period, basic, amount - 20, 100, null);
        return;
      case "B":
        await row(gid, null, pid, period, basic, amount, null, null);
        await row(gid, null, pid, period, basic, amount - 10, 10, 99);
        await row(gid, null, pid, period, basic, amount - 20, 100, null);
        return;
      case "U":
        await row(gid, null, pid, period, basic, amount, null, null);
        return;
      default:
        throw new TypeError(`unknown style ${String(style satisfies never)}`);
    }
  });
  await priceRows.flush();
  log(`generate: done: ${priceRows.written} price rows (group ${groupRows}, shop ${shopRows}, standard ${standardRows})`);
  return { priceRows: priceRows.written, groupRows, shopRows, standardRows };
}

/**
 * Spreads `budget` rows over `pairs`: each pair gets as many consecutive periods as keeps the
 * running total on the budget's straight line (at least one); the rounding left over goes to the
 * last pair of one row per period, so the total is exact (but for budgets within a few rows of
 * the minimum). Returns the rows written.
 */
async function spread<T extends { perPeriod: number }>(pairs: T[], budget: number, write: (pair: T, period: Period) => Promise<void>): Promise<number> {
  const counts: number[] = [];
  let planned = 0;
  for (let i = 0; i < pairs.length; i++) {
    const target = Math.round((budget * (i + 1)) / pairs.length);
    const count = Math.max(1, Math.round((target - planned) / pairs[i].perPeriod));
    counts.push(count);
    planned += count * pairs[i].perPeriod;
  }
  const last = pairs.map((p) => p.perPeriod).lastIndexOf(1);
  if (last >= 0 && counts[last] + budget - planned >= 1) {
    counts[last] += budget - planned;
    planned = budget;
  }
  for (let i = 0; i < pairs.length; i++) {
    for (const period of periods(counts[i])) await write(pairs[i], period);
  }
  return planned;
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

async function cli(argv: string[]): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const rows = Number((arg("--rows") ?? "100000").replace(/_/g, ""));
  const given = arg("--database-url");
  // Without a URL: a new SQLite file in a temp dir, printed for the caller, removed if nothing was written.
  const dir = given === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-bench-")) : null;
  const databaseUrl = given ?? `sqlite:${path.join(dir!, "catalog.sqlite")}`;
  try {
    const r = await generateCatalog({ databaseUrl, rows });
    process.stdout.write(`${JSON.stringify({ ...r, databaseUrl: redact(r.databaseUrl) })}\n`);
  } catch (e) {
    if (dir !== null) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`generate: ${e instanceof RangeError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
