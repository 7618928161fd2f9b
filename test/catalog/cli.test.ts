/**
 * The compiled catalog CLI, run as operators run it: a child process on the database named by
 * DATABASE_URL (a scratch SQLite file, or a scratch MariaDB database when DATABASE_URL says so).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { DataSource } from "typeorm";
import { exportBundle } from "../../src/catalog/bundle-export.service";
import { openDatabase } from "../../src/entities";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { CENTER_NODE_ENV } from "../support/env";

const ROOT = path.resolve(__dirname, "../..");
const CLI = path.join(ROOT, "dist/src/catalog/cli.js");
const PATENT = path.join(ROOT, "fixtures/patent-example.json");
const SECRETS = (() => {
  const b = JSON.parse(fs.readFileSync(PATENT, "utf8")) as { users: Array<{ password: string }>; labs: Array<{ apiKey: string }> };
  return [...b.users.map((u) => u.password), ...b.labs.map((l) => l.apiKey)];
})();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let test: TestDatabase;
let dir: string;

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: test.url, DATA_DIR: dir, JWT_SECRET: "j".repeat(40), NODE_ENV: CENTER_NODE_ENV },
        timeout: 60_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

async function withDb<T>(work: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = await openDatabase(test.db, { poolSize: 2 });
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
  }
}

async function count(table: string): Promise<number> {
  return withDb(async (ds) => Number((await ds.query(`SELECT COUNT(*) AS n FROM ${ds.driver.escape(table)}`))[0].n));
}

function writeJson(name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
}

function expectNoSecrets(run: Run): void {
  for (const s of SECRETS) {
    expect(run.stdout).not.toContain(s);
    expect(run.stderr).not.toContain(s);
  }
}

beforeAll(() => {
  // The global setup compiled the project (test/global-setup.js).
  expect(fs.existsSync(CLI)).toBe(true);
});

beforeAll(async () => {
  test = await createTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-cli-"));
});

afterAll(async () => {
  await test?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("catalog CLI", () => {
  it.each([
    [[], "no command given"],
    [["frobnicate", "x.json"], 'unknown command "frobnicate"'],
    [["import"], "import takes exactly one file"],
    [["import", "a.json", "b.json"], "import takes exactly one file"],
    [["export", "out.json", "--dry-run"], 'unknown option "--dry-run" for export'],
    [["import", "/nonexistent/bundle.json"], "cannot read /nonexistent/bundle.json: ENOENT"],
  ])("refuses %j with exit 2", async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain("usage:");
  });

  it("refuses a file that is not JSON with exit 2", async () => {
    const run = await cli(["import", writeJson("broken.json", "{ not json")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/broken\.json is not valid JSON/);
  });

  it("--dry-run validates, reports and writes nothing", async () => {
    const run = await cli(["import", PATENT, "--dry-run"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("dry run, the bundle is valid; nothing was written");
    expect(run.stdout).toMatch(/^ {2}users +8 +0 +0$/m);
    expect(run.stdout).toMatch(/^ {2}prices +17 +0 +0$/m);
    expectNoSecrets(run);
    expect(await count("users")).toBe(0);
    expect(await count("price_rows")).toBe(0);
  });

  it("imports a bundle and prints progress and a summary", async () => {
    const run = await cli(["import", PATENT]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("import: done.");
    expect(run.stdout).toMatch(/^ {2}kind +created +updated +unchanged$/m);
    expect(run.stdout).toMatch(/^ {2}users +8 +0 +0$/m);
    expect(run.stdout).toMatch(/^ {2}labApiKeys +4 +0 +0$/m);
    expect(run.stderr).toContain("import: hashing secrets 12/12");
    expect(run.stderr).toContain("import: prices 17/17");
    expectNoSecrets(run);
    expect(await count("users")).toBe(8);
    expect(await count("lab_api_keys")).toBe(4);

    const again = await cli(["import", PATENT]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^ {2}users +0 +0 +8$/m);
    expect(again.stdout).toMatch(/^ {2}prices +0 +0 +17$/m);
  });

  it("refuses a bad bundle with one line per fault and exit 1, writing nothing", async () => {
    const b = JSON.parse(fs.readFileSync(PATENT, "utf8"));
    b.shops[0].name = "Renamed, but not written";
    b.prices[0].validUntil = "2025-12-31";
    b.labs[0].apiKey = "too-short-key";
    const run = await cli(["import", writeJson("bad.json", b)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("import: refused, 2 faults; nothing was written.");
    expect(run.stderr).toContain("\n  $.prices[0].validUntil: INVALID_PERIOD: validUntil 2025-12-31 is before validFrom 2026-01-01");
    expect(run.stderr).toContain(`\n  $.labs[0].apiKey: KEY_TOO_SHORT: apiKey must be at least 24 characters, got 13`);
    expect(run.stderr).not.toContain("too-short-key");
    expect(run.stdout).toBe("");
    const names = await withDb(async (ds) => (await ds.query("SELECT name FROM shops WHERE id = 'SP01'")) as Array<{ name: string }>);
    expect(names[0].name).toBe("Printing shop 1");
  });

  it("shows progress on a long import", async () => {
    // 1200 id-less rows of one product, each one day long: no secrets to hash, so it is quick.
    const prices = Array.from({ length: 1200 }, (_, i) => {
      const day = new Date(Date.UTC(2030, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      return { shopGroupId: "SG02", productId: "P05", validFrom: day, validUntil: day, basicCharge: 0, amountCharge: i };
    });
    const run = await cli(["import", writeJson("long.json", { currency: "JPY", prices })]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("import: prices 500/1200\nimport: prices 1000/1200\nimport: prices 1200/1200\n");
    expect(run.stdout).toMatch(/^ {2}prices +1200 +0 +0$/m);
    expect(await count("price_rows")).toBe(17 + 1200);
  });

  it("exports to a file and to stdout", async () => {
    const file = path.join(dir, "export.json");
    const run = await cli(["export", file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`export: wrote ${file}`);
    const text = fs.readFileSync(file, "utf8");
    const bundle = JSON.parse(text);
    expect(bundle.users).toHaveLength(8);
    expect(bundle.users.every((u: { passwordHash?: string; password?: string }) => u.passwordHash?.startsWith("$argon2id$") && u.password === undefined)).toBe(
      true,
    );
    expect(bundle.labs.every((l: { apiKey?: string; apiKeys: unknown[] }) => l.apiKey === undefined && l.apiKeys.length === 1)).toBe(true);
    for (const s of SECRETS) expect(text).not.toContain(s);
    expect(bundle).toEqual(JSON.parse(JSON.stringify(await withDb(exportBundle))));

    const toStdout = await cli(["export", "-"]);
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout).toBe(text);
  });
});
