/**
 * The catalog bundle: the pure validator, and import / export on the real database (SQLite, or
 * MariaDB when DATABASE_URL says so). argon2 is slow on purpose, so the patent example (8 passwords
 * and 4 lab keys) is imported with clear secrets only a few times in this file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DataSource } from "typeorm";
import { derivePriceRowId, validateBundle, type Bundle, type BundleLab, type BundlePrice, type BundleUser } from "../../src/catalog/bundle";
import { exportBundle } from "../../src/catalog/bundle-export.service";
import { importBundle, IMPORT_KINDS, type ImportReport } from "../../src/catalog/bundle-import.service";
import { keyedKeyHash, labKeyLookup, verifyHash } from "../../src/identity/passwords";
import { openTestDatabase } from "../support/database";

const PATENT = path.resolve(__dirname, "../../fixtures/patent-example.json");
const DEMO = path.resolve(__dirname, "../../fixtures/demo-catalog.json");

/** The patent example as the clear-secret bundle it is. */
type Fixture = Bundle & { currency: string; users: Array<BundleUser & { password: string }>; labs: Array<BundleLab & { apiKey: string }> };

function patent(): Fixture {
  return JSON.parse(fs.readFileSync(PATENT, "utf8")) as Fixture;
}

/** Sets a field to a value of any type: faults are about exactly such values. */
function poke(target: object, key: string, value: unknown): void {
  (target as Record<string, unknown>)[key] = value;
}

const TABLES = [
  "settings",
  "shop_groups",
  "shops",
  "users",
  "services",
  "products",
  "templates",
  "template_products",
  "price_rows",
  "shop_price_allowances",
  "charged_images",
  "labs",
  "lab_services",
  "lab_api_keys",
];

async function rowCounts(ds: DataSource): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const rows: Array<{ n: number | string }> = await ds.query(`SELECT COUNT(*) AS n FROM ${ds.driver.escape(t)}`);
    out[t] = Number(rows[0].n);
  }
  return out;
}

/** Every row of every catalog table, as sorted JSON lines: equal snapshots mean nothing was written. */
async function snapshot(ds: DataSource): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of TABLES) {
    const rows: Array<Record<string, unknown>> = await ds.query(`SELECT * FROM ${ds.driver.escape(t)}`);
    out[t] = rows
      .map((r) =>
        JSON.stringify(
          Object.keys(r)
            .sort()
            .map((k) => [k, String(r[k])]),
        ),
      )
      .sort();
  }
  return out;
}

/** The rows that differ between two snapshots, per table. */
function changedRows(before: Record<string, string[]>, after: Record<string, string[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const old = new Set(before[t]);
    const n = after[t].filter((r) => !old.has(r)).length;
    if (n > 0) out[t] = n;
  }
  return out;
}

function zeroes(): Record<string, number> {
  return Object.fromEntries(IMPORT_KINDS.map((k) => [k, 0]));
}

const PATENT_CREATED = {
  ...zeroes(),
  currency: 1,
  shopGroups: 2,
  shops: 4,
  users: 8,
  services: 3,
  products: 5,
  templates: 4,
  prices: 17,
  chargedImages: 1,
  labs: 4,
  labApiKeys: 4,
};

const PATENT_ROWS = {
  settings: 1,
  shop_groups: 2,
  shops: 4,
  users: 8,
  services: 3,
  products: 5,
  templates: 4,
  template_products: 7,
  price_rows: 17,
  shop_price_allowances: 0,
  charged_images: 1,
  labs: 4,
  lab_services: 7,
  lab_api_keys: 4,
};

const EMPTY_ROWS = Object.fromEntries(TABLES.map((t) => [t, 0]));

function expectOk(report: ImportReport): void {
  expect(report.faults).toEqual([]);
  expect(report.ok).toBe(true);
}

// ---------------------------------------------------------------------------

