/**
 * Who may read GET /metrics. Metrics name every operation and error code the center serves and how
 * busy it is: nothing for the public. With METRICS_TOKEN a scraper sends `Authorization: Bearer
 * <token>`; with METRICS_PORT they are served on a listener of their own (METRICS_HOST, loopback by
 * default) and not on the public port; in production with neither, /metrics answers 404.
 */
import { timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "../config";
import type { Metrics } from "./metrics";

/** Whether a request's Authorization header carries the token (compared in constant time). */
export function metricsAuthorized(token: string | null, authorization: string | undefined): boolean {
  if (token === null) return true;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!m) return false;
  const given = Buffer.from(m[1]);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Answers a GET /metrics on either listener: 401 without the token, else the registry's text. */
export async function answerMetrics(config: Config["metrics"], metrics: Metrics, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (!metricsAuthorized(config.token, req.headers.authorization)) {
    res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer realm="metrics"' });
    res.end(JSON.stringify({ error: "metrics need Authorization: Bearer <METRICS_TOKEN>" }));
    return;
  }
  const text = await metrics.registry.metrics();
  res.writeHead(200, { "content-type": metrics.registry.contentType });
  res.end(text);
}

export interface MetricsListener {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The separate listener of METRICS_PORT: GET /metrics and nothing else. */
export async function startMetricsListener(config: Config["metrics"], metrics: Metrics): Promise<MetricsListener> {
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && (req.url ?? "").split("?")[0] === "/metrics") {
      answerMetrics(config, metrics, req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "not found" }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port ?? 0, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host.includes(":") ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
