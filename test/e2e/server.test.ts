/**
 * The server's own surface: health, readiness (the database, and Redis when REDIS_URL is set), metrics, logs without secrets, the security baseline
 * (CSRF prevention, depth/alias/cost limits, no batching, introspection switch) and the
 * GraphQL-over-HTTP audit.
 */
import * as net from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { serverAudits } from "graphql-http";
import { loadConfig } from "../../src/config";
import { READY_PING_TIMEOUT_MS } from "../../src/core/events";
import { createServer, type RunningServer } from "../../src/server";
import { openTestDatabase } from "../support/database";
import * as fs from "node:fs";
import { METRICS_HEADERS, PATENT_FIXTURE, startCenter, type TestCenter } from "../support/center";
import { until } from "../support/until";
import { importBundle } from "../../src/catalog/bundle-import.service";

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
    const text = await (await fetch(`${c.url}/metrics`, { headers: METRICS_HEADERS })).text();
    expect(text).toMatch(/printmesh_graphql_operations_total\{operation="me",type="query",transport="http"\} [1-9]/);
    expect(text).toMatch(/printmesh_graphql_operation_seconds_bucket\{le="[^"]+",operation="login",type="mutation",transport="http"\} [1-9]/);
    expect(text).toMatch(/printmesh_graphql_errors_total\{code="UNAUTHENTICATED"\} [1-9]/);
    expect(text).toMatch(/printmesh_websocket_connections [1-9]/);
    await ws.dispose();
  });
});