describe("validateBundle", () => {
  it("accepts the patent example and the demo catalog", () => {
    expect(validateBundle(patent()).faults).toEqual([]);
    expect(validateBundle(JSON.parse(fs.readFileSync(DEMO, "utf8"))).faults).toEqual([]);
  });

  it("derives price ids from the natural key, hashing long ones", () => {
    const { bundle } = validateBundle(patent());
    expect(bundle.prices[1].id).toBe("PR-G-SG01-P01-2026-04-01");
    expect(bundle.prices[12].id).toBe("PR-STD-P01-2026-01-01");
    expect(derivePriceRowId({ kind: "SHOP", shopId: "SP02" }, "P03", "2026-04-01", 100)).toBe("PR-S-SP02-P03-2026-04-01-100");
    const long = derivePriceRowId({ kind: "GROUP", shopGroupId: "G".repeat(40) }, "P".repeat(40), "2026-04-01", null);
    expect(long).toMatch(/^PR-H-[0-9a-f]{40}$/);
    expect(derivePriceRowId({ kind: "GROUP", shopGroupId: "G".repeat(40) }, "P".repeat(40), "2026-04-01", null)).toBe(long);
  });

  it("takes the id of the database row with the same natural key", () => {
    const b = patent();
    const known = { currency: "JPY", shopGroupIds: new Set(["SG01"]), productIds: new Set(["P01"]) };
    const row = { ...b.prices[1] };
    const existing = {
      id: "MY-ROW",
      scope: { kind: "GROUP" as const, shopGroupId: "SG01" },
      productId: "P01",
      validFrom: "2026-04-01",
      validUntil: null,
      basicCharge: 1,
      amountCharge: 1,
      minSheets: null,
      maxSheets: null,
    };
    const { bundle, faults } = validateBundle({ prices: [row] }, { ...known, priceRows: [existing] });
    expect(faults).toEqual([]);
    expect(bundle.prices[0].id).toBe("MY-ROW");
  });

  it("collects every fault of a bundle, with its path", () => {
    const b = patent();
    b.currency = "jpy";
    b.shops[1].shopGroupId = "SG09";
    b.prices[2].validFrom = "2026-13-01";
    b.labs[3].capacitySheetsPerHour = 0;
    poke(b.labs[3], "fulfilment", ["PICKUP", "BY_PIGEON"]);
    b.shopPriceAllowances.push({ shopId: "SP02", productId: "P03", minBasicCharge: 60, maxBasicCharge: 50, minAmountCharge: 0, maxAmountCharge: 1 });
    b.templates[1].shopId = "SP01";
    poke(b.users[2], "disabled", "no");
    b.shops[0].location!.lng = 181;
    poke(b, "extra", true);
    const { faults } = validateBundle(b);
    expect(faults.map((f) => [f.path, f.code])).toEqual([
      ["$.extra", "UNKNOWN_FIELD"],
      ["$.currency", "INVALID_CURRENCY"],
      ["$.shops[0].location.lng", "INVALID_LOCATION"],
      ["$.users[2].disabled", "INVALID_TYPE"],
      ["$.templates[1].shopId", "INVALID_SCOPE"],
      ["$.prices[2].validFrom", "INVALID_DATE"],
      ["$.shopPriceAllowances[0].maxBasicCharge", "INVALID_ALLOWANCE"],
      ["$.labs[3].fulfilment[1]", "INVALID_FULFILMENT"],
      ["$.labs[3].capacitySheetsPerHour", "INVALID_NUMBER"],
      ["$.shops[1].shopGroupId", "UNKNOWN_REFERENCE"],
    ]);
  });

  it("refuses overlapping tiers but accepts touching ones and an untiered fallback beside tiers", () => {
    const tier = (id: string, min: number, max: number | null, from = "2026-04-01") => ({
      id,
      shopGroupId: "SG02",
      productId: "P03",
      validFrom: from,
      validUntil: null,
      basicCharge: 0,
      amountCharge: 5,
      minSheets: min,
      maxSheets: max,
    });
    const ok = patent();
    ok.prices.push(tier("T-1", 1, 99), tier("T-2", 100, null));
    expect(validateBundle(ok).faults).toEqual([]);
    const bad = patent();
    bad.prices.push(tier("T-1", 1, 99), tier("T-2", 50, null));
    const { faults } = validateBundle(bad);
    expect(faults.map((f) => [f.path, f.code])).toEqual([["$.prices[18]", "OVERLAPPING_PRICE"]]);
    expect(faults[0].message).toContain("$.prices[17]");
  });

  it("never puts a password or a lab key into a message", () => {
    const b = patent();
    b.users[0].password = "sec-ret";
    b.labs[0].apiKey = "my-secret-lab-key";
    b.labs[1].apiKey = b.labs[2].apiKey;
    b.users[1].passwordHash = "$argon2id$not-really-secret";
    const { faults } = validateBundle(b);
    expect(faults.map((f) => [f.path, f.code])).toEqual([
      ["$.users[0].password", "PASSWORD_TOO_SHORT"],
      ["$.users[1].passwordHash", "CONFLICTING_FIELDS"],
      ["$.labs[0].apiKey", "KEY_TOO_SHORT"],
      ["$.labs[2].apiKey", "DUPLICATE_KEY"],
    ]);
    const text = JSON.stringify(faults);
    for (const secret of ["sec-ret", "my-secret-lab-key", b.labs[2].apiKey, "not-really-secret", "shop-1-pass"]) expect(text).not.toContain(secret);
  });
});

