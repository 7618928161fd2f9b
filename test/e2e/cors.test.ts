/**
 * Browser pages on other origins (CORS_ORIGINS), end to end on the real center: preflight and
 * actual-request headers on /graphql and /images for a listed and an unlisted origin, CSRF
 * prevention still on, no CORS at all without the variable; then a real headless Chromium on a page
 * served from a second local server (another origin) that queries GraphQL and uploads a form, and
 * the same page from an origin not listed, whose calls fail and store nothing.
 *
 * Needs Debian's chromium (/usr/bin/chromium); without it the browser tests are skipped.
 */
import { CHROMIUM, haveChromium, launchChromium, servePage } from "../support/browser";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import { createServer } from "../../src/server";
import { ImageEntity } from "../../src/images/image.entity";
import { startCenter, type TestCenter } from "../support/center";
import { makePng } from "../support/images";
import { until } from "../support/until";

const describeInBrowser = haveChromium ? describe : describe.skip;
const browserSuite = haveChromium
  ? "a page on another origin, in headless Chromium"
  : `a page on another origin — SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`;

/** Two local servers for pages: one origin listed in CORS_ORIGINS, one not. */
let listedPages: PageServer;
let unlistedPages: PageServer;
let c: TestCenter;
let token: string;
const LISTED = () => listedPages.origin;
const UNLISTED = () => unlistedPages.origin;
const photo = makePng(30, 20, 7);

beforeAll(async () => {
  listedPages = await startPageServer();
  unlistedPages = await startPageServer();
  c = await startCenter({ env: { CORS_ORIGINS: `https://shop.example.com, ${listedPages.origin}` } });
  token = await c.login("customer", "customer-pass");
});
afterAll(async () => {
  await c?.stop();
  await listedPages?.close();
  await unlistedPages?.close();
});