describe("readiness with the Redis event bus (REDIS_URL)", () => {
  const REDIS_URL = process.env.REDIS_URL ?? "";

  it("answers 503 while the configured Redis does not answer, and still starts, serves and stops cleanly", async () => {
    // Nothing listens on port 1: ioredis keeps reconnecting, the center starts anyway.
    const lonely = await startCenter({ env: { REDIS_URL: "redis://127.0.0.1:1" }, bundle: null });
    let stopped = false;
    try {
      const r = await fetch(`${lonely.url}/readyz`);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ status: "unavailable", reason: "redis does not answer" });
      expect(await lonely.server.app.events.ready()).toEqual({
        ready: false,
        reason: expect.stringMatching(/^the publish connection is \w+, the subscribe connection is \w+$/),
      });
      const h = await fetch(`${lonely.url}/healthz`);
      expect([h.status, await h.json()]).toEqual([200, { status: "ok" }]);
      const q = await lonely.gql("{ __typename }");
      expect([q.status, q.data]).toEqual([200, { __typename: "Query" }]);
      const started = Date.now();
      await lonely.stop();
      stopped = true;
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      if (!stopped) await lonely.stop();
    }
  });

  it("answers 503 while Redis accepts connections but never answers, and leaves no connection behind once stopped", async () => {
    // A hung Redis: it takes the TCP connections and says nothing, so neither connection gets ready.
    const accepted: net.Socket[] = [];
    const hung = net.createServer((sock) => {
      accepted.push(sock);
      sock.on("error", () => undefined);
      sock.resume(); // reads (and ignores) what the center sends, so that its close is seen
    });
    await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
    const center = await startCenter({ env: { REDIS_URL: `redis://127.0.0.1:${(hung.address() as net.AddressInfo).port}` }, bundle: null });
    let stopped = false;
    try {
      const r = await fetch(`${center.url}/readyz`);
      expect([r.status, await r.json()]).toEqual([503, { status: "unavailable", reason: "redis does not answer" }]);
      expect(await center.server.app.events.ready()).toEqual({
        ready: false,
        reason: expect.stringMatching(/^the publish connection is \w+, the subscribe connection is \w+$/),
      });
      await until("the publish and subscribe connections", () => accepted.length >= 2);
      expect(accepted).toHaveLength(2); // publisher and subscriber

      await center.stop();
      stopped = true;
      // Both closed by the center, and no reconnection afterwards (ioredis waits at most 2 s between attempts).
      const closed = (sock: net.Socket) => sock.closed || new Promise((res) => sock.once("close", res));
      await Promise.all(accepted.map(closed));
      // Time must pass to show that nothing comes: no condition can be awaited for an absence.
      await new Promise((res) => setTimeout(res, 2500));
      expect(accepted).toHaveLength(2);
    } finally {
      if (!stopped) await center.stop();
      for (const sock of accepted) sock.destroy();
      await new Promise((resolve) => hung.close(resolve));
    }
  });

  it("answers a login while Redis accepts connections but never answers, and still stops, leaving no connection behind", async () => {
    const accepted: net.Socket[] = [];
    const hung = net.createServer((sock) => {
      accepted.push(sock);
      sock.on("error", () => undefined);
      sock.resume();
    });
    await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
    const center = await startCenter({ env: { REDIS_URL: `redis://127.0.0.1:${(hung.address() as net.AddressInfo).port}` } });
    let stopped = false;
    try {
      // The attempt counters give up on Redis and count in the process: the login is answered.
      const r = await center.gql(`mutation { login(login: "center", password: "not-the-password") { token errors { code } } }`);
      expect([r.status, r.data]).toEqual([200, { login: { token: null, errors: [{ code: "INVALID_CREDENTIALS" }] } }]);
      expect(accepted.length).toBeGreaterThanOrEqual(3); // publisher, subscriber and the attempt counters' (reconnecting)
      await center.stop();
      stopped = true;
      const closed = (sock: net.Socket) => sock.closed || new Promise((res) => sock.once("close", res));
      await Promise.all(accepted.map(closed));
    } finally {
      if (!stopped) await center.stop();
      for (const sock of accepted) sock.destroy();
      await new Promise((resolve) => hung.close(resolve));
    }
  });

  // Needs a real Redis: CI's MariaDB + Redis pass sets REDIS_URL.
  (REDIS_URL ? describe : describe.skip)("with a real Redis", () => {
    it.each([0, 2])(
      "answers ready with a real Redis, 503 while Redis stops answering (at once, or after REDIS_READY_GRACE_SECONDS=%i), and ready again once it answers",
      async (grace) => {
        // A TCP relay to the real Redis that can hold back Redis's answers: a Redis that hangs (a
        // network partition), while the connections stay open and ready.
        const upstream = new URL(REDIS_URL);
        let frozen = false;
        const held: Array<() => void> = [];
        const sockets = new Set<net.Socket>();
        const relay = net.createServer((client) => {
          const redis = net.connect(Number(upstream.port || 6379), upstream.hostname);
          for (const sock of [client, redis]) {
            sockets.add(sock);
            sock.on("error", () => undefined);
            sock.on("close", () => {
              sockets.delete(sock);
              client.destroy();
              redis.destroy();
            });
          }
          client.on("data", (d) => redis.write(d));
          redis.on("data", (d) => (frozen ? held.push(() => client.write(d)) : client.write(d)));
        });
        await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
        const through = new URL(REDIS_URL);
        through.host = `127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
        const center = await startCenter({ env: { REDIS_URL: through.toString(), REDIS_READY_GRACE_SECONDS: String(grace) }, bundle: null });
        const readyz = async () => {
          const r = await fetch(`${center.url}/readyz`);
          return [r.status, await r.json()];
        };
        const readyzAnswers = (want: number) => {
          let last: unknown[] = [];
          return until(`/readyz to answer ${want}`, async () => (last = await readyz())[0] === want && last, {
            intervalMs: 50,
            detail: () => `last answer: ${JSON.stringify(last)}`,
          });
        };
        try {
          // The connections are made right after start; ready as soon as both are.
          expect(await readyzAnswers(200)).toEqual([200, { status: "ready" }]);
          expect(await center.server.app.events.ready()).toEqual({ ready: true });

          frozen = true;
          const started = Date.now();
          if (grace > 0) {
            // Away for a moment after answering (as in a failover): still in the load balancer...
            const warning = `redis does not answer (ready for ${grace} s after it last answered)`;
            expect(await readyz()).toEqual([200, { status: "ready", warning }]);
            // ...until the grace since the last answered probe has run out.
            expect(await readyzAnswers(503)).toEqual([503, { status: "unavailable", reason: "redis does not answer" }]);
            expect(Date.now() - started).toBeGreaterThanOrEqual(grace * 1000 - 1000);
          } else {
            expect(await readyz()).toEqual([503, { status: "unavailable", reason: "redis does not answer" }]);
            expect(Date.now() - started).toBeGreaterThanOrEqual(READY_PING_TIMEOUT_MS - 50);
          }
          expect(await center.server.app.events.ready()).toEqual({ ready: false, reason: `no answer to PING within ${READY_PING_TIMEOUT_MS} ms` });

          frozen = false;
          for (const release of held.splice(0)) release();
          expect(await readyzAnswers(200)).toEqual([200, { status: "ready" }]);
        } finally {
          frozen = false;
          for (const release of held.splice(0)) release();
          await center.stop();
          for (const sock of sockets) sock.destroy();
          await new Promise((resolve) => relay.close(resolve));
        }
      },
    );
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
    await importBundle(ds, JSON.parse(fs.readFileSync(PATENT_FIXTURE, "utf8")), {});
    const config = loadConfig({
      NODE_ENV: "test",
      DATABASE_URL: test.url,
      PORT: "0",
      JWT_SECRET: "y".repeat(40),
      DATA_DIR: "/tmp/printmesh-log-test",
      LOG_LEVEL: "trace",
    });
    let server: RunningServer | null = null;
    try {
      server = await createServer(config, { ds, logger: pino({ level: "trace" }, sink) });
      const post = (body: object, bearer?: string) =>
        fetch(`${server!.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
          body: JSON.stringify(body),
        }).then((r) => r.json() as Promise<{ data: { login: { token: string } } }>);
      const ok = await post({ query: 'mutation { login(login: "center", password: "center-pass-1") { token } }' });
      await post({ query: 'mutation($p: String!) { login(login: "center", password: $p) { token } }', variables: { p: "wrong-secret-pw" } });
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
    // Some audits query the schema (`__type`): introspection on, which production configuration turns off.
    const open = await startCenter({ env: { GRAPHQL_INTROSPECTION: "1" }, bundle: null });
    const failures: string[] = [];
    try {
      for (const audit of serverAudits({ url: `${open.url}/graphql`, fetchFn: fetch })) {
        const result = await audit.fn();
        if (audit.name.startsWith("MUST") && result.status !== "ok") failures.push(`${audit.name}: ${result.reason}`);
      }
    } finally {
      await open.stop();
    }
    expect(failures).toEqual([]);
  });
});