// ---------------------------------------------------------------------------

describe("importBundle and exportBundle", () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let firstExport: Bundle;

  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it("imports the patent example, hashing every secret", async () => {
    const phases = new Set<string>();
    const report = await importBundle(db.ds, patent(), { onProgress: (_done, _total, phase) => phases.add(phase) });
    expectOk(report);
    expect(report.created).toEqual(PATENT_CREATED);
    expect(report.updated).toEqual(zeroes());
    expect(report.unchanged).toEqual(zeroes());
    expect(await rowCounts(db.ds)).toEqual(PATENT_ROWS);
    expect([...phases]).toEqual(expect.arrayContaining(["validating", "hashing secrets", "users", "prices", "labApiKeys"]));

    const fixture = patent();
    const users: Array<{ id: string; password_hash: string }> = await db.ds.query("SELECT id, password_hash FROM users");
    for (const u of fixture.users) {
      const stored = users.find((r) => r.id === u.id)!.password_hash;
      expect(stored).toMatch(/^\$argon2id\$/);
      expect(await verifyHash(stored, u.password)).toBe(true);
    }
    const keys: Array<{ lab_id: string; lookup: string; hash: string; revoked_at: unknown }> = await db.ds.query(
      "SELECT lab_id, lookup, hash, revoked_at FROM lab_api_keys",
    );
    for (const lab of fixture.labs) {
      const k = keys.find((r) => r.lab_id === lab.id)!;
      expect(k.lookup).toBe(labKeyLookup(lab.apiKey));
      expect(k.revoked_at).toBeNull();
      expect(await verifyHash(k.hash, lab.apiKey)).toBe(true);
    }
    // No secret in clear anywhere.
    const all = JSON.stringify(await snapshot(db.ds));
    for (const secret of [...fixture.users.map((u) => u.password), ...fixture.labs.map((l) => l.apiKey)]) expect(all).not.toContain(secret);

    const rows: Array<{ id: string; basic_charge: number | string }> = await db.ds.query(
      "SELECT id, basic_charge FROM price_rows WHERE shop_group_id = 'SG01' AND product_id = 'P01' ORDER BY valid_from",
    );
    expect(rows.map((r) => [r.id, Number(r.basic_charge)])).toEqual([
      ["PR-G-SG01-P01-2026-01-01", 120],
      ["PR-G-SG01-P01-2026-04-01", 100],
    ]);
  });

  it("re-importing the same bundle changes nothing", async () => {
    const before = await snapshot(db.ds);
    const report = await importBundle(db.ds, patent());
    expectOk(report);
    expect(report.created).toEqual(zeroes());
    expect(report.updated).toEqual(zeroes());
    expect(report.unchanged).toEqual(PATENT_CREATED);
    expect(await snapshot(db.ds)).toEqual(before);
  });

  it("a dry run of a changed bundle reports the changes and writes nothing", async () => {
    const before = await snapshot(db.ds);
    const b = patent();
    b.shops[0].name = "Printing shop 1 (renamed)";
    const report = await importBundle(db.ds, b, { dryRun: true });
    expectOk(report);
    expect(report.updated).toEqual({ ...zeroes(), shops: 1 });
    expect(await snapshot(db.ds)).toEqual(before);
  });

  it("a changed bundle updates by id, and only what changed", async () => {
    const before = await snapshot(db.ds);
    const b = patent();
    b.shops[0].name = "Printing shop 1 (renamed)";
    b.prices[1].basicCharge = 110;
    b.users[7].password = "customer-pass-2";
    b.labs[1].serviceIds = ["SV01"];
    const report = await importBundle(db.ds, b);
    expectOk(report);
    expect(report.created).toEqual(zeroes());
    expect(report.updated).toEqual({ ...zeroes(), shops: 1, prices: 1, users: 1, labs: 1 });
    expect(report.unchanged).toEqual({ ...PATENT_CREATED, shops: 3, prices: 16, users: 7, labs: 3 });

    const after = await snapshot(db.ds);
    // One row each for the shop, the price and the user; LAB02 lost SV02 (a lab's service list is
    // its data), so lab_services has one row fewer and no new one.
    expect(changedRows(before, after)).toEqual({ shops: 1, price_rows: 1, users: 1 });
    expect(await rowCounts(db.ds)).toEqual({ ...PATENT_ROWS, lab_services: 6 });

    const shop: Array<{ name: string }> = await db.ds.query("SELECT name FROM shops WHERE id = 'SP01'");
    expect(shop[0].name).toBe("Printing shop 1 (renamed)");
    const price: Array<{ basic_charge: number | string }> = await db.ds.query("SELECT basic_charge FROM price_rows WHERE id = 'PR-G-SG01-P01-2026-04-01'");
    expect(Number(price[0].basic_charge)).toBe(110);
    const user: Array<{ password_hash: string }> = await db.ds.query("SELECT password_hash FROM users WHERE id = 'U100'");
    expect(await verifyHash(user[0].password_hash, "customer-pass-2")).toBe(true);
    expect(await verifyHash(user[0].password_hash, "customer-pass")).toBe(false);
  });

  it("export -> import into an empty database -> export gives the same bundle", async () => {
    firstExport = await exportBundle(db.ds);
    const text = JSON.stringify(firstExport, null, 2);
    expect(text).not.toMatch(/"password"|"apiKey"/);
    expect(firstExport.prices).toHaveLength(17);
    expect(firstExport.prices.every((p) => typeof p.id === "string")).toBe(true);
    expect(firstExport.labs[0].apiKeys).toHaveLength(1);

    const other = await openTestDatabase();
    try {
      const report = await importBundle(other.ds, JSON.parse(text));
      expectOk(report);
      expect(report.created.users).toBe(8);
      expect(JSON.stringify(await exportBundle(other.ds), null, 2)).toBe(text);
    } finally {
      await other.close();
    }

    // And into the database it came from: nothing to do.
    const before = await snapshot(db.ds);
    const again = await importBundle(db.ds, JSON.parse(text));
    expectOk(again);
    expect(again.created).toEqual(zeroes());
    expect(again.updated).toEqual(zeroes());
    expect(await snapshot(db.ds)).toEqual(before);
  });

  it("a dry run into an empty database writes nothing", async () => {
    const other = await openTestDatabase();
    try {
      const report = await importBundle(other.ds, firstExport, { dryRun: true });
      expectOk(report);
      expect(report.created).toEqual({ ...PATENT_CREATED, labApiKeys: 4 });
      expect(await rowCounts(other.ds)).toEqual(EMPTY_ROWS);
    } finally {
      await other.close();
    }
  });

  it("carries keys stored in the keyed form through export and import, and recognises their clear keys", async () => {
    // What the center does at a key's first use: argon2 replaced by the keyed hash.
    const secret = new TextEncoder().encode("bundle-test-key-secret-".padEnd(40, "x"));
    const lab01Key = patent().labs.find((l) => l.id === "LAB01")!.apiKey!;
    await db.ds.query("UPDATE lab_api_keys SET hash = ? WHERE lab_id = 'LAB01'", [keyedKeyHash(secret, lab01Key)]);
    const exported = await exportBundle(db.ds);
    const text = JSON.stringify(exported, null, 2);
    expect(exported.labs.find((l) => l.id === "LAB01")!.apiKeys![0].hash).toMatch(/^hmac-sha256\$[0-9a-f]{64}$/);
    const other = await openTestDatabase();
    try {
      expectOk(await importBundle(other.ds, JSON.parse(text)));
      expect(JSON.stringify(await exportBundle(other.ds), null, 2)).toBe(text);
    } finally {
      await other.close();
    }
    // The clear key of the bundle is the stored one: no second key for LAB01 (nor any other lab).
    const keysBefore = await db.ds.query("SELECT id, hash FROM lab_api_keys ORDER BY id");
    const withSecret = { dryRun: false, keyHashSecret: secret };
    const again = await importBundle(db.ds, patent(), withSecret);
    expectOk(again);
    expect(again.created.labApiKeys).toBe(0);
    expect(again.unchanged.labApiKeys).toBe(4);
    expect(await db.ds.query("SELECT id, hash FROM lab_api_keys ORDER BY id")).toEqual(keysBefore);
  });
});

