/**
 * The reorder terminal (seed 002's communication terminal): a page the center serves at GET
 * /reorder for customers at a shop's kiosk or at home. They open their access codes, pick prints,
 * sizes and copies from the thumbnails, sign in or up, give the delivery address, see the quote,
 * place the reorder and pay at the counter or through the gateway, then follow it to delivered.
 *
 * Like the IDE, every asset is the center's own (plain HTML, CSS and JavaScript written here, and
 * graphql-ws's browser build from node_modules), so the page works on a closed network, under a
 * strict Content-Security-Policy (no inline script or style, no other origin). It uses the public
 * API only: POST /graphql, graphql-ws on /graphql for `orderUpdates`, and, in the gateway's test
 * mode (PAYMENT_TEST_MODE, never in production), POST /payments/test-mode/pay.
 */
import { createHash } from "node:crypto";
import type { Express, Request } from "express";
import { escapeHtml, mountAssets, readPackageFile, sameHostWebSocket, type Asset } from "../ide/ide";
import { TERMINAL_SCRIPT } from "./terminal-script";
import { TERMINAL_CSS } from "./terminal-style";

export const TERMINAL_PATH = "/reorder";

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

export interface ReorderTerminalOptions {
  /** Whether gateway payments are on (PAYMENT_WEBHOOK_SECRET): the page offers them. */
  gateway: boolean;
  /** PAYMENT_TEST_MODE: the page offers to complete a gateway payment itself. */
  testMode: boolean;
}

let bundle: { version: string; assets: Map<string, Asset> } | null = null;

/** Read once per process, at the first mount. */
function loadAssets(): { version: string; assets: Map<string, Asset> } {
  if (bundle) return bundle;
  const assets = new Map<string, Asset>([
    ["graphql-ws.min.js", { body: readPackageFile("graphql-ws", "umd/graphql-ws.min.js"), contentType: JS }],
    ["terminal.js", { body: Buffer.from(TERMINAL_SCRIPT, "utf8"), contentType: JS }],
    ["terminal.css", { body: Buffer.from(TERMINAL_CSS, "utf8"), contentType: CSS }],
    ["favicon.svg", { body: Buffer.from(FAVICON_SVG, "utf8"), contentType: "image/svg+xml" }],
  ]);
  const hash = createHash("sha256");
  for (const [name, asset] of assets) hash.update(name).update(asset.body);
  bundle = { version: hash.digest("hex").slice(0, 12), assets };
  return bundle;
}

/** Serves the page on GET /reorder and its assets under /reorder/assets/<version>/. */
export function mountReorderTerminal(app: Express, opts: ReorderTerminalOptions): void {
  const { version, assets } = loadAssets();
  const assetBase = `${TERMINAL_PATH}/assets/${version}`;
  app.get(TERMINAL_PATH, (req, res) => {
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Content-Security-Policy", contentSecurityPolicy(req));
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.send(pageHtml(assetBase, opts));
  });
  mountAssets(app, `${TERMINAL_PATH}/assets`, version, assets);
}

