/**
 * Seed 002 walked through the reorder terminal page (GET /reorder) in headless Chromium: a capture
 * device uploads a shoot, first prints print at the shoot's first-print lab LAB01 through its real
 * daemon; then a customer at the page opens their access code, sees exactly its two thumbnails
 * (signed links the browser loads), picks prints, sizes and copies, signs up, gives the delivery
 * address and sees the quote, whose total is exactly the API's quote of the same picks; places the
 * reorder and pays through the gateway's test mode (the center sends its own webhook a signed
 * event); the reorder prints at a second lab through its own daemon; the lab's key packs, ships
 * (carrier, tracking number) and delivers the parcel through updateShipment, and the page, following
 * `orderUpdates`, shows DELIVERED with the tracking number. Every request the page makes stays on
 * the center; no console error, no CSP violation. A screenshot of the end is kept in test-output/.
 *
 * The gateway's test mode is for development only (the configuration refuses it in production), so
 * this file's center runs with NODE_ENV=development even in the suite's production pass (MariaDB);
 * everything else about it (database, Redis, differential HTTP lanes) is the pass's.
 *
 * Needs Debian's chromium (/usr/bin/chromium): skipped without it, unless REQUIRE_BROWSER=1.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { CHROMIUM, haveChromium, launchChromium } from "../support/browser";
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import { startLabDaemon } from "../support/lab-daemon";
import { newAccessCode, newDeliveryLab, newLabKey, WEBHOOK_SECRET } from "../support/reorders";
import { makePng } from "../support/images";
import { newDevice, newShoot, uploadToShoot } from "../support/shoots";
import { until } from "../support/until";

jest.setTimeout(240_000);

const describeInBrowser = haveChromium ? describe : describe.skip;
const suiteName = haveChromium
  ? "the reorder terminal in headless Chromium"
  : `the reorder terminal in headless Chromium — SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`;

const OUTPUT = path.resolve(__dirname, "../../test-output");
const SCREENSHOT = path.join(OUTPUT, "reorder-terminal-delivered.png");

const PLACE_FIRST_PRINTS = `mutation($shootId: ID!, $subOrders: [SubOrderInput!]!) {
  placeFirstPrints(shootId: $shootId, subOrders: $subOrders) { order { id status labId } errors { code field } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id status labId shopId total currency customerUserId
  payment { method status amount currency } shipment { id status carrier trackingNumber } } }`;
const QUOTE = `query($input: OrderInput!) { quote(input: $input) { quote { total currency subOrders { serviceId sheets subtotal lines { productId } } } errors { code } } }`;
const TO_SHIP = `query($lab: ID) { shipmentsToShip(labId: $lab) { id orderId status } }`;
const UPDATE = `mutation($id: ID!, $status: ShipmentStatus!, $carrier: String, $tracking: String) {
  updateShipment(id: $id, status: $status, carrier: $carrier, trackingNumber: $tracking) { shipment { status carrier trackingNumber } errors { code field } } }`;
const SECOND_LAB = "LAB-SP01-TERMINAL";
const ADDRESS = { recipient: "Hanako Yamada", line1: "1-9-1 Marunouchi", city: "Chiyoda-ku", postalCode: "100-0005", country: "JP" };
const TRACKING = "7788-9900-1122";

let c: TestCenter;
let t: Record<string, string>;

beforeAll(async () => {
  c = await startCenter({
    env: {
      // Test mode is development only: explicitly so here, whatever NODE_ENV the suite runs under.
      NODE_ENV: "development",
      PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PAYMENT_TEST_MODE: "1",
    },
  });
  t = await loginPeople(c, ["groupA", "shop1"]);
});
afterAll(async () => {
  await c?.stop();
});

const order = async (id: string, bearer: string) => {
  const r = await c.gql(ORDER, { id }, bearer);
  expect(r.errors).toBeUndefined();
  return r.data!.order;
};

describe("GET /reorder without a browser", () => {
  it("the page: no-store, a strict CSP, the gateway offered, its assets from the center under a versioned path", async () => {
    const res = await fetch(`${c.url}/reorder`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const host = new URL(c.url).host;
    expect(res.headers.get("content-security-policy")).toBe(
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' ws://${host}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    expect([html.includes('data-test-mode="1"'), html.includes('id="test-pay-button"'), html.includes('id="pay-gateway"')]).toEqual([true, true, true]);
    // Every script and stylesheet is the center's own, under one versioned folder; nothing inline.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBe(4);
    const version = /^\/reorder\/assets\/([0-9a-f]{12})\//.exec(refs[0])?.[1];
    expect(refs.sort()).toEqual(["favicon.svg", "graphql-ws.min.js", "terminal.css", "terminal.js"].map((n) => `/reorder/assets/${version}/${n}`));
    expect(html).not.toMatch(/<script>|<style|style="/);
    for (const ref of refs) {
      const asset = await fetch(`${c.url}${ref}`);
      expect([ref, asset.status, asset.headers.get("cache-control")]).toEqual([ref, 200, "public, max-age=31536000, immutable"]);
      await asset.arrayBuffer();
    }
    const stale = await fetch(`${c.url}/reorder/assets/000000000000/terminal.js`);
    expect(stale.status).toBe(404);
    await stale.arrayBuffer();
  });
});

describeInBrowser(suiteName, () => {
  let browser: Browser;
  let page: Page;
  /** Requests and WebSockets to anywhere but the center. */
  const foreign: string[] = [];
  /** Console errors (failed loads, CSP violations) and uncaught exceptions. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(OUTPUT, { recursive: true });
    fs.rmSync(SCREENSHOT, { force: true });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
    const origin = new URL(c.url).origin;
    page.on("request", (r) => {
      if (new URL(r.url()).origin !== origin) foreign.push(r.url());
    });
    page.on("websocket", (ws) => {
      const u = new URL(ws.url());
      if (u.host !== new URL(origin).host || u.pathname !== "/graphql") foreign.push(ws.url());
    });
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(m.text());
    });
    page.on("pageerror", (e) => pageErrors.push(`uncaught: ${e.message}`));
  });
  afterAll(async () => {
    await browser?.close();
  });

  const textOf = (selector: string) => page.locator(selector).innerText();

  it("seed 002 at the terminal: code, thumbnails, picks, sign-up, address, quote, gateway payment, second lab, delivered", async () => {
    // 1. A shoot uploaded by a capture device: two images of subject 101, one of 102.
    const shoot = await newShoot(c, t.shop1, { shopId: "SP01", name: "School sports day" });
    expect(shoot.errors).toEqual([]);
    const shootId: string = shoot.shoot.id;
    const device = await newDevice(c, t.shop1, "SP01", "Camera at the finish line");
    const uploaded: Array<{ imageId: string; subject: string }> = [];
    for (const [i, subject] of ["101", "101", "102"].entries()) {
      const up = await uploadToShoot(c, shootId, device.key, makePng(60, 40, 90 + i), { "x-subject": subject });
      expect(up.status).toBe(201);
      uploaded.push({ imageId: up.json.imageId, subject });
    }
    const of101 = uploaded.filter((u) => u.subject === "101").map((u) => u.imageId);

    // 2. First prints at the first-print lab LAB01, printed by its daemon.
    const first = await c.gql(
      PLACE_FIRST_PRINTS,
      { shootId, subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: uploaded[2].imageId }] }] },
      t.shop1,
    );
    expect(first.data!.placeFirstPrints).toEqual({ order: { id: expect.any(String), status: "ASSIGNED", labId: "LAB01" }, errors: [] });
    const firstId: string = first.data!.placeFirstPrints.order.id;
    const lab01 = startLabDaemon(c.url, await newLabKey(c, t.groupA, "LAB01"));
    try {
      await until("the first prints PRINTED", async () => (await order(firstId, t.shop1)).status === "PRINTED", {
        timeoutMs: 60_000,
        intervalMs: 100,
        detail: lab01.proc.output,
      });
    } finally {
      expect(await lab01.stop()).toEqual({ code: 0, signal: null });
    }

    // 3. The customer's access code (subject 101), and a second lab of SP01 that delivers.
    const code = await newAccessCode(c, t.shop1, { shootId, subject: "101" });
    const secondKey = await newDeliveryLab(c, t.groupA, SECOND_LAB);

    // 4. At the terminal: the code opens exactly the two images of 101, their thumbnails loaded.
    const page200 = await page.goto(`${c.url}/reorder`);
    expect(page200?.status()).toBe(200);
    // A mistyped code first: the page says so, and shows nothing.
    await page.locator("#code").fill("NOT-A-CODE-0000");
    await page.locator("#open-code").click();
    await page.locator("#errors").waitFor();
    expect(await page.locator("#error-list li").allInnerTexts()).toEqual(["No photos for this code: check it and try again (INVALID_ACCESS_CODE)"]);
    expect(await page.locator(".thumb").count()).toBe(0);
    await page.locator("#code").fill(code);
    await page.locator("#open-code").click();
    await page.locator(".thumb").nth(1).waitFor();
    expect(await page.locator(".thumb").evaluateAll((els) => els.map((e) => e.getAttribute("data-image-id")))).toEqual(of101);
    await until("both thumbnails loaded", () =>
      page.evaluate<boolean>(`[...document.querySelectorAll(".thumb img")].every((i) => i.complete && i.naturalWidth > 0)`),
    );
    expect(await textOf("#opened-codes")).toBe("School sports day (2 photos)");

    // Picks: the first image on A4 twice, the second as a postcard once.
    const [one, two] = of101;
    await page.locator(`.thumb[data-image-id="${one}"] .pick`).check();
    await page.locator(`.thumb[data-image-id="${one}"] .size`).selectOption("SV01");
    await page.locator(`.thumb[data-image-id="${one}"] .copies`).fill("2");
    await page.locator(`.thumb[data-image-id="${two}"] .pick`).check();
    await page.locator(`.thumb[data-image-id="${two}"] .size`).selectOption("SV02");
    expect(await page.locator(`.thumb[data-image-id="${one}"] .size option`).allInnerTexts()).toEqual(
      expect.arrayContaining(["A4 printing", "Postcard printing"]),
    );

    expect(await page.locator("#errors").isHidden()).toBe(true);

    // 5. Sign-up: a new customer; a weak password first is refused with the payload's error.
    const login = `terminal-${Date.now()}`;
    await page.locator("#signup-login").fill(login);
    await page.locator("#signup-name").fill("Hanako Yamada");
    await page.locator("#signup-password").fill("short");
    await page.locator("#signup-button").click();
    await page.locator("#errors").waitFor();
    expect(await page.locator("#error-list li").evaluateAll((items) => items.map((li) => li.getAttribute("data-code")))).toEqual(["WEAK_PASSWORD"]);
    expect(await textOf("#error-list")).toMatch(/^The password must have .+ \(WEAK_PASSWORD\)$/);
    expect(await page.locator("#signed-in").isHidden()).toBe(true);
    await page.locator("#signup-password").fill("blue kites over the river");
    await page.locator("#signup-button").click();
    await page.locator("#signed-in").waitFor();
    expect(await textOf("#signed-in")).toBe(`Signed in as ${login}.`);
    expect([await page.locator("#account-forms").isHidden(), await page.locator("#errors").isHidden()]).toEqual([true, true]);

    // 6. The address, then the quote: exactly the API's quote of the same picks.
    await page.locator("#addr-recipient").fill(ADDRESS.recipient);
    await page.locator("#addr-line1").fill(ADDRESS.line1);
    await page.locator("#addr-city").fill(ADDRESS.city);
    await page.locator("#addr-postal").fill(ADDRESS.postalCode);
    await page.locator("#addr-country").fill("jp");
    await page.locator("#quote-button").click();
    await page.locator("#quote-step").waitFor();
    const subOrders = [
      { serviceId: "SV01", sheets: 2, items: [{ imageId: one }] },
      { serviceId: "SV02", sheets: 1, items: [{ imageId: two }] },
    ];
    const apiQuote = await c.gql(QUOTE, { input: { shopId: "SP01", fulfilment: { method: "DELIVERY", address: ADDRESS }, subOrders } });
    expect(apiQuote.data!.quote.errors).toEqual([]);
    const quote = apiQuote.data!.quote.quote;
    expect(quote.total).toBeGreaterThan(0);
    expect(await page.locator("#quote-total").getAttribute("data-amount")).toBe(String(quote.total));
    expect(await textOf("#quote-total")).toBe(`${quote.total} JPY`);
    await page.screenshot({ path: path.join(OUTPUT, "reorder-terminal-quote.png"), fullPage: true });
    const lineCount = quote.subOrders.reduce((n: number, s: { lines: unknown[] }) => n + s.lines.length, 0);
    expect(await page.locator("#quote-lines tbody tr").count()).toBe(lineCount);

    // 7. Placed, to be paid through the gateway: the page shows the reference and the amount.
    await page.locator("#pay-gateway").check();
    await page.locator("#place-button").click();
    await page.locator("#order-step").waitFor();
    await until("the order reference shown", async () => (await textOf("#order-ref")).length > 0);
    const orderId = await textOf("#order-ref");
    const placed = await order(orderId, t.shop1);
    expect(placed).toMatchObject({
      id: orderId,
      status: "AWAITING_PAYMENT",
      labId: null,
      shopId: "SP01",
      total: quote.total,
      currency: "JPY",
      payment: { method: "GATEWAY", status: "PENDING", amount: quote.total, currency: "JPY" },
      shipment: null,
    });
    expect(await textOf("#order-amount")).toBe(`${quote.total} JPY`);
    expect(await textOf("#gateway-note")).toContain(`${quote.total} JPY`);
    expect(await c.ds.getRepository(PrintJobEntity).countBy({ orderId })).toBe(0);

    // 8. Paid through the gateway's test mode: its signed webhook settles it; the second lab gets it.
    await page.locator("#test-pay-button").click();
    await until("the page shows the payment settled", async () => (await textOf("#payment-status")).startsWith("SETTLED"));
    const paid = await order(orderId, t.shop1);
    expect([paid.status, paid.labId, paid.payment.status]).toEqual(["ASSIGNED", SECOND_LAB, "SETTLED"]);
    expect(await page.locator("#test-pay-button").isHidden()).toBe(true);

    // 9. The second lab's daemon prints it.
    const second = startLabDaemon(c.url, secondKey);
    try {
      await until("the reorder PRINTED", async () => (await order(orderId, t.shop1)).status === "PRINTED", {
        timeoutMs: 60_000,
        intervalMs: 100,
        detail: second.proc.output,
      });
      await second.proc.waitFor(/job \S+ completed/);
    } finally {
      expect(await second.stop()).toEqual({ code: 0, signal: null });
    }
    expect(second.proc.output()).not.toMatch(/refused:|unexpected error|Error:/);
    await until(
      "the page shows PRINTED and the parcel to pack",
      async () => (await textOf("#order-status")) === "PRINTED" && (await textOf("#shipment-status")) === "TO_PACK",
    );

    // 10. The lab packs, ships with tracking, delivers; the page follows to DELIVERED.
    const toShip = await c.gql(TO_SHIP, { lab: SECOND_LAB }, secondKey);
    expect(toShip.data!.shipmentsToShip).toEqual([{ id: expect.any(String), orderId, status: "TO_PACK" }]);
    const shipmentId: string = toShip.data!.shipmentsToShip[0].id;
    for (const [status, more] of [
      ["PACKED", {}],
      ["SHIPPED", { carrier: "Yamato", tracking: TRACKING }],
      ["DELIVERED", {}],
    ] as const) {
      const r = await c.gql(UPDATE, { id: shipmentId, status, ...more }, secondKey);
      expect(r.data!.updateShipment.errors).toEqual([]);
    }
    await until("the page shows DELIVERED with the tracking number", async () => (await textOf("#shipment-status")) === "DELIVERED", {
      timeoutMs: 20_000,
    });
    expect({
      order: await textOf("#order-status"),
      payment: await textOf("#payment-status"),
      shipment: await textOf("#shipment-status"),
      carrier: await textOf("#carrier"),
      tracking: await textOf("#tracking"),
      delivered: await page.locator("#delivered-note").isVisible(),
    }).toEqual({
      order: "COMPLETED",
      payment: "SETTLED (payment gateway)",
      shipment: "DELIVERED",
      carrier: "Yamato",
      tracking: TRACKING,
      delivered: true,
    });
    expect(await order(orderId, t.shop1)).toMatchObject({
      status: "COMPLETED",
      shipment: { id: shipmentId, status: "DELIVERED", carrier: "Yamato", trackingNumber: TRACKING },
    });

    // 11. The screenshot of the end, kept by the run.
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const png = fs.readFileSync(SCREENSHOT);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.length).toBeGreaterThan(10_000);

    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(await page.locator("#errors").isHidden()).toBe(true);
  });
});
