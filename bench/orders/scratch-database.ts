/**
 * The orders benchmark's database: a scratch MariaDB database made for the run and dropped after
 * it, brought up to date by the center's migrations, with a catalog bundle imported through the
 * center's own `importBundle` and the benchmark's customers added to that bundle.
 *
 * The customers share one argon2 hash, computed once: argon2 costs tens of milliseconds on
 * purpose, and the import would otherwise hash sixteen copies of the same password.
 */
import * as fs from "node:fs";
import * as mysql from "mysql2/promise";
import { redact, type DatabaseConfig } from "../../src/config";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { openDatabase } from "../../src/entities";
import { hashPassword } from "../../src/identity/passwords";
import { Role } from "../../src/identity/role";
import { databaseConfig } from "../common";

export type MysqlConfig = Extract<DatabaseConfig, { type: "mysql" }>;

export const CUSTOMER_PASSWORD = "bench-customer-password";

export interface Customer {
  id: string;
  login: string;
}

export function customers(count: number): Customer[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(2, "0");
    return { id: `UBENCH${n}`, login: `bench-customer-${n}` };
  });
}

export function mysqlConfig(databaseUrl: string): MysqlConfig {
  const db = databaseConfig(databaseUrl);
  if (db.type !== "mysql") throw new Error(`the orders benchmark needs MariaDB (mysql://...), got ${redact(databaseUrl)}`);
  return db;
}

/** mysql2 options as the center's data source sets them (data-source.ts): same charset, zone, BIGINTs. */
export function connectionOptions(db: MysqlConfig, withDatabase = true): mysql.ConnectionOptions {
  return {
    host: db.host,
    port: db.port,
    ...(db.socketPath ? { socketPath: db.socketPath } : {}),
    user: db.user,
    password: db.password,
    database: withDatabase ? db.database : undefined,
    charset: "utf8mb4_unicode_ci",
    timezone: "Z",
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
}

const quoteId = (name: string): string => `\`${name.replace(/`/g, "``")}\``;

/**
 * Creates the database empty. One left over from an interrupted run is replaced, but only when its
 * name says it is a benchmark's: a URL that names any other existing database is refused, so that
 * a mistyped --database-url never drops real data.
 */
export async function createScratchDatabase(db: MysqlConfig, log: (line: string) => void): Promise<void> {
  const conn = await mysql.createConnection(connectionOptions(db, false));
  try {
    const [rows] = await conn.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [db.database]);
    if ((rows as unknown[]).length > 0) {
      if (!/bench/i.test(db.database)) {
        throw new Error(`the database ${db.database} exists and its name does not say it is a benchmark's: name a new one (it is created and dropped)`);
      }
      log(`dropping ${db.database}, left over from an earlier run`);
      await conn.query(`DROP DATABASE ${quoteId(db.database)}`);
    }
    await conn.query(`CREATE DATABASE ${quoteId(db.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
}

export async function dropScratchDatabase(db: MysqlConfig): Promise<void> {
  const conn = await mysql.createConnection(connectionOptions(db, false));
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${quoteId(db.database)}`);
  } finally {
    await conn.end();
  }
}

// ---------------------------------------------------------------------------
// The catalog
// ---------------------------------------------------------------------------

interface BundleShop {
  id: string;
  shopGroupId: string;
}
interface BundleLab {
  id: string;
  shopId: string;
  serviceIds: string[];
  fulfilment: string[];
}
interface BundleTemplate {
  serviceId: string;
  shopGroupId?: string | null;
  shopId?: string | null;
}
interface CatalogBundle {
  users?: unknown[];
  shops?: BundleShop[];
  labs?: BundleLab[];
  templates?: BundleTemplate[];
  chargedImages?: Array<{ imageId: string }>;
}

/** Where the benchmark's orders go: a shop, two services one of its pickup labs prints, stock images. */
export interface OrderSite {
  shopId: string;
  serviceIds: [string, string];
}

export interface Catalog {
  sites: OrderSite[];
  /** Charged images: usable in any order without an upload. */
  imageIds: string[];
}

/**
 * The shops an order of two sub-orders for pickup can go to: a lab there does PICKUP and prints two
 * services that have a template for the shop (its own, or its group's), so both quote.
 */
export function orderSites(bundle: CatalogBundle): OrderSite[] {
  const shops = new Map((bundle.shops ?? []).map((s) => [s.id, s]));
  const sites: OrderSite[] = [];
  for (const lab of bundle.labs ?? []) {
    const shop = shops.get(lab.shopId);
    if (!shop || !lab.fulfilment.includes("PICKUP") || sites.some((s) => s.shopId === shop.id)) continue;
    const priced = lab.serviceIds.filter((v) =>
      (bundle.templates ?? []).some((t) => t.serviceId === v && (t.shopId === shop.id || t.shopGroupId === shop.shopGroupId)),
    );
    if (priced.length >= 2) sites.push({ shopId: shop.id, serviceIds: [priced[0], priced[1]] });
  }
  return sites;
}

/**
 * Migrates the (empty) database and imports the bundle with the customers added, in one
 * transaction, as `catalog import` would. Returns where orders can go.
 */
export async function loadCatalog(db: MysqlConfig, bundleFile: string, people: Customer[], log: (line: string) => void): Promise<Catalog> {
  const bundle = JSON.parse(fs.readFileSync(bundleFile, "utf8")) as CatalogBundle;
  const catalog: Catalog = { sites: orderSites(bundle), imageIds: (bundle.chargedImages ?? []).map((c) => c.imageId) };
  if (catalog.sites.length === 0) throw new Error(`${bundleFile}: no shop has a pickup lab printing two priced services`);
  if (catalog.imageIds.length === 0) throw new Error(`${bundleFile}: no charged images to order without uploads`);

  const passwordHash = await hashPassword(CUSTOMER_PASSWORD);
  bundle.users = [
    ...(bundle.users ?? []),
    ...people.map((c) => ({ id: c.id, login: c.login, passwordHash, name: `Benchmark customer ${c.login.slice(-2)}`, role: Role.GENERAL_USER })),
  ];
  const ds = await openDatabase(db, { poolSize: 2 });
  try {
    const report = await importBundle(ds, bundle);
    if (!report.ok) {
      throw new Error(
        `${bundleFile} does not import: ${report.faults
          .slice(0, 5)
          .map((f) => `${f.path}: ${f.code}: ${f.message}`)
          .join("; ")}`,
      );
    }
    const created = Object.entries(report.created)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(", ");
    log(`imported ${bundleFile}: ${created}`);
  } finally {
    await ds.destroy();
  }
  return catalog;
}