/** Only the center's own scripts, styles, images (the signed thumbnails) and connections. */
function contentSecurityPolicy(req: Request): string {
  const ws = sameHostWebSocket(req);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self'${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function pageHtml(assetBase: string, opts: ReorderTerminalOptions): string {
  const a = (name: string) => escapeHtml(`${assetBase}/${name}`);
  const gateway = opts.gateway ? `<label><input type="radio" name="payment" value="GATEWAY" id="pay-gateway"> Online, through the payment gateway</label>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Reorder your photos · Printmesh</title>
<link rel="icon" type="image/svg+xml" href="${a("favicon.svg")}">
<link rel="stylesheet" href="${a("terminal.css")}">
</head>
<body data-endpoint="/graphql" data-gateway="${opts.gateway ? "1" : "0"}" data-test-mode="${opts.testMode ? "1" : "0"}">
<header><h1>Reorder your photos</h1></header>
<main>
<div id="errors" role="alert" hidden><ul id="error-list"></ul></div>

<section id="codes-step" aria-labelledby="codes-title">
<h2 id="codes-title">1. Your access code</h2>
<form id="code-form" class="row">
<label for="code">Access code</label>
<input id="code" name="code" autocomplete="off" spellcheck="false" maxlength="100" required>
<button type="submit" id="open-code">Show my photos</button>
</form>
<ul id="opened-codes"></ul>
</section>

<section id="gallery-step" aria-labelledby="gallery-title" hidden>
<h2 id="gallery-title">2. Pick your prints</h2>
<p class="hint">Tick a photo to print it, then choose its size and how many copies.</p>
<div id="thumbnails"></div>
</section>

<section id="account-step" aria-labelledby="account-title" hidden>
<h2 id="account-title">3. Your account</h2>
<p id="signed-in" hidden></p>
<div id="account-forms" class="columns">
<form id="login-form">
<h3>Sign in</h3>
<label for="login-login">Login</label><input id="login-login" autocomplete="username" required>
<label for="login-password">Password</label><input id="login-password" type="password" autocomplete="current-password" required>
<button type="submit" id="login-button">Sign in</button>
</form>
<form id="signup-form">
<h3>New here? Sign up</h3>
<label for="signup-login">Login</label><input id="signup-login" autocomplete="username" required>
<label for="signup-name">Your name</label><input id="signup-name" autocomplete="name" required>
<label for="signup-password">Password (12 characters or more)</label><input id="signup-password" type="password" autocomplete="new-password" required>
<button type="submit" id="signup-button">Sign up</button>
</form>
</div>
</section>

<section id="address-step" aria-labelledby="address-title" hidden>
<h2 id="address-title">4. Where to deliver</h2>
<form id="address-form" class="grid">
<label for="addr-recipient">Name on the parcel</label><input id="addr-recipient" autocomplete="name">
<label for="addr-line1">Street and number</label><input id="addr-line1" autocomplete="address-line1">
<label for="addr-city">City</label><input id="addr-city" autocomplete="address-level2">
<label for="addr-postal">Postal code</label><input id="addr-postal" autocomplete="postal-code" required>
<label for="addr-country">Country (two letters, e.g. JP)</label><input id="addr-country" autocomplete="country" maxlength="2" required>
<button type="submit" id="quote-button">See the price</button>
</form>
</section>

<section id="quote-step" aria-labelledby="quote-title" hidden>
<h2 id="quote-title">5. Your price</h2>
<table id="quote-lines"><thead><tr><th>Print</th><th>Product</th><th>Sheets</th><th>Amount</th></tr></thead><tbody></tbody></table>
<p class="total">Total: <strong id="quote-total"></strong></p>
<fieldset id="payment-choice">
<legend>How you pay</legend>
<label><input type="radio" name="payment" value="COUNTER" id="pay-counter" checked> At the shop's counter</label>
${gateway}
</fieldset>
<button type="button" id="place-button">Place the reorder</button>
</section>

<section id="order-step" aria-labelledby="order-title" hidden>
<h2 id="order-title">6. Your order</h2>
<dl>
<dt>Order reference</dt><dd id="order-ref"></dd>
<dt>Amount</dt><dd id="order-amount"></dd>
<dt>Order status</dt><dd id="order-status"></dd>
<dt>Payment</dt><dd id="payment-status"></dd>
<dt>Parcel</dt><dd id="shipment-status">not shipped yet</dd>
<dt>Carrier</dt><dd id="carrier">–</dd>
<dt>Tracking number</dt><dd id="tracking">–</dd>
</dl>
<p id="counter-note" hidden></p>
<p id="gateway-note" hidden></p>
${opts.testMode ? `<button type="button" id="test-pay-button" hidden>Pay now (test mode: no money moves)</button>\n` : ""}<p id="delivered-note" hidden>Your prints were delivered. Thank you!</p>
</section>
</main>
<noscript>This page needs JavaScript.</noscript>
<script src="${a("graphql-ws.min.js")}"></script>
<script src="${a("terminal.js")}"></script>
</body>
</html>
`;
}

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#2a7ab0"/><path d="M9 24V8h8a5 5 0 0 1 0 10h-8" fill="none" stroke="#fff" stroke-width="3"/></svg>
`;