// ---------------------------------------------------------------------------

describe("a bundle with a fault is refused whole", () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let before: Record<string, string[]>;

  beforeAll(async () => {
    db = await openTestDatabase();
    expectOk(await importBundle(db.ds, patent()));
    before = await snapshot(db.ds);
  });
  afterAll(async () => {
    await db?.close();
  });

  const price = (over: Partial<BundlePrice> & Pick<BundlePrice, "productId" | "validFrom">): BundlePrice => ({
    basicCharge: 0,
    amountCharge: 10,
    validUntil: null,
    minSheets: null,
    maxSheets: null,
    ...over,
  });

  const cases: Array<[string, () => unknown, Array<[string, string]>]> = [
    [
      "an unknown reference",
      () => {
        const b = patent();
        b.shops[0].shopGroupId = "SG99";
        return b;
      },
      [["$.shops[0].shopGroupId", "UNKNOWN_REFERENCE"]],
    ],
    [
      "an unknown product in a template",
      () => {
        const b = patent();
        b.templates[0].productIds.push("P99");
        return b;
      },
      [["$.templates[0].productIds[2]", "UNKNOWN_REFERENCE"]],
    ],
    [
      "a group's template leaving out a shop of another group (the bundle's shops)",
      () => {
        const b = patent();
        b.templates[0].excludedShopIds = ["SP02", "SP03"];
        return b;
      },
      [["$.templates[0].excludedShopIds[1]", "INVALID_SCOPE"]],
    ],
    [
      "a group's template leaving out a shop of another group (the database's shops)",
      () => {
        const t01 = patent().templates[0];
        return { currency: "JPY", templates: [{ ...t01, excludedShopIds: ["SP04"] }] };
      },
      [["$.templates[0].excludedShopIds[0]", "INVALID_SCOPE"]],
    ],
    [
      "a duplicate id",
      () => {
        const b = patent();
        b.products.push({ id: "P01", name: "Again" });
        return b;
      },
      [["$.products[5].id", "DUPLICATE_ID"]],
    ],
    [
      "an id that differs only in case",
      () => {
        const b = patent();
        b.shopGroups.push({ id: "sg01", name: "Lower" });
        return b;
      },
      [["$.shopGroups[2].id", "DUPLICATE_ID"]],
    ],
    [
      "a negative charge",
      () => {
        const b = patent();
        b.prices[0].basicCharge = -1;
        return b;
      },
      [["$.prices[0].basicCharge", "NEGATIVE_CHARGE"]],
    ],
    [
      "a fractional charge",
      () => {
        const b = patent();
        b.prices[0].amountCharge = 1.5;
        return b;
      },
      [["$.prices[0].amountCharge", "INVALID_AMOUNT"]],
    ],
    [
      "a charge given as a string",
      () => {
        const b = patent();
        poke(b.prices[0], "basicCharge", "120");
        return b;
      },
      [["$.prices[0].basicCharge", "INVALID_AMOUNT"]],
    ],
    [
      "a negative image fee",
      () => {
        const b = patent();
        b.chargedImages[0].feePerSheet = -10;
        return b;
      },
      [["$.chargedImages[0].feePerSheet", "NEGATIVE_CHARGE"]],
    ],
    [
      "a date that does not exist",
      () => {
        const b = patent();
        b.prices[0].validFrom = "2026-02-30";
        return b;
      },
      [["$.prices[0].validFrom", "INVALID_DATE"]],
    ],
    [
      "validUntil before validFrom",
      () => {
        const b = patent();
        b.prices[0].validUntil = "2025-12-31";
        return b;
      },
      [["$.prices[0].validUntil", "INVALID_PERIOD"]],
    ],
    [
      "price rows that overlap in the bundle",
      () => {
        const b = patent();
        b.prices.push(price({ id: "PX", shopGroupId: "SG02", productId: "P03", validFrom: "2026-03-01", validUntil: "2026-05-31" }));
        return b;
      },
      [
        ["$.prices[17]", "OVERLAPPING_PRICE"],
        ["$.prices[17]", "OVERLAPPING_PRICE"],
      ],
    ],
    [
      "a price row that overlaps one in the database",
      () => ({ currency: "JPY", prices: [price({ id: "PX", shopGroupId: "SG01", productId: "P01", validFrom: "2026-06-01" })] }),
      [["$.prices[0]", "OVERLAPPING_PRICE"]],
    ],
    [
      "a lab key too short",
      () => {
        const b = patent();
        b.labs[0].apiKey = "short-key-123";
        return b;
      },
      [["$.labs[0].apiKey", "KEY_TOO_SHORT"]],
    ],
    [
      "a shop admin without a shop",
      () => {
        const b = patent();
        delete b.users[1].shopId;
        return b;
      },
      [["$.users[1].shopId", "INVALID_SCOPE"]],
    ],
    [
      "a customer with a shop group",
      () => {
        const b = patent();
        b.users[7].shopGroupId = "SG01";
        return b;
      },
      [["$.users[7].shopGroupId", "INVALID_SCOPE"]],
    ],
    [
      "a second template for a scope and service",
      () => {
        const b = patent();
        b.templates.push({ id: "T09", name: "Again", shopGroupId: "SG01", serviceId: "SV01", productIds: ["P01"] });
        return b;
      },
      [["$.templates[4]", "DUPLICATE_TEMPLATE"]],
    ],
    [
      "a template for a scope and service the database has",
      () => ({ currency: "JPY", templates: [{ id: "T09", name: "Again", shopGroupId: "SG02", serviceId: "SV01", productIds: ["P03"] }] }),
      [["$.templates[0]", "DUPLICATE_TEMPLATE"]],
    ],
    ["a bad currency", () => ({ ...patent(), currency: "yen" }), [["$.currency", "INVALID_CURRENCY"]]],
    ["another currency", () => ({ ...patent(), currency: "USD" }), [["$.currency", "CURRENCY_CHANGE"]]],
    [
      "a short password",
      () => {
        const b = patent();
        b.users[0].password = "short";
        return b;
      },
      [["$.users[0].password", "PASSWORD_TOO_SHORT"]],
    ],
    [
      "a login taken (ignoring case)",
      () => {
        const b = patent();
        b.users[1].login = "CENTER";
        return b;
      },
      [["$.users[1].login", "DUPLICATE_LOGIN"]],
    ],
    [
      "a misspelt field",
      () => {
        const b = patent();
        poke(b.prices[0], "validUntill", null);
        return b;
      },
      [["$.prices[0].validUntill", "UNKNOWN_FIELD"]],
    ],
    ["not an object", () => [patent()], [["$", "INVALID_TYPE"]]],
  ];

  it.each(cases)("%s", async (_name, make, expected) => {
    const report = await importBundle(db.ds, make());
    expect(report.ok).toBe(false);
    expect(report.faults.map((f) => [f.path, f.code])).toEqual(expected);
    expect(report.created).toEqual(zeroes());
    expect(await snapshot(db.ds)).toEqual(before);
  });

  it("names both rows of an overlap", async () => {
    const b = patent();
    b.prices.push(price({ id: "PX", shopGroupId: "SG02", productId: "P03", validFrom: "2026-03-01", validUntil: "2026-05-31" }));
    const report = await importBundle(db.ds, b);
    expect(report.faults.map((f) => f.message)).toEqual([expect.stringContaining("$.prices[10]"), expect.stringContaining("$.prices[11]")]);
    const fromDb = await importBundle(db.ds, {
      currency: "JPY",
      prices: [price({ id: "PX", shopGroupId: "SG01", productId: "P01", validFrom: "2026-06-01" })],
    });
    expect(fromDb.faults[0].message).toContain("PR-G-SG01-P01-2026-04-01");
    expect(fromDb.faults[0].message).toContain("in the database");
  });

  it("a row replacing its own database row by id does not overlap it", async () => {
    // Same id as the stored row (2026-04-01, open-ended), a later start: the stored version is
    // replaced, so the two do not overlap.
    const report = await importBundle(
      db.ds,
      {
        currency: "JPY",
        prices: [price({ id: "PR-G-SG01-P01-2026-04-01", shopGroupId: "SG01", productId: "P01", validFrom: "2026-04-15", basicCharge: 100 })],
      },
      { dryRun: true },
    );
    expectOk(report);
    expect(report.updated.prices).toBe(1);
    expect(await snapshot(db.ds)).toEqual(before);
  });
});