// --- helpers ----------------------------------------------------------------------------------------

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with exactly these headers (fetch outside a browser may not send Origin as given). */
function raw(baseUrl: string, method: string, url: string, headers: Record<string, string>, body?: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      baseUrl + url,
      { method, headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (b: Buffer) => chunks.push(b));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const preflight = (origin: string, url: string, method = "POST", requestHeaders = "content-type, authorization", baseUrl = c.url) =>
  raw(baseUrl, "OPTIONS", url, { origin, "access-control-request-method": method, "access-control-request-headers": requestHeaders });

/** The answer's CORS headers (access-control-*), by name. */
function corsHeaders(a: RawAnswer): Record<string, string> {
  return Object.fromEntries(Object.entries(a.headers).filter(([k]) => k.startsWith("access-control-")) as Array<[string, string]>);
}

const varyList = (a: RawAnswer) =>
  String(a.headers.vary ?? "")
    .split(/\s*,\s*/)
    .map((v) => v.toLowerCase());

const imageRows = () => c.ds.getRepository(ImageEntity).count();

// --- headers, without a browser ---------------------------------------------------------------------

describe("preflights", () => {
  it.each(["/graphql", "/images", "/images/IMG-0001", "/images/IMG-0001/thumbnail"])(
    "are answered for a listed origin on %s: that origin, the methods and headers, max-age, Vary",
    async (url) => {
      const a = await preflight(
        LISTED(),
        url,
        "POST",
        "content-type, authorization, apollo-require-preflight, x-apollo-operation-name, apollographql-client-name",
      );
      expect(a.status).toBe(204);
      expect(a.body).toBe("");
      expect(corsHeaders(a)).toEqual({
        "access-control-allow-origin": LISTED(),
        "access-control-allow-methods": "GET,HEAD,POST,PUT",
        "access-control-allow-headers":
          "content-type,authorization,apollo-require-preflight,x-apollo-operation-name,apollographql-client-name,apollographql-client-version,x-request-id",
        "access-control-expose-headers": "x-request-id,retry-after,www-authenticate",
        "access-control-max-age": "600",
      });
      expect(varyList(a)).toContain("origin");
    },
  );

  it("name each listed origin alone, never a wildcard", async () => {
    const a = await preflight("https://shop.example.com", "/graphql");
    expect(a.headers["access-control-allow-origin"]).toBe("https://shop.example.com");
    expect(a.headers["access-control-allow-credentials"]).toBeUndefined();
  });

  it.each([
    ["an origin not listed", () => UNLISTED()],
    ["another scheme of a listed host", () => "http://shop.example.com"],
    ["a listed origin's subdomain", () => "https://evil.shop.example.com"],
    ["a listed origin with a path glued on", () => "https://shop.example.com.evil.test"],
    ["the null origin", () => "null"],
  ])("give %s no CORS allowance at all", async (_what, origin) => {
    for (const url of ["/graphql", "/images", "/images/IMG-0001"]) {
      const a = await preflight(origin(), url);
      expect(a.status).toBe(204);
      expect(corsHeaders(a)).toEqual({});
      expect(varyList(a)).toContain("origin");
    }
  });

  it("leave other paths alone", async () => {
    const a = await preflight(LISTED(), "/healthz", "GET");
    expect(corsHeaders(a)).toEqual({});
  });
});

describe("actual requests", () => {
  it("from a listed origin carry the allowance on /graphql, answered as without it", async () => {
    const body = JSON.stringify({ query: "{ me { login } }" });
    const a = await raw(c.url, "POST", "/graphql", { origin: LISTED(), "content-type": "application/json", authorization: `Bearer ${token}` }, body);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ data: { me: { login: "customer" } } });
    expect(a.headers["access-control-allow-origin"]).toBe(LISTED());
    expect(a.headers["access-control-expose-headers"]).toBe("x-request-id,retry-after,www-authenticate");
    expect(a.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(varyList(a)).toContain("origin");

    const refused = await raw(c.url, "POST", "/graphql", { origin: LISTED(), "content-type": "application/json", authorization: "Bearer not-a-token" }, body);
    expect(refused.status).toBe(401);
    expect(refused.headers["access-control-allow-origin"]).toBe(LISTED());
  });

  it("from a listed origin carry the allowance on /images, refusals included", async () => {
    const before = await imageRows();
    const a = await raw(c.url, "POST", "/images", { origin: LISTED(), "content-type": "image/png" }, photo);
    expect(a.status).toBe(401);
    expect(JSON.parse(a.body).error.code).toBe("UNAUTHENTICATED");
    expect(a.headers["access-control-allow-origin"]).toBe(LISTED());
    const missing = await raw(c.url, "GET", "/images/IMG-NONE", { origin: LISTED(), authorization: `Bearer ${token}` });
    expect(missing.status).toBe(404);
    expect(missing.headers["access-control-allow-origin"]).toBe(LISTED());
    expect(await imageRows()).toBe(before);
  });

  it("from an origin not listed get no allowance (the browser keeps the answer from the page)", async () => {
    const body = JSON.stringify({ query: "{ me { login } }" });
    const a = await raw(c.url, "POST", "/graphql", { origin: UNLISTED(), "content-type": "application/json", authorization: `Bearer ${token}` }, body);
    expect(a.status).toBe(200);
    expect(corsHeaders(a)).toEqual({});
    expect(varyList(a)).toContain("origin");
  });

  it("keep CSRF prevention: a simple GET or text/plain POST is refused without the preflight header, even from a listed origin", async () => {
    const query = encodeURIComponent("{ me { login } }");
    const get = await raw(c.url, "GET", `/graphql?query=${query}`, { origin: LISTED() });
    expect(get.status).toBe(400);
    expect(get.body).toMatch(/CSRF/);
    const text = await raw(c.url, "POST", "/graphql", { origin: LISTED(), "content-type": "text/plain" }, JSON.stringify({ query: "{ me { login } }" }));
    expect(text.status).toBe(400);
    expect(text.body).toMatch(/CSRF/);

    const preflighted = await raw(c.url, "GET", `/graphql?query=${query}`, {
      origin: LISTED(),
      "apollo-require-preflight": "1",
      authorization: `Bearer ${token}`,
    });
    expect(preflighted.status).toBe(200);
    expect(JSON.parse(preflighted.body)).toEqual({ data: { me: { login: "customer" } } });
    expect(preflighted.headers["access-control-allow-origin"]).toBe(LISTED());
  });

  it("get no CORS headers at all from a center without CORS_ORIGINS", async () => {
    const plain = await createServer({ ...c.config, port: 0, corsOrigins: [] }, { ds: c.ds });
    try {
      const pre = await preflight(LISTED(), "/graphql", "POST", "content-type", plain.url);
      expect(corsHeaders(pre)).toEqual({});
      const a = await raw(
        plain.url,
        "POST",
        "/graphql",
        { origin: LISTED(), "content-type": "application/json" },
        JSON.stringify({ query: "{ me { login } }" }),
      );
      expect(a.status).toBe(200);
      expect(corsHeaders(a)).toEqual({});
      expect(varyList(a)).not.toContain("origin");
    } finally {
      await plain.stop();
    }
  });
});

