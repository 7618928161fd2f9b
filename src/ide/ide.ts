/**
 * The admins' GraphQL IDE: GraphiQL 3 served by the center itself on GET /graphql from a browser.
 *
 * Every asset comes from node_modules (the centers run without a CDN): React 18 and GraphiQL 3 as
 * UMD bundles, graphql-ws's browser client for subscriptions, and a small bootstrap of our own.
 * GraphiQL 3 is used rather than a newer GraphiQL because it runs on CodeMirror 5, which needs no
 * web workers and no eval, so the page keeps a strict Content-Security-Policy and stays ~1.5 MB.
 *
 * Queries and mutations are POSTed as application/json (Apollo's CSRF prevention lets those
 * through); subscriptions go over graphql-ws on the same path, authenticated like any other
 * WebSocket client of the center: the Authorization header typed in the IDE's headers editor is
 * sent as connectionParams.authorization.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { Express, Request, Response } from "express";

const gzipAsync = promisify(gzip);

/** The query the IDE opens with (until the browser has kept one of its own in localStorage). */
export const DEFAULT_QUERY = `# Welcome to the Printmesh GraphQL IDE.
#
# Most of the API needs you to log in. Run:
#
#   mutation {
#     login(login: "...", password: "...") {
#       token
#       errors { code message }
#     }
#   }
#
# then put its token in the Headers tab below:
#
#   {"Authorization": "Bearer <token>"}
#
# and run the query below: it tells who you are.
# Subscriptions run over a WebSocket with the
# same Authorization header.
# Ctrl-Enter runs the operation under the cursor.

{
  me {
    login
    role
  }
}
`;

/** A page's asset, served with a long cache life under a versioned URL (the IDE's and the reorder terminal's). */
export interface Asset {
  body: Buffer;
  contentType: string;
  /** Compressed on first request, then kept: GraphiQL's bundle shrinks from ~1 MB to ~0.3 MB. */
  gzipped?: Promise<Buffer>;
}

interface AssetBundle {
  /** Part of every asset's URL, so that the assets can be cached for good and an upgrade of a package is fetched anew. */
  version: string;
  assets: Map<string, Asset>;
}

/** A file in an installed package. Resolved through the package's package.json, because most of these files are not in their package's "exports". */
function packageFile(pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
}

