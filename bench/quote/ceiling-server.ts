/**
 * The quote benchmark's ceiling: the same pure calculator over the same price books, behind a bare
 * `node:http` handler with no GraphQL, no auth and no database on the request path. What the
 * center reaches relative to this is what its layers (HTTP framework, GraphQL, auth) cost.
 *
 * Run as a child process by run.ts: DATABASE_URL names the generated catalog, PORT (default 0)
 * the port. Prints one JSON line `{"port":N,"shops":N,"warmMs":N}` on stdout once it listens.
 * Answers POST / with a body `{ shopId, priceDate, subOrders }` by the calculator's result as JSON.
 */
import "reflect-metadata";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { openDatabase } from "../../src/entities";
import { PriceBooks } from "../../src/pricing/price-book";
import { quoteOrder, type QuoteSubOrderInput, type ShopPricingContext } from "../../src/pricing/price-calculator";
import { databaseConfig } from "./generate";

interface CeilingRequest {
  shopId: string;
  priceDate: string;
  subOrders: QuoteSubOrderInput[];
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error("DATABASE_URL is required");
  const started = Date.now();
  const ds = await openDatabase(databaseConfig(databaseUrl), { poolSize: 4 });
  const books = new PriceBooks(ds);
  // Every shop's context built before the first request, and looked up synchronously after.
  const contexts = new Map<string, ShopPricingContext>();
  for (const shopId of await books.shopIds()) {
    const ctx = await books.contextFor(shopId);
    if (ctx) contexts.set(shopId, ctx);
  }
  const warmMs = Date.now() - started;

  const server = http.createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let status = 200;
      let body: string;
      try {
        const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as CeilingRequest;
        const ctx = contexts.get(input.shopId);
        if (ctx === undefined) {
          status = 404;
          body = JSON.stringify({ error: `No shop ${input.shopId}` });
        } else {
          body = JSON.stringify(quoteOrder(ctx, { priceDate: input.priceDate, subOrders: input.subOrders }));
        }
      } catch (e) {
        status = 400;
        body = JSON.stringify({ error: e instanceof Error ? e.message : String(e) });
      }
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => resolve());
  });
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port, shops: contexts.size, warmMs })}\n`);

  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    void ds.destroy().finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e) => {
  process.stderr.write(`ceiling-server: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
