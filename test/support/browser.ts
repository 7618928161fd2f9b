/** Headless Chromium for the browser tests: Debian's package, launched the same way by every test. */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
/**
 * Whether the browser tests can run. Where they must (CI sets REQUIRE_BROWSER=1), a missing
 * Chromium fails the run instead of skipping them.
 */
export const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium && process.env.REQUIRE_BROWSER === "1") {
  throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install -y chromium)`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    headless: true,
    executablePath: CHROMIUM,
    // Root needs --no-sandbox; the others keep Chromium from calling home on a closed network.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page's own origin for the browser tests: `/` serves `page`, other paths the given assets. */
export async function servePage(
  page: string,
  assets: Record<string, { type: string; body: () => Buffer }>,
): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const asset = req.url ? assets[req.url] : undefined;
    if (asset) {
      const body = asset.body();
      res.writeHead(200, { "content-type": asset.type, "content-length": body.length });
      res.end(body);
    } else if (req.url === "/favicon.ico") {
      res.writeHead(204).end();
    } else if (req.url === "/" || req.url?.startsWith("/?")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(page);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
