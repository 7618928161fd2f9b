/**
 * The server's own surface: health, readiness, metrics, logs without secrets, the security baseline
 * (CSRF prevention, depth/alias/cost limits, no batching, introspection switch) and the
 * GraphQL-over-HTTP audit.
 */
import { Writable } from "node:stream";
import pino from "pino";
import { serverAudits } from "graphql-http";
import { loadConfig } from "../../src/config";
import { createServer, type RunningServer } from "../../src/server";
import { openTestDatabase } from "../support/database";
import * as fs from "node:fs";
import { PATENT_FIXTURE, startCenter, type TestCenter } from "../support/center";

let c: TestCenter;
beforeAll(async () => {
  c = await startCenter();
});
afterAll(async () => {
  await c?.stop();
});

describe("health, readiness and metrics", () => {
  it("answers /healthz and /readyz", async () => {
    const h = await fetch(`${c.url}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toEqual({ status: "ok" });
    const r = await fetch(`${c.url}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: "ready" });
  });

  it("counts operations by root field, errors by code and open WebSockets", async () => {
    const token = await c.login("center", "center-pass-1");
    await c.gql("{ me { login } }", {}, token);
    await c.gql("{ users { id } }", {}, null);
    const ws = c.ws(token);
    await new Promise<void>((resolve) => {
      ws.on("connected", () => resolve());
      ws.subscribe({ query: "subscription { notifications { id } }" }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    });
    const text = await (await fetch(`${c.url}/metrics`)).text();
    expect(text).toMatch(/printmesh_graphql_operations_total\{operation="me",type="query"\} [1-9]/);
    expect(text).toMatch(/printmesh_graphql_operation_seconds_bucket\{le="[^"]+",operation="login",type="mutation"\} [1-9]/);
    expect(text).toMatch(/printmesh_graphql_errors_total\{code="UNAUTHENTICATED"\} [1-9]/);
    expect(text).toMatch(/printmesh_websocket_connections [1-9]/);
    await ws.dispose();
  });
});

describe("security baseline", () => {
  it("refuses a GET query without a preflight header (CSRF prevention) and allows JSON POSTs", async () => {
    const get = await fetch(`${c.url}/graphql?query=${encodeURIComponent("{ me { login } }")}`);
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/CSRF/i);
    const preflighted = await fetch(`${c.url}/graphql?query=${encodeURIComponent("{ me { login } }")}`, { headers: { "apollo-require-preflight": "1" } });
    expect(preflighted.status).toBe(200);
  });

  it("refuses batched HTTP requests", async () => {
    const r = await fetch(`${c.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ me { login } }" }, { query: "{ me { login } }" }]),
    });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/batch/i);
  });

  it("limits query depth, aliases and cost with clear errors", async () => {
    const strict = await startCenter({ env: { GRAPHQL_MAX_DEPTH: "3", GRAPHQL_MAX_COST: "100" }, bundle: null });
    try {
      const d = await strict.gql('{ shopOffer(shopId: "SP01") { services { products { prices { source } } } } }');
      expect(d.status).toBe(400);
      expect(d.errors![0].message).toMatch(/depth limit of 3 exceeded/i);
      const costly = "{ " + Array.from({ length: 20 }, (_, i) => `s${i}: shops { id name location { lat lng } }`).join(" ") + " }";
      const cost = await strict.gql(costly);
      expect(cost.errors!.map((e) => e.message).join(" ")).toMatch(/cost limit of 100 exceeded/i);
    } finally {
      await strict.stop();
    }
    const aliases = "{ " + Array.from({ length: 40 }, (_, i) => `a${i}: me { login }`).join(" ") + " }";
    const a = await c.gql(aliases);
    expect(a.errors![0].message).toMatch(/aliases limit of 30 exceeded/i);
  });

  it("does not log passwords, tokens or lab keys", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const { ds, test, close } = await openTestDatabase();
    const { importBundle } = await import("../../src/catalog/bundle-import.service");
    await importBundle(ds, JSON.parse(fs.readFileSync(PATENT_FIXTURE, "utf8")), {});
    const config = loadConfig({ NODE_ENV: "test", DATABASE_URL: test.url, PORT: "0", JWT_SECRET: "y".repeat(40), DATA_DIR: "/tmp/printmesh-log-test", LOG_LEVEL: "trace" });
    let server: RunningServer | null = null;
    try {
      server = await createServer(config, { ds, logger: pino({ level: "trace" }, sink) });
      const post = (body: object, bearer?: string) =>
        fetch(`${server!.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ data: { login: { token: string } } }>);
      const ok = await post({ query: 'mutation { login(login: "center", password: "center-pass-1") { token } }' });
      await post({ query: "mutation($p: String!) { login(login: \"center\", password: $p) { token } }", variables: { p: "wrong-secret-pw" } });
      await post({ query: "{ me { login } }" }, ok.data.login.token);
      await post({ query: "{ labs { id } }" }, "lab01-key-0123456789abcdef");
      const all = lines.join("");
      expect(all).toContain('"operation":"login"');
      for (const secret of ["center-pass-1", "wrong-secret-pw", ok.data.login.token, "lab01-key-0123456789abcdef"]) expect(all).not.toContain(secret);
    } finally {
      await server?.stop();
      await close();
    }
  });

  it("can switch introspection and field suggestions off", async () => {
    const off = await startCenter({ env: { GRAPHQL_INTROSPECTION: "0" }, bundle: null });
    try {
      const r = await off.gql("{ __schema { queryType { name } } }");
      expect(r.errors![0].message).toMatch(/introspection/i);
      const typo = await off.gql("{ mee { login } }");
      expect(typo.errors![0].message).not.toMatch(/Did you mean/);
    } finally {
      await off.stop();
    }
  });
});

describe("GraphQL over HTTP", () => {
  it("passes every MUST audit of graphql-http", async () => {
    const failures: string[] = [];
    for (const audit of serverAudits({ url: `${c.url}/graphql`, fetchFn: fetch })) {
      const result = await audit.fn();
      if (audit.name.startsWith("MUST") && result.status !== "ok") failures.push(`${audit.name}: ${result.reason}`);
    }
    expect(failures).toEqual([]);
  });
});
