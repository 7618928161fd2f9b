/**
 * Several center processes acting as one (REDIS_URL): two real centers (`node dist/src/main.js`)
 * on one MariaDB database and one Redis, on different ports, with the same JWT secret. Jobs queued
 * through one ring labs connected to the other; notices made through one reach subscribers of the
 * other; a price change or a revoked lab key made through one takes effect in the other at once
 * (its caches are invalidated through Redis).
 *
 * Runs when REDIS_URL and a mysql:// DATABASE_URL are set (CI's MariaDB + Redis pass); SQLite
 * runs skip it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createClient, type Client } from "graphql-ws";
import { Redis } from "ioredis";
import type { DataSource } from "typeorm";
import WebSocket from "ws";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { openDatabase } from "../../src/entities";
import { channelPrefix, createEventBus, type EventBus } from "../../src/core/events";
import { LabApiKeyEntity } from "../../src/labs/lab-api-key.entity";
import { PATENT_FIXTURE } from "../support/center";
import { createTestDatabase, usingMysql, type TestDatabase } from "../support/database";
import { until } from "../support/until";

const ROOT = path.resolve(__dirname, "../..");
const MAIN = path.join(ROOT, "dist/src/main.js"); // compiled by the global setup
const REDIS_URL = process.env.REDIS_URL ?? "";
const ENABLED = usingMysql() && REDIS_URL !== "";
const JWT_SECRET = "multi-center-test-secret-".padEnd(48, "x");
const LAB01_KEY = "lab01-key-0123456789abcdef";
const LAB02_KEY = "lab02-key-0123456789abcdef";
const LAB03_KEY = "lab03-key-0123456789abcdef";

interface Center {
  name: string;
  url: string;
  child: ChildProcess;
  output: () => string;
}

interface Result {
  status: number;
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

async function gql(center: Center, query: string, variables: Record<string, unknown> = {}, bearer: string | null = null): Promise<Result> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/graphql-response+json" };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const res = await fetch(`${center.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, ...((await res.json()) as object) };
}

async function login(center: Center, name: string, password: string): Promise<string> {
  const r = await gql(center, "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { token } }", { l: name, p: password });
  const token = r.data?.login?.token;
  if (!token) throw new Error(`login ${name} at ${center.name} failed: ${JSON.stringify(r)}`);
  return token;
}

async function startCenter(name: string, env: Record<string, string>): Promise<Center> {
  let out = "";
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  let gone: string | null = null;
  child.once("exit", (code) => (gone = `center ${name} exited with ${code}: ${out}`));
  const url = await until(
    `center ${name}'s ready line`,
    () => {
      if (gone) throw new Error(gone);
      return /ready at (http:\/\/[^\s]+)\/graphql/.exec(out)?.[1];
    },
    { timeoutMs: 30_000, intervalMs: 50, detail: () => out },
  );
  return { name, url, child, output: () => out };
}

async function stopCenter(center: Center | undefined): Promise<void> {
  if (!center || center.child.exitCode !== null) return;
  const exited = new Promise((resolve) => center.child.once("exit", resolve));
  center.child.kill("SIGTERM");
  const timer = setTimeout(() => center.child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

// Needs MariaDB and Redis: CI's MariaDB + Redis pass sets a mysql:// DATABASE_URL and REDIS_URL.
(ENABLED ? describe : describe.skip)("several center processes over one MariaDB and one Redis", () => {
  let db: TestDatabase;
  let ds: DataSource;
  let redis: Redis;
  let prefix: string;
  let a: Center;
  let b: Center;
  const dirs: string[] = [];
  const clients: Client[] = [];
  const t: Record<string, string> = {};

  /** How many Redis connections (center processes) listen on a topic. */
  const listeners = async (topic: string) => Number(((await redis.pubsub("NUMSUB", prefix + topic)) as [string, number])[1]);

  function ws(center: Center, bearer: string): Client {
    const client = createClient({
      url: center.url.replace(/^http/, "ws") + "/graphql",
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${bearer}` },
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    return client;
  }

  /** Every value a subscription sends, collected; errors fail the test that reads them. */
  function collect<T>(client: Client, query: string): { values: T[]; errors: unknown[]; dispose(): void } {
    const values: T[] = [];
    const errors: unknown[] = [];
    const dispose = client.subscribe<T>(
      { query },
      { next: (v) => (v.errors ? errors.push(v.errors) : values.push(v.data as T)), error: (e) => errors.push(e), complete: () => undefined },
    );
    return { values, errors, dispose };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await openDatabase(db.db, { poolSize: 3 });
    const report = await importBundle(ds, JSON.parse(fs.readFileSync(PATENT_FIXTURE, "utf8")), {});
    if (!report.ok) throw new Error("fixture does not import: " + JSON.stringify(report.faults));
    prefix = channelPrefix(db.db);
    redis = new Redis(REDIS_URL);
    const env = (name: string) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `printmesh-${name}-`));
      dirs.push(dir);
      return { DATABASE_URL: db.url, REDIS_URL, PORT: "0", HOST: "127.0.0.1", JWT_SECRET, DATA_DIR: dir, DEMO_DATA: "0", LOG_LEVEL: "warn", GRAPHQL_IDE: "0" };
    };
    [a, b] = await Promise.all([startCenter("A", env("a")), startCenter("B", env("b"))]);
    expect(a.url).not.toBe(b.url);
    // Both processes listen for cache invalidations from the start.
    await until("both centers subscribed to invalidate", async () => (await listeners("invalidate")) >= 2, { timeoutMs: 10_000 });
    t.customerA = await login(a, "customer", "customer-pass");
    t.customerB = await login(b, "customer", "customer-pass");
    t.centerA = await login(a, "center", "center-pass-1");
    t.centerB = await login(b, "center", "center-pass-1");
    t.groupA = await login(a, "group-a", "group-a-pass");
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await Promise.all([stopCenter(a), stopCenter(b)]);
    await redis?.quit();
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  /** Waits for something the centers should do; a time-out says what the centers logged. */
  const waitFor = <T>(what: string, probe: () => Promise<T>) =>
    until(what, probe, { timeoutMs: 10_000, detail: () => `--- center A ---\n${a?.output() ?? ""}\n--- center B ---\n${b?.output() ?? ""}` });

  it("both centers report ready: the database and Redis answer", async () => {
    for (const center of [a, b]) {
      const r = await fetch(`${center.url}/readyz`);
      expect([center.name, r.status, await r.json()]).toEqual([center.name, 200, { status: "ready" }]);
    }
  });

  it("a lab subscribed on A receives the job of an order confirmed through B", async () => {
    const lab = collect<{ printJobs: { job: { id: string; orderId: string; labId: string; status: string } } }>(
      ws(a, LAB01_KEY),
      "subscription { printJobs { job { id orderId labId status } } }",
    );
    await waitFor("the lab's subscription on A", async () => (await listeners("printJob:LAB01")) >= 1);

    const placed = await gql(
      b,
      `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`,
      { input: { labId: "LAB01", fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 2, items: [{ imageId: "IMG-C01" }] }] } },
      t.customerB,
    );
    expect(placed.data!.placeOrder.errors).toEqual([]);
    const order = placed.data!.placeOrder.order;
    const confirmed = await gql(
      b,
      `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { labId } errors { code } } }`,
      { id: order.id, total: order.total },
      t.customerB,
    );
    expect(confirmed.data!.confirmOrder).toEqual({ order: { labId: "LAB01" }, errors: [] });

    const event = await waitFor("the job rung on A", async () => lab.values.find((v) => v.printJobs.job.orderId === order.id));
    expect(event.printJobs.job).toMatchObject({ orderId: order.id, labId: "LAB01", status: "QUEUED" });
    expect(lab.errors).toEqual([]);
    lab.dispose();
  });

  it("a notice made through B reaches its admin subscribed on A", async () => {
    const inbox = collect<{ notifications: { kind: string; message: string } }>(ws(a, t.groupA), "subscription { notifications { kind message } }");
    await waitFor("group-a's subscription on A", async () => (await listeners("notification:U010")) >= 1);

    const renamed = await gql(b, `mutation { updateShopGroup(id: "SG01", input: { name: "Shop group A, renamed on B" }) { errors { code } } }`, {}, t.centerB);
    expect(renamed.data!.updateShopGroup.errors).toEqual([]);

    const notice = await waitFor("the notice on A", async () => inbox.values[0]);
    expect(notice.notifications).toEqual({
      kind: "SHOP_GROUP_UPDATED",
      message: `Shop group SG01 was renamed from "Shop group A" to "Shop group A, renamed on B" by center`,
    });
    expect(inbox.errors).toEqual([]);
    inbox.dispose();
  });

  it("a price change through A takes effect in quotes through B at once", async () => {
    const QUOTE = `query { quote(input: { shopId: "SP01", subOrders: [{ serviceId: "SV01", sheets: 5, items: [] }] }) { quote { total subOrders { lines { productId source basicCharge amountCharge subtotal } } } errors { code } } }`;
    const p01 = (r: Result) => r.data!.quote.quote.subOrders[0].lines.find((l: { productId: string }) => l.productId === "P01");
    const before = await gql(b, QUOTE, {}, t.customerB); // B's price book is now loaded (cached)
    expect(before.data!.quote.errors).toEqual([]);
    expect(p01(before).source).not.toBe("SHOP");

    const created = await gql(
      a,
      `mutation($input: PriceRowInput!) { createPriceRow(input: $input) { priceRow { id } errors { code message } } }`,
      { input: { shopId: "SP01", productId: "P01", validFrom: "2020-01-01", validUntil: null, basicCharge: 7, amountCharge: 3 } },
      t.centerA,
    );
    expect(created.data!.createPriceRow.errors).toEqual([]);

    // The invalidation crosses Redis to B in milliseconds; a busy machine may delay it a little.
    const after = await until(
      "B to quote the shop's price",
      async () => {
        const r = await gql(b, QUOTE, {}, t.customerB);
        return p01(r).source === "SHOP" && r;
      },
      { timeoutMs: 2000 },
    );
    expect(p01(after)).toEqual({ productId: "P01", source: "SHOP", basicCharge: 7, amountCharge: 3, subtotal: 7 + 3 * 5 });
    expect(after.data!.quote.quote.total).toBe(before.data!.quote.quote.total - p01(before).subtotal + 22);
  });

  it("a lab key revoked through A is refused by B at once (B had it cached)", async () => {
    const LABS = "{ labs { id } }";
    // B verifies both keys and keeps them cached.
    expect((await gql(b, LABS, {}, LAB02_KEY)).data!.labs).toEqual([{ id: "LAB02" }]);
    expect((await gql(b, LABS, {}, LAB03_KEY)).data!.labs).toEqual([{ id: "LAB03" }]);

    // The control: a key revoked behind the centers' backs (no event) is still honoured from B's cache.
    await ds.getRepository(LabApiKeyEntity).update({ labId: "LAB03" }, { revokedAt: new Date() });
    expect((await gql(b, LABS, {}, LAB03_KEY)).data!.labs).toEqual([{ id: "LAB03" }]);

    const keys = await gql(a, `query { labApiKeys(labId: "LAB02") { id revokedAt } }`, {}, t.centerA);
    const [key] = keys.data!.labApiKeys;
    const revoked = await gql(a, `mutation($id: ID!) { revokeLabApiKey(id: $id) { apiKey { revokedAt } errors { code } } }`, { id: key.id }, t.centerA);
    expect(revoked.data!.revokeLabApiKey.errors).toEqual([]);

    const refused = await until(
      "B to refuse the revoked key",
      async () => {
        const r = await gql(b, LABS, {}, LAB02_KEY);
        return r.status === 401 && r;
      },
      { timeoutMs: 2000 },
    );
    expect(refused.status).toBe(401);
    expect(refused.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    // The invalidation dropped B's whole key cache: the key revoked behind its back is refused now too.
    expect((await gql(b, LABS, {}, LAB03_KEY)).status).toBe(401);
    // LAB01's key, never revoked, still works on both.
    for (const center of [a, b]) expect((await gql(center, LABS, {}, LAB01_KEY)).data!.labs).toEqual([{ id: "LAB01" }]);
  });

  it("keeps to its own channels: a bus of another database on the same Redis hears nothing of these centers", async () => {
    expect(prefix).toBe(`printmesh:${db.db.type === "mysql" ? db.db.database : "?"}:`);
    const ours = createEventBus(REDIS_URL, { database: db.db });
    const theirs = createEventBus(REDIS_URL, { channelPrefix: `printmesh:${db.db.type === "mysql" ? db.db.database : "?"}_other:` });
    try {
      const heardByUs: unknown[] = [];
      const heardByThem: unknown[] = [];
      const drain = async (bus: EventBus, into: unknown[]) => {
        for await (const e of bus.subscribe("invalidate")) into.push(e);
      };
      void drain(ours, heardByUs);
      void drain(theirs, heardByThem);
      await waitFor("the two extra listeners", async () => (await listeners("invalidate")) >= 3);
      await waitFor(
        "the other database's listener",
        async () => Number(((await redis.pubsub("NUMSUB", `${prefix.slice(0, -1)}_other:invalidate`)) as [string, number])[1]) >= 1,
      );

      const renamed = await gql(
        a,
        `mutation { updateShopGroup(id: "SG02", input: { name: "Shop group B, renamed on A" }) { errors { code } } }`,
        {},
        t.centerA,
      );
      expect(renamed.data!.updateShopGroup.errors).toEqual([]);
      await waitFor("the invalidation on this database's channel", async () => heardByUs.length > 0);
      expect(heardByUs).toContainEqual({ kind: "catalog" });
      // Published through the same Redis, after the other listener was subscribed: it would have arrived by now.
      await new Promise((r) => setTimeout(r, 300));
      expect(heardByThem).toEqual([]);
    } finally {
      await ours.close();
      await theirs.close();
    }
  });
});