// --- a real browser ---------------------------------------------------------------------------------

/**
 * The page a frontend on another origin would be: it reads the center's URL and a token from its
 * fragment, asks GraphQL who is logged in, and uploads its own photo in a form, as a person's
 * browser does. What it got is left in `window.outcome`.
 */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Print shop</title></head>
<body><pre id="out">running</pre>
<script type="module">
const given = new URLSearchParams(location.hash.slice(1));
const center = given.get("center");
const auth = { authorization: "Bearer " + given.get("token") };
const outcome = {};
try {
  const r = await fetch(center + "/graphql", { method: "POST", headers: { "content-type": "application/json", ...auth }, body: JSON.stringify({ query: "{ me { login } }" }) });
  outcome.graphql = { status: r.status, body: await r.json(), requestId: r.headers.get("x-request-id") };
} catch (e) {
  outcome.graphql = { failed: String(e) };
}
try {
  const form = new FormData();
  form.append("note", "from the shop's page");
  form.append("file", await (await fetch("/photo.png")).blob(), "photo.png");
  const r = await fetch(center + "/images", { method: "POST", headers: auth, body: form });
  outcome.upload = { status: r.status, body: await r.json() };
} catch (e) {
  outcome.upload = { failed: String(e) };
}
window.outcome = outcome;
document.getElementById("out").textContent = JSON.stringify(outcome);
</script></body></html>`;

interface PageServer {
  origin: string;
  close(): Promise<void>;
}

async function startPageServer(): Promise<PageServer> {
  return servePage(PAGE, { "/photo.png": { type: "image/png", body: () => photo } });
}

describeInBrowser(browserSuite, () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens the page from `pages` and waits for what its calls got. */
  async function runPage(pages: PageServer): Promise<{ outcome: any; consoleErrors: string[] }> {
    expect(new URL(pages.origin).origin).not.toBe(new URL(c.url).origin);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") consoleErrors.push(m.text());
      });
      page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
      await page.goto(`${pages.origin}/#center=${encodeURIComponent(c.url)}&token=${encodeURIComponent(token)}`);
      await until("the page's calls to end", () => page.evaluate("window.outcome !== undefined"), { timeoutMs: 15_000, intervalMs: 100 });
      return { outcome: await page.evaluate("window.outcome"), consoleErrors };
    } finally {
      await context.close();
    }
  }

  it("a page from a listed origin queries GraphQL and uploads a form to the center", async () => {
    const before = await imageRows();
    const { outcome, consoleErrors } = await runPage(listedPages);
    expect(outcome.graphql).toEqual({ status: 200, body: { data: { me: { login: "customer" } } }, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(outcome.upload).toEqual({
      status: 201,
      body: { id: expect.stringMatching(/^IMG-[0-9A-F]{20}$/), sha256: expect.any(String), width: 30, height: 20 },
    });
    expect(consoleErrors).toEqual([]);

    const stored = await c.ds.getRepository(ImageEntity).findOneOrFail({ where: { id: outcome.upload.body.id } });
    expect(stored).toMatchObject({ ownerUserId: "U100", stock: false, contentType: "image/png", bytes: photo.length, sha256: outcome.upload.body.sha256 });
    expect(fs.readFileSync(path.join(c.config.dataDir, "images", stored.storageKey)).equals(photo)).toBe(true);
    expect(await imageRows()).toBe(before + 1);
  });

  it("a page from an origin not listed gets nothing: its calls fail in the browser and nothing is stored", async () => {
    const before = await imageRows();
    const { outcome, consoleErrors } = await runPage(unlistedPages);
    expect(outcome).toEqual({ graphql: { failed: "TypeError: Failed to fetch" }, upload: { failed: "TypeError: Failed to fetch" } });
    // Chromium says why: the preflight carried no allowance for this origin.
    expect(consoleErrors.some((e) => e.includes("has been blocked by CORS policy"))).toBe(true);
    expect(await imageRows()).toBe(before);
  });
});
