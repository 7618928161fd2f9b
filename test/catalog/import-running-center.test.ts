/**
 * A catalog import from the command line into the database of a running center (issue
 * "Production-grade", point 12): the center follows the committed import within a second or two,
 * without being restarted and without any event from the importing process: its prices (quotes and
 * shop offers), a user the import disabled, a lab it disabled. Without Redis, and with it when
 * REDIS_URL is set (CI's MariaDB pass).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { exportBundle } from "../../src/catalog/bundle-export.service";
import { startCenter, WORKED_EXAMPLE_ORDER, type TestCenter } from "../support/center";
import { CENTER_NODE_ENV } from "../support/env";
import { until } from "../support/until";

const ROOT = path.resolve(__dirname, "../..");
const CLI = path.join(ROOT, "dist/src/catalog/cli.js"); // compiled by the global setup
const LAB02_KEY = "lab02-key-0123456789abcdef";
/** How soon a running center must follow a committed import. */
const FOLLOW_WITHIN_MS = 2500;

const QUOTE = `query($input: OrderInput!, $at: DateTime) { quote(input: $input, at: $at) { quote { total } errors { code } } }`;
const OFFER = `{ shopOffer(shopId: "SP01", date: "2026-04-01") { services { serviceId products { productId prices { amountCharge } } } } }`;
const LAB_PROBE = `{ printJob(id: "none") { id } }`;

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

/** Awaits `check` turning true, asking again as soon as each answer is in; fails after `withinMs`. */
const within = (withinMs: number, what: string, check: () => Promise<boolean>) => until(what, check, { timeoutMs: withinMs, intervalMs: 0 });

function followsImport(name: string, env: () => Record<string, string>): void {
  describe(name, () => {
    let c: TestCenter;
    let dir: string;

    beforeAll(async () => {
      c = await startCenter({ env: env() });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-import-"));
    });
    afterAll(async () => {
      await c?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("quotes the imported prices, refuses the disabled user and lab, without a restart", async () => {
      const admin = await c.login("center", "center-pass-1");
      const customer = await c.login("customer", "customer-pass");
      const quote = async () => (await c.gql(QUOTE, { input: WORKED_EXAMPLE_ORDER, at: "2026-04-01T03:00:00Z" }, admin)).data!.quote.quote.total as number;
      const p04 = async () => {
        const offer = (await c.gql(OFFER, {}, admin)).data!.shopOffer as {
          services: Array<{ products: Array<{ productId: string; prices: Array<{ amountCharge: number }> }> }>;
        };
        return offer.services
          .flatMap((s) => s.products)
          .find((p) => p.productId === "P04")!
          .prices.map((p) => p.amountCharge);
      };
      // The center has read its price books, the customer and the lab key before the import.
      expect(await quote()).toBe(1050);
      expect(await p04()).toEqual([50]);
      expect((await c.gql(OFFER, {}, customer)).errors).toBeUndefined();
      expect((await c.gql(LAB_PROBE, {}, LAB02_KEY)).data).toEqual({ printJob: null });

      const bundle = await exportBundle(c.ds);
      const row = bundle.prices.find((p) => p.shopGroupId === "SG01" && p.productId === "P04" && p.validFrom === "2026-04-01")!;
      row.amountCharge = 40;
      bundle.users.find((u) => u.login === "customer")!.disabled = true;
      bundle.labs.find((l) => l.id === "LAB02")!.disabled = true;
      const file = path.join(dir, "changed.json");
      fs.writeFileSync(file, JSON.stringify(bundle));
      const run = await runCli(["import", file], { DATABASE_URL: c.config.database.url, DATA_DIR: dir, JWT_SECRET: "j".repeat(40), NODE_ENV: CENTER_NODE_ENV });
      expect(run.stderr).not.toMatch(/refused|failed/);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/prices\s+0\s+1\s+/);

      // Ten postcards at 40 instead of 50: 1050 - 100.
      await within(FOLLOW_WITHIN_MS, "the imported price in quotes", async () => (await quote()) === 950);
      expect(await p04()).toEqual([40]);
      await within(
        FOLLOW_WITHIN_MS,
        "the disabled user refused",
        async () => (await c.gql(OFFER, {}, customer)).errors?.[0]?.extensions?.code === "UNAUTHENTICATED",
      );
      await within(
        FOLLOW_WITHIN_MS,
        "the disabled lab refused",
        async () => (await c.gql(LAB_PROBE, {}, LAB02_KEY)).errors?.[0]?.extensions?.code === "UNAUTHENTICATED",
      );
      // And it stays so: the database says 40.
      expect(await quote()).toBe(950);
    });
  });
}

followsImport("a running center without Redis", () => ({}));
// Needs a real Redis: CI's MariaDB + Redis pass sets REDIS_URL.
(process.env.REDIS_URL ? describe : describe.skip)("with Redis", () =>
  followsImport("a running center with Redis", () => ({ REDIS_URL: process.env.REDIS_URL! })),
);