export function readPackageFile(pkg: string, file: string): Buffer {
  const text = fs.readFileSync(packageFile(pkg, file), "utf8");
  // The source maps are not served: drop the reference so that a browser's devtools do not ask for them.
  return Buffer.from(text.replace(/\n\/[/*][#@] sourceMappingURL=[^\n]*\s*$/, "\n"), "utf8");
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

let bundle: AssetBundle | null = null;

/** Read once per process, at the first mount: a missing package fails the start, not the first admin's visit. */
function loadAssets(endpoint: string): AssetBundle {
  if (bundle) return bundle;
  const assets = new Map<string, Asset>([
    ["react.production.min.js", { body: readPackageFile("react", "umd/react.production.min.js"), contentType: JS }],
    ["react-dom.production.min.js", { body: readPackageFile("react-dom", "umd/react-dom.production.min.js"), contentType: JS }],
    ["graphql-ws.min.js", { body: readPackageFile("graphql-ws", "umd/graphql-ws.min.js"), contentType: JS }],
    ["graphiql.min.js", { body: readPackageFile("graphiql", "graphiql.min.js"), contentType: JS }],
    ["graphiql.min.css", { body: readPackageFile("graphiql", "graphiql.min.css"), contentType: CSS }],
    ["printmesh-ide.js", { body: Buffer.from(bootstrapScript(endpoint), "utf8"), contentType: JS }],
    ["printmesh-ide.css", { body: Buffer.from(PAGE_CSS, "utf8"), contentType: CSS }],
    ["favicon.svg", { body: Buffer.from(FAVICON_SVG, "utf8"), contentType: "image/svg+xml" }],
  ]);
  const hash = createHash("sha256");
  for (const [name, asset] of assets) hash.update(name).update(asset.body);
  bundle = { version: hash.digest("hex").slice(0, 12), assets };
  return bundle;
}

/**
 * Serves the IDE on GET `endpoint` to browsers and its assets under `endpoint`/ide/. Mount it
 * before the GraphQL middleware: every request that is not for the IDE goes on to it.
 */
export function mountIde(app: Express, opts: { endpoint: string }): void {
  const endpoint = opts.endpoint.replace(/\/+$/, "");
  const { version, assets } = loadAssets(endpoint);
  const assetBase = `${endpoint}/ide/${version}`;

  app.get(endpoint, (req, res, next) => {
    if (!wantsIde(req)) return next();
    const nonce = randomBytes(16).toString("base64");
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    // The same URL answers JSON to GraphQL clients: caches must tell the two apart.
    res.setHeader("Vary", "Accept");
    // A fresh nonce on every load.
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Content-Security-Policy", contentSecurityPolicy(req, nonce));
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.send(pageHtml(assetBase, nonce));
  });

  mountAssets(app, `${endpoint}/ide`, version, assets);
}

/**
 * Serves a page's assets under `<base>/<version>/<name>`: only this version's names (a page of
 * another version gets 404, not stale bytes), cached for good since the version is in the path.
 */
export function mountAssets(app: Express, base: string, version: string, assets: Map<string, Asset>): void {
  app.get(`${base}/:version/:name`, async (req, res, next) => {
    const asset = req.params.version === version ? assets.get(req.params.name) : undefined;
    if (!asset) {
      res.status(404).type("text/plain").send("Not found");
      return;
    }
    try {
      await sendAsset(req, res, asset, version);
    } catch (e) {
      next(e);
    }
  });
}

/** A browser's visit, not a GraphQL request: Apollo answers GET queries (and their `extensions`, for persisted queries) itself. */
function wantsIde(req: Request): boolean {
  const params = new URL(req.originalUrl, "http://localhost").searchParams;
  if (params.has("query") || params.has("extensions")) return false;
  // A browser ranks text/html first; GraphQL clients ask for JSON or for anything (*/*).
  return req.accepts(["application/graphql-response+json", "application/json", "text/html"]) === "text/html";
}

/** Sends a page asset: immutable under its versioned URL, gzipped when the browser takes it and it is worth it. */
export async function sendAsset(req: Request, res: Response, asset: Asset, version: string): Promise<void> {
  res.setHeader("Content-Type", asset.contentType);
  // The version in the URL changes with the content.
  res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Vary", "Accept-Encoding");
  if (asset.body.length > 1024 && req.acceptsEncodings("gzip") === "gzip") {
    asset.gzipped ??= gzipAsync(asset.body, { level: 9 });
    const body = await asset.gzipped;
    res.setHeader("Content-Encoding", "gzip");
    res.setHeader("ETag", `"${version}-gz"`);
    res.send(body);
    return;
  }
  // Set here so that Express does not hash a megabyte on every request; it still answers 304 to If-None-Match.
  res.setHeader("ETag", `"${version}"`);
  res.send(asset.body);
}

/**
 * Only the center's own scripts, styles and connections. The exceptions are what the bundles need:
 * GraphiQL's stylesheet embeds its fonts and a few images as data: URLs, and the scroll lock of its
 * dialogs (react-remove-scroll) injects a <style> element, allowed by this page's nonce.
 */
function contentSecurityPolicy(req: Request, nonce: string): string {
  const ws = sameHostWebSocket(req);
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src 'self'${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * The page's own host as a WebSocket source for `connect-src` (" ws://host:port"), or "" when the
 * Host header is not a plain host: 'self' covers ws:/wss: to the same host in CSP Level 3
 * browsers; older ones need the host spelled out.
 */
export function sameHostWebSocket(req: Request): string {
  const host = req.headers.host;
  const ws = host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? ` ${req.secure ? "wss" : "ws"}://${host}` : "";
  return ws;
}

/** Text made safe for HTML, in an element or an attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function pageHtml(assetBase: string, nonce: string): string {
  const a = (name: string) => escapeHtml(`${assetBase}/${name}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Printmesh GraphQL IDE</title>
<link rel="icon" type="image/svg+xml" href="${a("favicon.svg")}">
<link rel="stylesheet" href="${a("graphiql.min.css")}">
<link rel="stylesheet" href="${a("printmesh-ide.css")}">
</head>
<body>
<div id="graphiql"><p class="printmesh-ide-loading">Loading the Printmesh GraphQL IDE…</p></div>
<noscript>The Printmesh GraphQL IDE needs JavaScript.</noscript>
<script src="${a("react.production.min.js")}"></script>
<script src="${a("react-dom.production.min.js")}"></script>
<script src="${a("graphql-ws.min.js")}"></script>
<script src="${a("graphiql.min.js")}"></script>
<script src="${a("printmesh-ide.js")}" nonce="${escapeHtml(nonce)}"></script>
</body>
</html>
`;
}

const PAGE_CSS = `html, body { height: 100%; margin: 0; }
#graphiql { height: 100vh; }
.printmesh-ide-loading { font-family: system-ui, sans-serif; padding: 2rem; color: #555; }
`;

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#e535ab"/><path d="M9 24V8h8a5 5 0 0 1 0 10h-8" fill="none" stroke="#fff" stroke-width="3"/></svg>
`;

/**
 * The page's own script (plain browser JavaScript). It builds GraphiQL's fetcher: HTTP POST for
 * queries and mutations, graphql-ws for subscriptions.
 */
function bootstrapScript(endpoint: string): string {
  return `"use strict";
(() => {
  const ENDPOINT = ${JSON.stringify(endpoint)};
  const DEFAULT_QUERY = ${JSON.stringify(DEFAULT_QUERY)};

  // react-remove-scroll (GraphiQL's dialogs) injects a <style> element and takes its CSP nonce
  // from this global.
  const script = document.currentScript;
  if (script && script.nonce) window.__webpack_nonce__ = script.nonce;

  const httpUrl = new URL(ENDPOINT, location.href);
  const wsUrl = new URL(ENDPOINT, location.href);
  wsUrl.protocol = location.protocol === "https:" ? "wss:" : "ws:";

  function headerValue(headers, name) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name && headers[key] != null) return String(headers[key]);
    }
    return undefined;
  }

  // Which kind of operation a request runs, read from the query text itself: GraphiQL's parsed
  // document (opts.documentAST) lags the editor by a debounce, so right after an edit it can still
  // describe the previous query. Strings and comments are blanked out, then the top-level
  // definitions are found by counting braces (those inside argument lists excepted).
  function operationType(query, operationName) {
    const text = query.replace(/"""[\\s\\S]*?"""|"(?:[^"\\\\\\n]|\\\\.)*"|#[^\\n\\r]*/g, " ");
    const tokens = text.match(/[{}()]|[_A-Za-z][_0-9A-Za-z]*/g) || [];
    const operations = [];
    let depth = 0;
    let parens = 0;
    let pending = null; // a definition whose selection set has not begun yet
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t === "(") parens++;
      else if (t === ")") parens--;
      else if (parens > 0) continue;
      else if (t === "{") {
        if (depth === 0 && pending === null) operations.push({ type: "query", name: null });
        pending = null;
        depth++;
      } else if (t === "}") depth--;
      else if (depth === 0 && pending === null) {
        if (t === "query" || t === "mutation" || t === "subscription") {
          const next = tokens[i + 1];
          pending = { type: t, name: next && /^[_A-Za-z]/.test(next) ? next : null };
          operations.push(pending);
        } else if (t === "fragment") pending = { type: "fragment", name: null };
      }
    }
    const operation = operationName
      ? operations.find((o) => o.name === operationName)
      : operations.length === 1 ? operations[0] : undefined;
    return operation ? operation.type : undefined;
  }

  async function postJson(params, headers) {
    const h = new Headers(headers);
    // JSON bodies get past Apollo's CSRF prevention, which refuses "simple" requests.
    h.set("content-type", "application/json");
    if (!h.has("accept")) h.set("accept", "application/graphql-response+json, application/json");
    const response = await fetch(httpUrl, { method: "POST", headers: h, body: JSON.stringify(params) });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      return { errors: [{ message: "HTTP " + response.status + " " + response.statusText + ": " + text.slice(0, 1000) }] };
    }
  }

  // The center reads the Authorization once per WebSocket, from connection_init: another header
  // in the editor needs another connection.
  let ws = null;
  function wsClient(authorization) {
    if (ws && ws.authorization === authorization) return ws.client;
    if (ws) ws.client.dispose();
    const client = graphqlWs.createClient({
      url: wsUrl.href,
      connectionParams: authorization === undefined ? {} : { authorization },
      lazy: true,
      // A refused token or a lost connection shows up at once in the result pane; run again to retry.
      retryAttempts: 0,
    });
    ws = { authorization, client };
    return client;
  }

  function describeWsFailure(e) {
    if (e instanceof Error) return e;
    if (e && typeof e.code === "number") {
      if (e.code === 4403) return new Error("The center refused the WebSocket: the Authorization header is not valid (4403 Forbidden).");
      return new Error("The WebSocket closed (" + e.code + (e.reason ? ": " + e.reason : "") + ").");
    }
    return new Error("Could not connect to " + wsUrl.href + ".");
  }

  function subscribe(params, authorization) {
    // GraphiQL takes an observable: it calls unsubscribe when the user stops the operation.
    return {
      subscribe(observer) {
        const dispose = wsClient(authorization).subscribe(params, {
          next: (result) => observer.next(result),
          error: (e) => {
            if (Array.isArray(e)) {
              // The server refused the operation (e.g. a validation error): show it like an HTTP answer.
              observer.next({ errors: e });
              observer.complete();
            } else {
              observer.error(describeWsFailure(e));
            }
          },
          complete: () => observer.complete(),
        });
        return { unsubscribe: dispose };
      },
    };
  }

  function fetcher(params, opts) {
    const headers = (opts && opts.headers) || {};
    if (operationType(params.query, params.operationName) === "subscription") {
      return subscribe(params, headerValue(headers, "authorization"));
    }
    return postJson(params, headers);
  }

  const root = document.getElementById("graphiql");
  ReactDOM.createRoot(root).render(
    React.createElement(
      GraphiQL,
      {
        fetcher,
        defaultQuery: DEFAULT_QUERY,
        // The token goes in the headers editor: open it from the start.
        defaultEditorToolsVisibility: "headers",
        // shouldPersistHeaders is left to its default (off): tokens stay out of localStorage unless
        // the admin turns it on in GraphiQL's settings (passing false would hide that setting).
      },
      React.createElement(GraphiQL.Logo, null, "Printmesh"),
    ),
  );
})();
`;
}
