/**
 * Boots the real center in-process on port 0 over a fresh test database, and talks to it over HTTP
 * and graphql-ws like any client would.
 */
import "reflect-metadata";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { DataSource } from "typeorm";
import { loadConfig, type Config } from "../../src/config";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { createServer, type RunningServer } from "../../src/server";
import { openTestDatabase } from "./database";
import { queryCounter } from "../../src/db/query-counter";
import { CENTER_HTTP_DIFFERENTIAL, CENTER_NODE_ENV } from "./env";

export const PATENT_FIXTURE = path.resolve(__dirname, "../../fixtures/patent-example.json");
export const DEMO_FIXTURE = path.resolve(__dirname, "../../fixtures/demo-catalog.json");
/** The bearer token /metrics asks of the test centers (production serves metrics only with one). */
export const TEST_METRICS_TOKEN = "test-metrics-token-0123456789";
export const METRICS_HEADERS = { authorization: `Bearer ${TEST_METRICS_TOKEN}` };
/** The order of seed 003's worked example, at the patent fixture's shop SP01: it quotes 1050. */
export const WORKED_EXAMPLE_ORDER = {
  shopId: "SP01",
  subOrders: [
    { serviceId: "SV01", sheets: 5, items: [{ imageId: "IMG-C01" }, { imageId: "my-own-photo" }] },
    { serviceId: "SV02", sheets: 10, items: [{ imageId: "my-own-photo" }] },
  ],
};

export interface GqlResult<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown>; path?: string[] }>;
}

export interface TestCenter {
  url: string;
  server: RunningServer;
  ds: DataSource;
  config: Config;
  /** POST a GraphQL operation with an optional bearer credential. */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, bearer?: string | null, operationName?: string): Promise<GqlResult<T>>;
  /** Log in and return the session token (fails the test if login fails). */
  login(login: string, password: string): Promise<string>;
  ws(bearer?: string | null): Client;
  stop(): Promise<void>;
}

export async function startCenter(opts: { env?: Record<string, string>; bundle?: string | object | null } = {}): Promise<TestCenter> {
  const { ds, test, close } = await openTestDatabase();
  if (opts.bundle !== null) {
    const raw = typeof opts.bundle === "object" ? opts.bundle : JSON.parse(fs.readFileSync(opts.bundle ?? PATENT_FIXTURE, "utf8"));
    const report = await importBundle(ds, raw, {});
    if (!report.ok) throw new Error("fixture does not import: " + JSON.stringify(report.faults));
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-data-"));
  const config = loadConfig({
    NODE_ENV: CENTER_NODE_ENV,
    ...(CENTER_HTTP_DIFFERENTIAL !== undefined ? { GRAPHQL_HTTP_DIFFERENTIAL: CENTER_HTTP_DIFFERENTIAL } : {}),
    DATABASE_URL: test.url,
    PORT: "0",
    JWT_SECRET: "test-secret-".padEnd(48, "x"),
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    ...opts.env,
  });
  const server = await createServer(config, { ds });
  const clients: Client[] = [];
  const gql: TestCenter["gql"] = async (query, variables, bearer, operationName) => {
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/graphql-response+json" };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const res = await fetch(`${server.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables, operationName }) });
    const body = (await res.json()) as GqlResult;
    return { status: res.status, data: body.data as never, errors: body.errors };
  };
  return {
    url: server.url,
    server,
    ds,
    config,
    gql,
    async login(login, password) {
      const r = await gql<{ login: { token: string | null; errors: unknown[] } }>(
        "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { token errors { code message } } }",
        { l: login, p: password },
      );
      if (!r.data?.login.token) throw new Error(`login ${login} failed: ${JSON.stringify(r)}`);
      return r.data.login.token;
    },
    ws(bearer) {
      const c = createClient({
        url: server.url.replace(/^http/, "ws") + "/graphql",
        webSocketImpl: WebSocket,
        connectionParams: bearer ? { authorization: `Bearer ${bearer}` } : {},
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) await c.dispose();
      const differences = (await server.metrics.httpLaneDifferences.get()).values[0]?.value ?? 0;
      await server.stop();
      await close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      // Differential mode: a request its two HTTP lanes answered differently fails the test file.
      if (differences > 0)
        throw new Error(
          `${differences} HTTP request(s) answered differently by the center's own lane and Apollo (HTTP_LANE_DIFFERENCE; the center's log has both answers)`,
        );
    },
  };
}

/** The people of the seed fixture (fixtures/patent-example.json), by the names tests use. */
export const FIXTURE_PEOPLE = {
  center: ["center", "center-pass-1"],
  groupA: ["group-a", "group-a-pass"],
  groupB: ["group-b", "group-b-pass"],
  shop1: ["shop-1", "shop-1-pass"],
  shop2: ["shop-2", "shop-2-pass"],
  shop3: ["shop-3", "shop-3-pass"],
  shop4: ["shop-4", "shop-4-pass"],
  customer: ["customer", "customer-pass"],
} as const;

/** Session tokens for the fixture's people, by those names. */
export async function loginPeople(
  c: TestCenter,
  names: Array<keyof typeof FIXTURE_PEOPLE> = Object.keys(FIXTURE_PEOPLE) as Array<keyof typeof FIXTURE_PEOPLE>,
): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const name of names) {
    const [login, password] = FIXTURE_PEOPLE[name];
    tokens[name] = await c.login(login, password);
  }
  return tokens;
}

/** The first value of a subscription, or a rejection with its error. */
export function nextEvent<T>(client: Client, query: string, variables: Record<string, unknown> = {}): { value: Promise<T>; dispose(): void } {
  let dispose = () => {};
  const value = new Promise<T>((resolve, reject) => {
    dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (v) => (v.errors ? reject(new Error(JSON.stringify(v.errors))) : resolve(v.data as T)),
        error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
        complete: () => undefined,
      },
    );
  });
  return { value, dispose: () => dispose() };
}

/**
 * The statements the center sends while `work` runs, the least over `tries` runs (each its own
 * input: `work` gets the run's index). The center's own timers (the lease sweeper, the load
 * pruner) may add statements to a run, never take any away, so the least is what the work costs.
 */
export async function leastStatements<T>(tries: number, work: (i: number) => Promise<T>): Promise<{ count: number; results: T[] }> {
  let count = Infinity;
  const results: T[] = [];
  for (let i = 0; i < tries; i++) {
    const before = queryCounter.count;
    results.push(await work(i));
    count = Math.min(count, queryCounter.count - before);
  }
  return { count, results };
}
